package experiments

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The threshold flags at most the configured share of correct validation lines, and the
// recorded precision and recall are those of the validation lines at it.
func TestChooseFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var val flagLines
	for range 5000 { // correct lines: scores ~ N(0, 1)
		val.cleanScores = append(val.cleanScores, rng.NormFloat64())
	}
	for range 2000 { // lines of buggy snippets: 10 % buggy, shifted up by 2
		y := 0
		s := rng.NormFloat64()
		if rng.Float64() < 0.1 {
			y, s = 1, s+2
		}
		val.buggyScores, val.buggyLabels = append(val.buggyScores, s), append(val.buggyLabels, y)
	}
	cfg := FlagsConfig{MaxFlagRate: 0.02, TargetPrecision: 0.5, MinFlags: 10}
	rule := chooseFlags(cfg, val)
	require.LessOrEqual(t, rule.ValCleanRate, 0.02)
	require.Greater(t, rule.ValCleanRate, 0.015, "the cap is used, not far more strictly")
	require.InDelta(t, 2.05, rule.Threshold, 0.15) // the 98th percentile of N(0, 1)
	rate, prec, rec := flagStats(rule.Threshold, val)
	require.Equal(t, rule.ValCleanRate, rate)
	require.Equal(t, rule.ValPrecision, prec)
	require.Equal(t, rule.ValRecall, rec)
	require.Equal(t, prec >= 0.5, rule.PrecisionMet)
	// The calibration is monotone and lands near the base rate in the middle.
	require.Greater(t, rule.Platt.Prob(3), rule.Platt.Prob(0))
	require.InDelta(t, 0.1, rule.Platt.Prob(0.8), 0.08)
	// No correct line at all: nothing is flagged, and the rule still encodes as JSON.
	empty := chooseFlags(cfg, flagLines{buggyScores: []float64{1}, buggyLabels: []int{1}})
	require.Equal(t, math.MaxFloat64, empty.Threshold)
	require.False(t, empty.PrecisionMet)
	require.Zero(t, empty.ValPrecision)
}

package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Data drawn from a known logistic model: the fit recovers its parameters, and the calibrated
// probabilities have a small calibration error.
func TestFitPlattRecoversTheModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	truth := Platt{A: 1.7, B: -2.5}
	var s []float64
	var l []int
	for range 20000 {
		x := rng.NormFloat64() * 1.5
		y := 0
		if rng.Float64() < truth.Prob(x) {
			y = 1
		}
		s, l = append(s, x), append(l, y)
	}
	p := FitPlatt(s, l)
	require.InDelta(t, truth.A, p.A, 0.1)
	require.InDelta(t, truth.B, p.B, 0.1)
	probs := make([]float64, len(s))
	for i, x := range s {
		probs[i] = p.Prob(x)
	}
	c := CalibrationOf(probs, l, 10)
	require.Less(t, c.ECE, 0.02)
	require.Greater(t, c.Brier, 0.0)
	// A constant probability at the base rate has ECE 0 only in aggregate; a wrong constant does not.
	bad := make([]float64, len(s))
	for i := range bad {
		bad[i] = 0.9
	}
	require.Greater(t, CalibrationOf(bad, l, 10).ECE, 0.5)
}

func TestFitPlattEdgeCases(t *testing.T) {
	p := FitPlatt([]float64{1, 2, 3}, []int{0, 0, 0}) // no positive: the smoothed base rate
	require.Zero(t, p.A)
	require.InDelta(t, 0.2, p.Prob(5), 1e-9)
	sep := FitPlatt([]float64{-2, -1, 1, 2}, []int{0, 0, 1, 1}) // separable: still finite
	require.False(t, math.IsInf(sep.A, 0) || math.IsNaN(sep.A))
	require.Greater(t, sep.Prob(2), sep.Prob(-2))
	require.InDelta(t, 1, Platt{A: 1}.Prob(800), 1e-12)
	require.InDelta(t, 0, Platt{A: 1}.Prob(-800), 1e-12)
	require.True(t, math.IsNaN(CalibrationOf(nil, nil, 10).Brier))
}

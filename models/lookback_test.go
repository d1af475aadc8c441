package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// lookbackFromGo reduces a captured attention pattern [batch, heads, seq, seq] in Go: the mean
// over heads of the mass on keys before start[b][t].
func lookbackFromGo(pat *Array, start [][]int32, b, t int) float64 {
	heads := pat.Shape[1]
	var s float64
	for h := range heads {
		for _, a := range pat.Row(b, h, t)[:start[b][t]] {
			s += float64(a)
		}
	}
	return s / float64(heads)
}

// randomStarts draws a boundary per token: mostly a line-like start at or before the token, some
// 0 and some past it (all keys then count).
func randomStarts(rng *rand.Rand, ids [][]int32) [][]int32 {
	out := make([][]int32, len(ids))
	for b, row := range ids {
		out[b] = make([]int32, len(row))
		for t := range row {
			switch rng.IntN(6) {
			case 0:
				out[b][t] = 0
			case 1:
				out[b][t] = int32(rng.IntN(len(row) + 1))
			default:
				out[b][t] = int32(rng.IntN(t + 2))
			}
		}
	}
	return out
}

// attn.lookback equals the Go reduction of attn.pattern, on every golden architecture (GQA,
// GPT-2, a sliding window), in padded batches of unequal rows, both from the separate score pass
// and from the pattern when that is asked for in the same pass.
func TestLookbackMatchesPattern(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		dir    string
		window int
	}{{"qwen2", 0}, {"llama", 0}, {"gpt2", 0}, {"starcoder2", 0}, {"starcoder2", 5}} {
		m, err := Load(filepath.Join(goldenDir, c.dir), backend)
		require.NoError(t, err)
		m.Config.SlidingWindow = c.window
		ids, _ := readGolden(t, c.dir)
		layer := m.Config.NumLayers - 1
		// Rows of unequal length: padded in the batch and to the shape bucket.
		rows := [][]int32{ids[0], ids[1][:len(ids[1])-3], ids[0][:5]}
		start := randomStarts(rng, rows)
		ref, err := m.Run(rows, Request{Hooks: []string{AttnPattern(layer)}})
		require.NoError(t, err)
		pat := ref[AttnPattern(layer)]
		for _, v := range []struct {
			name  string
			hooks []string
		}{
			{"scores", []string{AttnLookback(layer), ResidPost(layer)}},
			{"with_pattern", []string{AttnLookback(layer), AttnPattern(layer)}},
		} {
			got, err := m.Run(rows, Request{Hooks: v.hooks, LookbackStart: start})
			require.NoError(t, err)
			lb := got[AttnLookback(layer)]
			require.Equal(t, []int{len(rows), len(rows[0])}, lb.Shape)
			for b, row := range rows {
				for tk := range row {
					want := lookbackFromGo(pat, start, b, tk)
					msg := fmt.Sprintf("%s window %d %s: row %d token %d start %d", c.dir, c.window, v.name, b, tk, start[b][tk])
					require.InDelta(t, want, float64(lb.At(b, tk)), 1e-5, msg)
					require.False(t, math.IsNaN(float64(lb.At(b, tk))), msg)
				}
			}
		}
	}
}

func TestLookbackRequestErrors(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "llama"), backend)
	require.NoError(t, err)
	ids := [][]int32{{1, 2, 3}, {4, 5}}
	_, err = m.Run(ids, Request{Hooks: []string{AttnLookback(0)}})
	require.ErrorContains(t, err, "needs Request.LookbackStart")
	_, err = m.Run(ids, Request{Hooks: []string{ResidPost(0)}, LookbackStart: [][]int32{{0, 0, 0}, {0, 0}}})
	require.ErrorContains(t, err, "no blocks.{L}.attn.lookback hook")
	_, err = m.Run(ids, Request{Hooks: []string{AttnLookback(0)}, LookbackStart: [][]int32{{0, 0, 0}}})
	require.ErrorContains(t, err, "1 rows")
	_, err = m.Run(ids, Request{Hooks: []string{AttnLookback(0)}, LookbackStart: [][]int32{{0, 0, 0}, {0}}})
	require.ErrorContains(t, err, "row 1 has 1 values for 2 tokens")
	_, err = m.Run(ids, Request{Hooks: []string{AttnLookback(0)}, LookbackStart: [][]int32{{0, 4, 0}, {0, 0}}})
	require.ErrorContains(t, err, "outside [0, 3]")
	_, err = m.Run(ids, Request{Hooks: []string{"blocks.9.attn.lookback"}})
	require.ErrorContains(t, err, "out of range")
	got, err := m.Run(ids, Request{Hooks: []string{AttnLookback(1)}, LookbackStart: [][]int32{{0, 0, 3}, {0, 2}}})
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, got[AttnLookback(1)].Shape)
	require.InDelta(t, 0, got[AttnLookback(1)].At(0, 1), 1e-7, "start 0: no earlier context")
	require.InDelta(t, 1, got[AttnLookback(1)].At(0, 2), 1e-6, "start past the token: all the mass")
	require.InDelta(t, 1, got[AttnLookback(1)].At(1, 1), 1e-6)
}

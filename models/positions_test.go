package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Request.Positions gathers, in the graph, exactly the vectors of the full per-token states at
// the asked positions, for every state hook, in padded batches of unequal rows and lists, while
// the per-token hooks of the same pass are unchanged.
func TestPositionsGatherStates(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dir := range []string{"qwen2", "gpt2"} {
		m, err := Load(filepath.Join(goldenDir, dir), backend)
		require.NoError(t, err)
		ids, _ := readGolden(t, dir)
		rows := [][]int32{ids[0], ids[1][:len(ids[1])-3], ids[0][:5]}
		hooks := []string{HookEmbed, ResidPre(1), ResidPost(0), HookFinalNorm, HookTokenLogProb}
		full, err := m.Run(rows, Request{Hooks: hooks})
		require.NoError(t, err)
		pos := make([][]int32, len(rows))
		for b, row := range rows {
			n := 1 + rng.IntN(len(row))
			for range n {
				pos[b] = append(pos[b], int32(rng.IntN(len(row))))
			}
		}
		got, err := m.Run(rows, Request{Hooks: hooks, Positions: pos})
		require.NoError(t, err)
		longest := 0
		for _, p := range pos {
			longest = max(longest, len(p))
		}
		for _, h := range hooks[:4] {
			require.Equal(t, []int{len(rows), longest, m.Config.DModel}, got[h].Shape, h)
			for b, p := range pos {
				for i, tk := range p {
					require.InDeltaSlice(t, full[h].Row(b, int(tk)), got[h].Row(b, i), 1e-6, fmt.Sprintf("%s %s row %d position %d", dir, h, b, tk))
				}
			}
		}
		lp, lpFull := got[HookTokenLogProb], full[HookTokenLogProb]
		require.Equal(t, lpFull.Shape, lp.Shape, "per-token hooks are not gathered")
		for i, v := range lpFull.Data {
			if !math.IsNaN(float64(v)) {
				require.Equal(t, v, lp.Data[i], "token log-prob %d", i)
			}
		}
	}
}

func TestPositionsErrors(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, err := Load(filepath.Join(goldenDir, "llama"), backend)
	require.NoError(t, err)
	ids := [][]int32{{1, 2, 3}, {4, 5}}
	_, err = m.Run(ids, Request{Hooks: []string{ResidPost(0)}, Positions: [][]int32{{0}}})
	require.ErrorContains(t, err, "Positions has 1 rows, the batch 2")
	_, err = m.Run(ids, Request{Hooks: []string{ResidPost(0)}, Positions: [][]int32{{0, 2}, {2}}})
	require.ErrorContains(t, err, "Positions[1][0] = 2 is outside row 1's [0, 2)")
}

// A states pass (no head) with Positions runs its last block's output projection, residual and
// MLP on the kept rows only; the states equal, bit for bit, those of the pass over every
// position, on every golden architecture, with the last layer's lookback and pattern beside.
func TestPositionsPruneLastBlock(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dir := range []string{"qwen2", "llama", "gpt2", "starcoder2"} {
		m, err := Load(filepath.Join(goldenDir, dir), backend)
		require.NoError(t, err)
		ids, _ := readGolden(t, dir)
		rows := [][]int32{ids[0], ids[1][:len(ids[1])-3], ids[0][:5]}
		last := m.Config.NumLayers - 1
		hooks := []string{ResidPre(last), ResidPost(last), AttnLookback(last), AttnPattern(last)}
		start := make([][]int32, len(rows))
		pos := make([][]int32, len(rows))
		for b, row := range rows {
			start[b] = make([]int32, len(row))
			for i := range row {
				start[b][i] = int32(rng.IntN(i + 1))
			}
			for range 1 + rng.IntN(len(row)) {
				pos[b] = append(pos[b], int32(rng.IntN(len(row))))
			}
		}
		full, err := m.Run(rows, Request{Hooks: hooks, LookbackStart: start})
		require.NoError(t, err)
		got, err := m.Run(rows, Request{Hooks: hooks, LookbackStart: start, Positions: pos})
		require.NoError(t, err)
		for _, h := range hooks[:2] {
			for b, p := range pos {
				for i, tk := range p {
					require.Equal(t, full[h].Row(b, int(tk)), got[h].Row(b, i), "%s %s row %d position %d", dir, h, b, tk)
				}
			}
		}
		for _, h := range hooks[2:] {
			require.Equal(t, full[h], got[h], "%s %s: the per-token hooks of the pruned block", dir, h)
		}
	}
}

package pretrain

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The host's k-th largest equals the sorted one on the rows that exercise the bisection (spread
// magnitudes, ties, zeros, fewer than k positives, all-zero rows, subnormals), row by row, with a
// mask, and over a whole batch with padding rows.
func TestKthLargestHostMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, n = 36, 200
	for _, k := range []int{1, 7, 32, 199} {
		flat := kthRows(rng, rows, n, k)
		thr := make([]float32, rows)
		rowThresholds(flat, rows, n, k, nil, thr)
		for r := range rows {
			requireKth(t, flat[r*n:(r+1)*n], k, thr[r], fmt.Sprintf("k %d row %d (kind %d)", k, r, r%6))
		}
		mask := make([]float32, n)
		for j := range mask {
			mask[j] = float32(rng.IntN(2))
		}
		rowThresholds(flat, rows, n, k, mask, thr)
		for r := range rows {
			row := make([]float32, n)
			for j := range row {
				row[j] = flat[r*n+j] * mask[j]
			}
			requireKth(t, row, k, thr[r], fmt.Sprintf("masked k %d row %d", k, r))
		}
	}
	flat := kthRows(rng, 6, n, 32)
	rowW := []float32{1, 1, 0, 1, 1, 0}
	got := batchThreshold(flat, 6, n, 32, rowW)
	weighted := make([]float32, len(flat))
	for r := range 6 {
		for j := range n {
			weighted[r*n+j] = flat[r*n+j] * rowW[r]
		}
	}
	requireKth(t, weighted, 4*32, got, "whole batch")
	require.True(t, batchThreshold(flat, 6, n, 32, make([]float32, 6)) > 3e38, "no real rows: keep nothing")
	thr := []float32{-1}
	rowThresholds(flat[:n], 1, n, n, nil, thr)
	require.Zero(t, thr[0], "k >= n keeps every positive value")
}

// Finding the thresholds on the host trains the same SAE, byte for byte, as bisecting for them in
// the graph: TopK with latents dying (the AuxK term's thresholds too) and BatchTopK.
func TestHostThresholdsTrainSameSAE(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.lines(5, 4096, 3)
	run := func(inGraph bool, activation string) ([]byte, *Result) {
		inGraphKth = inGraph
		defer func() { inGraphKth = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 1
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = 1024, 32, 1
		cfg.Activation = activation
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		return saeBytes(t, cfg.OutDir), res
	}
	for _, act := range []string{ActivationTopK, ActivationBatchTopK} {
		host, hRes := run(false, act)
		graph, gRes := run(true, act)
		require.Equal(t, graph, host, act)
		require.Equal(t, gRes.Metrics, hRes.Metrics, act)
		if act == ActivationTopK {
			require.Greater(t, gRes.AuxLoss, 0.0, "latents die: the AuxK thresholds are used")
		}
	}
}

package pretrain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The host's k-th largest equals the sorted one on the rows that exercise the bisection (spread
// magnitudes, ties, zeros, fewer than k positives, all-zero rows, subnormals), row by row, with a
// mask, and over a whole batch with padding rows; rows quickselected (200 values) and, in a SIMD
// build, bisected (300: not a whole number of vectors).
func TestKthLargestHostMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, n = 36, 200
	for _, long := range []int{300, 256} {
		for _, k := range []int{1, 32, long - 1} {
			flat := kthRows(rng, rows, long, k)
			for i, v := range flat { // the pre-activations the host reads are not ReLU'd yet
				if v == 0 && i%3 > 0 {
					flat[i] = -float32(rng.ExpFloat64())
				}
			}
			flat[7] = float32(math.NaN()) // skipped by both selections (row 0, kind 0)
			thr := make([]float32, rows)
			rowThresholds(flat, rows, long, k, nil, thr)
			for r := range rows {
				requireKth(t, flat[r*long:(r+1)*long], k, thr[r], fmt.Sprintf("%d values, k %d row %d (kind %d)", long, k, r, r%6))
			}
		}
	}
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

// BenchmarkRowThresholds times the step's TopK thresholds for a batch of 256 rows of Gaussian
// pre-activations, k 32, at the widths of the SAE benchmarks, with kthRow (what rowThresholds
// runs: bisection from bisectFrom values on in a SIMD build) and with quickselect
// (kthLargestHost) on every row, both on the cores rowThresholds uses:
//
//	go test ./pretrain -run '^$' -bench RowThresholds
func BenchmarkRowThresholds(b *testing.B) {
	for _, n := range []int{128, 256, 1024, 2048} {
		rng := rand.New(rand.NewPCG(1, 2))
		v := make([]float32, 256*n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		thr := make([]float32, 256)
		b.Run(fmt.Sprintf("n%d/rowThresholds", n), func(b *testing.B) {
			for range b.N {
				rowThresholds(v, 256, n, 32, nil, thr)
			}
		})
		b.Run(fmt.Sprintf("n%d/quickselect", n), func(b *testing.B) {
			quickselectOnly = true
			defer func() { quickselectOnly = false }()
			for range b.N {
				rowThresholds(v, 256, n, 32, nil, thr)
			}
		})
	}
}

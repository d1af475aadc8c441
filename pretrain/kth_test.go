package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// kthRef is the k-th largest value of a row by sorting it, and the row's smallest positive
// value (+Inf when none).
func kthRef(row []float32, k int) (kth, minPos float32) {
	s := slices.Clone(row)
	slices.Sort(s)
	minPos = float32(math.Inf(1))
	if i, _ := slices.BinarySearch(s, math.Float32frombits(1)); i < len(s) {
		minPos = s[i]
	}
	return s[len(s)-k], minPos
}

// requireKth: got is the k-th largest when it is positive; otherwise (fewer than k positives)
// a threshold in [0, smallest positive], so that v >= got and v > 0 keeps every positive value.
func requireKth(t *testing.T, row []float32, k int, got float32, msg string) {
	t.Helper()
	kth, minPos := kthRef(row, k)
	if kth > 0 {
		require.Equal(t, kth, got, msg)
		return
	}
	require.True(t, got >= 0 && got <= minPos, "%s: %g not in [0, %g]", msg, got, minPos)
}

// kthRows makes rows that exercise the bisection: spread magnitudes, ties at the k-th
// value, exact zeros, rows with fewer than k positives, all-zero rows, tiny subnormals.
func kthRows(rng *rand.Rand, rows, n, k int) []float32 {
	flat := make([]float32, rows*n)
	for r := range rows {
		row := flat[r*n : (r+1)*n]
		for i := range row {
			switch r % 6 {
			case 0: // ReLU of a Gaussian: about half zeros
				row[i] = float32(max(rng.NormFloat64(), 0))
			case 1: // magnitudes over many octaves
				row[i] = float32(math.Exp(rng.NormFloat64() * 10))
			case 2: // heavy ties
				row[i] = float32(rng.IntN(4)) * 0.25
			case 3: // fewer than k positives
				if i < k/2 {
					row[i] = rng.Float32() + 0.5
				}
			case 4: // all zero
			case 5: // subnormals and a few large values
				row[i] = math.Float32frombits(uint32(rng.IntN(1 << 20)))
				if i%17 == 0 {
					row[i] = 3e38
				}
			}
		}
	}
	return flat
}

// kthLargest equals the sorted k-th largest on rows of every kind, for several k, and topK
// keeps exactly the positive values at or above it.
func TestKthLargestMatchesSort(t *testing.T) {
	b, err := models.NewBackend("go")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const rows, n = 36, 200
	for _, k := range []int{1, 7, 32, 200} {
		flat := kthRows(rng, rows, n, k)
		out, err := ExecOnce(b, func(v *Node) *Node { return kthLargest(v, k) },
			tensors.FromFlatDataAndDimensions(flat, rows, n))
		require.NoError(t, err)
		got := tensors.MustCopyFlatData[float32](out)
		for r := range rows {
			requireKth(t, flat[r*n:(r+1)*n], k, got[r], fmt.Sprintf("k %d row %d (kind %d)", k, r, r%6))
		}
	}
	// batchTopK's form: one row of the whole batch, k a scalar node.
	flat := kthRows(rng, 6, n, 32)
	out, err := ExecOnce(b, func(v, kk *Node) *Node { return kthLargestN(v, kk) },
		tensors.FromFlatDataAndDimensions(flat, 1, 6*n), tensors.FromScalar(float32(96)))
	require.NoError(t, err)
	requireKth(t, flat, 96, tensors.MustCopyFlatData[float32](out)[0], "whole batch")
}

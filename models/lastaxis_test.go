package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// lastAxisRange gives Slice's bits, and so do the gradients of the three ranges of a fused
// q|k|v projection taken together (the shape of fusedQKV's split), for batches of one and more.
func TestLastAxisRangeSameBitsAsSlice(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][4]int{{1, 512, 576, 192}, {3, 37, 256, 128}, {2, 1, 64, 32}} {
		batch, seq, qDim, kvDim := s[0], s[1], s[2], s[3]
		n := qDim + 2*kvDim
		vals := make([]float32, batch*seq*n)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 2)
		}
		vals[0], vals[1] = 0, float32(math.Copysign(0, -1)) // signed zeros pass through as they are
		x := tensors.FromFlatDataAndDimensions(vals, batch, seq, n)
		run := func(split func(x *Node, from, to int) *Node) [][]float32 {
			res := MustNewExec(backend, func(x *Node) []*Node {
				q, k, v := split(x, 0, qDim), split(x, qDim, qDim+kvDim), split(x, qDim+kvDim, n)
				// A loss that uses each range differently: non-constant cotangents.
				loss := Add(Add(ReduceAllSum(Mul(q, StopGradient(Sin(q)))), ReduceAllSum(Mul(k, StopGradient(Cos(k))))),
					ReduceAllSum(Square(v)))
				return []*Node{q, k, v, Gradient(loss, x)[0]}
			}).MustCall(x)
			out := make([][]float32, len(res))
			for i, r := range res {
				out[i] = tensors.MustCopyFlatData[float32](r)
			}
			return out
		}
		want := run(func(x *Node, from, to int) *Node { return SliceAxis(x, -1, AxisRange(from, to)) })
		got := run(lastAxisRange)
		for i, what := range []string{"q", "k", "v", "gradient"} {
			requireSameBits(t, what+": Slice vs lastAxisRange", want[i], got[i])
		}
	}
}

// TestAxisRangeSameBitsAsSlice: axisRange equals Slice along an inner axis (the attention
// blocks' ranges of queries, keys and values), at the start, the middle and the end.
func TestAxisRangeSameBitsAsSlice(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(9, 10))
	vals := make([]float32, 2*3*40*3*8)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	x := tensors.FromFlatDataAndDimensions(vals, 2, 3, 40, 3, 8)
	for _, r := range []struct{ axis, from, to int }{{2, 0, 16}, {2, 16, 33}, {2, 33, 40}, {1, 1, 3}, {3, 0, 2}} {
		res := MustNewExec(backend, func(x *Node) []*Node {
			return []*Node{SliceAxis(x, r.axis, AxisRange(r.from, r.to)), axisRange(x, r.axis, r.from, r.to)}
		}).MustCall(x)
		require.Equal(t, res[0].Shape().Dimensions, res[1].Shape().Dimensions)
		requireSameBits(t, fmt.Sprintf("axis %d [%d, %d): Slice vs axisRange", r.axis, r.from, r.to),
			tensors.MustCopyFlatData[float32](res[0]), tensors.MustCopyFlatData[float32](res[1]))
	}
}

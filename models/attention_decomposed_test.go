package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/stretchr/testify/require"
)

// TestDecomposedAttentionMatchesCore: decomposedAttention gives GoMLX's decomposed
// attention.Core (BSHD, masked softmax) output and probabilities, and the gradients of a loss on
// them with respect to q, k and v, bit for bit: grouped-query and plain heads, causal and
// sliding-window masks, sequence lengths that do and do not fill the matmul's row tiles. (With
// the query rows in group-then-position order instead, 3 key-value heads of 2 queries rounded
// some scores differently.)
func TestDecomposedAttentionMatchesCore(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	for _, tc := range []struct{ heads, kvHeads, window, seq int }{
		{4, 4, 0, 11}, {6, 2, 0, 11}, {6, 3, 0, 11}, {6, 3, 5, 11}, {6, 2, 5, 11}, {9, 3, 0, 37}, {9, 3, 0, 64}, {9, 9, 0, 37},
	} {
		t.Run(fmt.Sprintf("h%d_kv%d_w%d_s%d", tc.heads, tc.kvHeads, tc.window, tc.seq), func(t *testing.T) {
			const batch, hd = 2, 8
			seq := tc.seq
			rng := rand.New(rand.NewPCG(5, uint64(tc.heads*10+tc.window)))
			rnd := func(h int) *tensors.Tensor {
				v := make([]float32, batch*seq*h*hd)
				for i := range v {
					v[i] = float32(rng.NormFloat64()) * 2
				}
				return tensors.FromFlatDataAndDimensions(v, batch, seq, h, hd)
			}
			q, k, v := rnd(tc.heads), rnd(tc.kvHeads), rnd(tc.kvHeads)
			scale := 1 / math.Sqrt(hd)
			outs, err := ExecOnceN(backend, func(q, k, v *Node) []*Node {
				var mask *Node
				if tc.window > 0 {
					mask = slidingWindowMask(q.Graph(), seq, tc.window)
				}
				o, p := decomposedAttention(q, k, v, mask, scale)
				p = headsFirst(p)
				opts := attention.CoreOptions{Scale: scale, WantCoefficients: true, AttentionMask: mask, UseCausalMask: mask == nil}
				ro, rp := attention.Core(q, k, v, attention.LayoutBSHD, opts)
				rp = TransposeAllAxes(rp, 0, 2, 1, 3) // [batch, heads, seq, seq]
				w := Iota(q.Graph(), o.Shape(), -1)   // a loss that weighs every output differently
				loss := ReduceAllSum(Mul(o, ConvertDType(w, o.DType())))
				rloss := ReduceAllSum(Mul(ro, ConvertDType(w, ro.DType())))
				g := Gradient(loss, q, k, v)
				rg := Gradient(rloss, q, k, v)
				return []*Node{o, ro, p, rp, g[0], rg[0], g[1], rg[1], g[2], rg[2]}
			}, q, k, v)
			require.NoError(t, err)
			flat := func(i int) []float32 { return tensors.MustCopyFlatData[float32](outs[i]) }
			for i, name := range []string{"output", "probabilities", "dq", "dk", "dv"} {
				require.Equal(t, flat(2*i+1), flat(2*i), name)
			}
		})
	}
}

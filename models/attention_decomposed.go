package models

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// decomposedAttention is causal attention as two matmuls around a masked softmax, for backends
// without a fast fused kernel (the pure-Go one). It computes what GoMLX's decomposed
// attention.Core (BSHD layout) computes, bit for bit, with fewer passes over the scores:
//   - the scores stay in the layout the query-key matmul makes ([batch, kvHeads, seq, group,
//     seq]), which the softmax and the second matmul read as they are, where the BSHD path
//     transposes them into [batch, seq, heads, seq] and back; only q, k, v and the output are
//     transposed, a fraction of the scores' size whenever seq > headDim;
//   - the mask is applied once, as -Inf before an ordinary softmax (exp(-Inf) is 0, so the sums
//     and quotients are those of a masked softmax), where MaskedSoftmax selects four times.
//
// The query rows keep attention.Core's order (position, then group): laid out the other way the
// backend's matmul rounds some scores differently (TestDecomposedAttentionMatchesCore).
//
// q: [batch, seq, heads, headDim]; k, v: [batch, seq, kvHeads, headDim] (heads a multiple of
// kvHeads); mask: [1, seq, 1, seq] boolean or nil for causal. Returns the output
// [batch, seq, heads, headDim] and the probabilities [batch, kvHeads, seq, group, seq]
// (headsFirst lays them out per head).
func decomposedAttention(q, k, v, mask *Node, scale float64) (out, coef *Node) {
	g := q.Graph()
	batch, seq, h, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	kvh := k.Shape().Dim(2)
	grp := h / kvh
	// [batch, kvHeads, seq, group, headDim]: the query rows in attention.Core's order (position,
	// then group), so that every score goes through the same matmul kernel path as there.
	qh := TransposeAllAxes(Reshape(q, batch, seq, kvh, grp, hd), 0, 2, 1, 3, 4)
	kh, vh := TransposeAllAxes(k, 0, 2, 1, 3), TransposeAllAxes(v, 0, 2, 1, 3) // [batch, kvHeads, seq, headDim]
	var allowed *Node                                                          // [1, 1, seq, 1, seq]
	if mask == nil {
		allowed = Reshape(LowerTriangular(g, seq), 1, 1, seq, 1, seq)
	} else {
		allowed = Reshape(mask, 1, 1, seq, 1, seq)
	}
	scores := MulScalar(Einsum("bhqgd,bhkd->bhqgk", qh, kh), scale) // [batch, kvHeads, seq, group, seq]
	scores = Where(allowed, scores, Scalar(g, scores.DType(), math.Inf(-1)))
	e := Exp(Sub(scores, StopGradient(ReduceAndKeep(scores, ReduceMax, -1))))
	p := Div(e, ReduceAndKeep(e, ReduceSum, -1))
	o := Einsum("bhqgk,bhkd->bhqgd", p, vh) // [batch, kvHeads, seq, group, headDim]
	out = Reshape(TransposeAllAxes(o, 0, 2, 1, 3, 4), batch, seq, h, hd)
	return out, p
}

// headsFirst lays decomposedAttention's probabilities out as [batch, heads, seq, seq].
// p: [batch, kvHeads, seq, group, seq].
func headsFirst(p *Node) *Node {
	b, kvh, seq, grp := p.Shape().Dim(0), p.Shape().Dim(1), p.Shape().Dim(2), p.Shape().Dim(3)
	return Reshape(TransposeAllAxes(p, 0, 1, 3, 2, 4), b, kvh*grp, seq, seq)
}

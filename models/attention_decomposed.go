package models

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// decomposedAttention is causal attention as two matmuls around a masked softmax, for the
// pure-Go backend's inference graphs (handDecomposed). It computes what GoMLX's decomposed
// attention.Core (BSHD layout, boolean mask) computes, bit for bit, with fewer passes over the
// [seq, seq] scores: they stay in the layout the query-key matmul makes ([batch, kvHeads, seq,
// group, seq]), which the softmax and the second matmul read as they are, where Core's
// einsums transpose them into [batch, seq, kvHeads, group, seq] and back. The same matmuls run
// on the same operands: the query rows in Core's order (position, then group), the keys
// transposed as Core's score einsum lays them out, the values passed in Core's layout, so that
// every product takes the same kernel (TestDecomposedAttentionMatchesCore). Gradients are not
// Core's bit for bit, so training graphs keep Core.
//
// q: [batch, seq, heads, headDim]; k, v: [batch, seq, kvHeads, headDim] (heads a multiple of
// kvHeads); mask: [1, seq, 1, seq] boolean or nil for causal. Returns the output
// [batch, seq, heads, headDim] and the probabilities in Core's layout [batch, seq, heads, seq]
// (a transpose, computed only when used).
func decomposedAttention(q, k, v, mask *Node, scale float64) (out, coef *Node) {
	g := q.Graph()
	batch, seq, h, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	kvh := k.Shape().Dim(2)
	grp := h / kvh
	qh := TransposeAllAxes(Reshape(q, batch, seq, kvh, grp, hd), 0, 2, 1, 3, 4) // [batch, kvHeads, seq, group, headDim]
	kh := TransposeAllAxes(k, 0, 2, 1, 3)                                       // [batch, kvHeads, seq, headDim]
	if mask == nil && blockedCausal(batch*kvh, grp, hd, seq) {
		o, p := blockedCausalAttention(qh, kh, v, scale)
		return Reshape(TransposeAllAxes(o, 0, 2, 1, 3, 4), batch, seq, h, hd),
			Reshape(TransposeAllAxes(p, 0, 2, 1, 3, 4), batch, seq, h, seq)
	}
	var allowed *Node // [1, 1, seq, 1, seq]
	if mask == nil {
		allowed = Reshape(LowerTriangular(g, seq), 1, 1, seq, 1, seq)
	} else {
		allowed = Reshape(mask, 1, 1, seq, 1, seq)
	}
	scores := MulScalar(Einsum("bhqgd,bhkd->bhqgk", qh, kh), scale) // [batch, kvHeads, seq, group, seq]
	scores = Where(allowed, scores, Scalar(g, scores.DType(), math.Inf(-1)))
	e := Exp(Sub(scores, StopGradient(ReduceAndKeep(scores, ReduceMax, -1))))
	p := Div(e, ReduceAndKeep(e, ReduceSum, -1))
	o := Einsum("bhqgk,bkhd->bhqgd", p, v) // [batch, kvHeads, seq, group, headDim]
	out = Reshape(TransposeAllAxes(o, 0, 2, 1, 3, 4), batch, seq, h, hd)
	coef = Reshape(TransposeAllAxes(p, 0, 2, 1, 3, 4), batch, seq, h, seq)
	return out, coef
}

// handDecomposed says whether attention in this graph runs as decomposedAttention: the pure-Go
// backend's inference graphs (the graph parameter Model.exec sets).
func handDecomposed(scope *model.Scope, g *Graph) bool {
	return useHandAttention && model.GetGraphParamOr(scope, g, goInferenceParam, false)
}

// useHandAttention lets the pure-Go backend's inference graphs run decomposedAttention; tests
// turn it off to compare with attention.Core.
var useHandAttention = true

package models

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// decomposedAttention is causal attention as two matmuls around a masked softmax, for backends
// without a fast fused kernel (the pure-Go one). Two choices make it cheaper than GoMLX's
// decomposed attention.Core on the same backend:
//   - heads before positions: the scores come out of the query-key matmul in the layout the
//     softmax and the second matmul read, where the BSHD layout transposes the
//     [batch, seq, heads, seq] scores into and out of it; only q, k, v and the output are
//     transposed, a fraction of the scores' size whenever seq > headDim;
//   - RoPE applied after that transpose, where its [seq, headDim] tables broadcast over the
//     leading axes (the backend's vectorised case) rather than over the heads between them;
//   - the mask applied once, as -Inf before an ordinary softmax (exp(-Inf) is 0, so the sums and
//     quotients are those of a masked softmax), where MaskedSoftmax selects on the mask four
//     times over the scores.
//
// The values are attention.Core's to float32 rounding (TestDecomposedAttentionMatchesCore), and
// bit for bit wherever the backend runs both layouts' matmuls through the same kernel: the
// shards of SmolLM2 and of the tinycoder (states, lookback ratios, log-probs) were compared.
// q: [batch, seq, heads, headDim]; k, v: [batch, seq, kvHeads, headDim] (heads a multiple of
// kvHeads), before RoPE; rope: nil for none; mask: [1, seq, 1, seq] boolean or nil for causal. Returns the output
// [batch, seq, heads, headDim] and the probabilities [batch, heads, seq, seq].
func decomposedAttention(q, k, v *Node, rope *rotary, mask *Node, scale float64) (out, coef *Node) {
	g := q.Graph()
	batch, seq, h, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	kvh := k.Shape().Dim(2)
	toBHSD := func(x *Node) *Node { return TransposeAllAxes(x, 0, 2, 1, 3) }
	qh, kh, vh := toBHSD(q), toBHSD(k), toBHSD(v) // [batch, heads or kvHeads, seq, headDim]
	if rope != nil {
		qh, kh = rope.applyBHSD(qh), rope.applyBHSD(kh)
	}
	var allowed *Node // [1, 1, seq, seq]
	if mask == nil {
		allowed = Reshape(LowerTriangular(g, seq), 1, 1, seq, seq)
	} else {
		allowed = Reshape(mask, 1, 1, seq, seq)
	}
	scoreEq, outEq := "bhqd,bhkd->bhqk", "bhqk,bhkd->bhqd"
	if h != kvh { // grouped-query heads: [batch, kvHeads, group, seq, ...], kvHeads a batch axis
		qh = Reshape(qh, batch, kvh, h/kvh, seq, hd)
		allowed = InsertAxes(allowed, 2)
		scoreEq, outEq = "bhgqd,bhkd->bhgqk", "bhgqk,bhkd->bhgqd"
	}
	scores := MulScalar(Einsum(scoreEq, qh, kh), scale) // [batch, (kv)heads, (group,) seq, seq]
	scores = Where(allowed, scores, Scalar(g, scores.DType(), math.Inf(-1)))
	e := Exp(Sub(scores, StopGradient(ReduceAndKeep(scores, ReduceMax, -1))))
	p := Div(e, ReduceAndKeep(e, ReduceSum, -1))
	o := Einsum(outEq, p, vh) // [batch, (kv)heads, (group,) seq, headDim]
	return toBHSD(Reshape(o, batch, h, seq, hd)), Reshape(p, batch, h, seq, seq)
}

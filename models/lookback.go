package models

import (
	"math"
	"slices"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// lookbackFromPattern reduces attention probabilities to the lookback mass: for each query
// position, the mean over heads of the probability on keys before start. Used when the layer's
// pattern is computed anyway.
// coef: [batch, seq, heads, seq] (BSHD score layout); start: [batch, seq] int32; returns
// [batch, seq].
func lookbackFromPattern(coef, start *Node) *Node {
	kv := coef.Shape().Dim(3)
	before := beforeMask(start, kv, 1)                                                 // [batch, seq, 1, kv]
	mass := ReduceSum(Where(before, coef, ScalarZero(coef.Graph(), coef.DType())), -1) // [batch, seq, heads]
	return ReduceMean(mass, -1)
}

// lookbackFromScores computes the lookback mass from queries and keys without materialising
// normalised probabilities: with e_j = exp(s_j - max s) over the keys a query may attend to,
// mass = sum_{j < start} e_j / sum_j e_j, averaged over the heads. The layer's output stays on
// the backend's fused attention kernel, so asking for the lookback changes no other value. On
// the pure-Go backend this costs about as much as reducing a decomposed layer's probabilities
// (both within 2 % of a pass without it; BenchmarkLookback), and copying the pattern out costs
// 20-90 % more.
// q: [batch, seq, heads, headDim]; k: [batch, seq, kvHeads, headDim] (after RoPE);
// start: [batch, seq] int32; mask: [1, seq, 1, seq] boolean or nil for causal; returns
// [batch, seq].
func lookbackFromScores(q, k, start, mask *Node, scale float64) *Node {
	g := q.Graph()
	batch, seq, h, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	kvh := k.Shape().Dim(2)
	// Scale the small query rather than the scores, and lay the scores out as the matmul makes
	// them (heads before positions): no pass over the big tensor is spent on either.
	q5 := Reshape(MulScalar(q, scale), batch, seq, kvh, h/kvh, hd) // [batch, seq, kvHeads, group, headDim]
	scores := Einsum("bqngd,bknd->bngqk", q5, k)                   // [batch, kvHeads, group, seq, seq]
	var allowed *Node                                              // [1, 1, 1, seq, seq]
	if mask == nil {
		allowed = Reshape(LowerTriangular(g, seq), 1, 1, 1, seq, seq)
	} else {
		allowed = Reshape(mask, 1, 1, 1, seq, seq)
	}
	scores = Where(allowed, scores, Scalar(g, scores.DType(), math.Inf(-1)))
	e := Exp(Sub(scores, ReduceAndKeep(scores, ReduceMax, -1))) // masked keys: exp(-inf) = 0
	total := ReduceSum(e, -1)                                   // [batch, kvHeads, group, seq]
	before := Reshape(beforeMask(start, seq, 0), batch, 1, 1, seq, seq)
	mass := Div(ReduceSum(Where(before, e, ScalarZero(g, e.DType())), -1), total) // [batch, kvHeads, group, seq]
	return ReduceMean(mass, 1, 2)
}

// beforeMask is true where key position j < start[b, t].
// start: [batch, seq] int32; returns [batch, seq, 1, ..., 1, kv] boolean with mid axes of size 1
// between the query and key axes (for broadcasting over heads).
func beforeMask(start *Node, kv, mid int) *Node {
	ones := slices.Repeat([]int{1}, mid+1)
	keyDims := append([]int{1, 1}, ones[:mid]...)
	keys := Iota(start.Graph(), shapes.Make(int32Type, append(keyDims, kv)...), mid+2)             // [1, 1, 1..., kv]
	bound := Reshape(start, append([]int{start.Shape().Dim(0), start.Shape().Dim(1)}, ones...)...) // [batch, seq, 1..., 1]
	return LessThan(keys, bound)
}

package finetune

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Padding: every loss here works on a batch of B lists padded to n items. mask [B, n] is 1 for a
// real item and 0 for padding; padded items take no probability mass, no rank and no gain, so a
// list's loss is the same whatever its padding (tested). A list with no real item is allowed (it
// gives finite values and zero gradients); callers give it zero weight.

// safeEps bounds the ideal-DCG denominators so that lists without gain give 0 rather than 0/0.
const safeEps = 1e-10

// safeDen returns sum where the row/column has a real entry and 1 where it has none, so that a
// normalisation of an empty row or column gives exact zeros with zero gradient. (A small floor
// such as max(sum, ε) would not do: its gradient multiplies by 1/ε at every Sinkhorn iteration
// and overflows to inf·0 = NaN.)
// sum, has: same shape, has is 1 (some real entry) or 0.
func safeDen(sum, has *Node) *Node { return Add(sum, oneMinus(has)) }

// maskedSoftmaxLast is a softmax over the last axis restricted to the real entries; padded
// entries get exactly 0, and a row without real entries is all 0 (no NaN, in value or gradient).
// logits: [..., n]; mask: float [..., n] broadcastable to logits (1 real, 0 padding); returns
// [..., n].
func maskedSoftmaxLast(logits, mask *Node) *Node {
	g := logits.Graph()
	keep := GreaterThan(BroadcastToShape(mask, logits.Shape()), ScalarZero(g, mask.DType())) // bool [..., n]
	low := Scalar(g, logits.DType(), -1e30)
	mx := StopGradient(ReduceAndKeep(Where(keep, logits, low), ReduceMax, -1))             // [..., 1]
	shifted := Sub(Where(keep, logits, mx), mx)                                            // [..., n], 0 on padding
	fmask := BroadcastToShape(mask, logits.Shape())                                        // [..., n]
	num := Mul(Exp(shifted), fmask)                                                        // [..., n]
	den := safeDen(ReduceAndKeep(num, ReduceSum, -1), ReduceAndKeep(fmask, ReduceMax, -1)) // [..., 1]
	return Div(num, den)
}

// maskedLogSoftmaxLast is log(softmax) over the real entries of the last axis; padded entries
// hold finite values that callers must mask. logits, mask: [..., n]; returns [..., n].
func maskedLogSoftmaxLast(logits, mask *Node) *Node {
	g := logits.Graph()
	keep := GreaterThan(mask, ScalarZero(g, mask.DType()))
	low := Scalar(g, logits.DType(), -1e30)
	mx := StopGradient(ReduceAndKeep(Where(keep, logits, low), ReduceMax, -1))                                // [..., 1]
	shifted := Sub(Where(keep, logits, mx), mx)                                                               // [..., n]
	sum := safeDen(ReduceAndKeep(Mul(Exp(shifted), mask), ReduceSum, -1), ReduceAndKeep(mask, ReduceMax, -1)) // [..., 1]
	return Sub(shifted, Log(sum))
}

// neuralSort returns the relaxed permutation matrices of NeuralSort (Grover et al. 2019), made
// doubly stochastic by Sinkhorn scaling as in NeuralNDCG (Pobrotyn & Białobrzeski 2021).
//
// For a list of m real items with scores s, row i (0-based rank, descending scores) is
//
//	P̂[i, :] = softmax(((m − 1 − 2i)·s − A_s·1) / τ),   A_s[j, k] = |s_j − s_k|,
//
// the softmax and the sums of A_s running over real items only. Rows i ≥ m and padded columns are
// 0. As τ → 0, P̂ tends to the permutation matrix that sorts s (distinct scores). Sinkhorn
// scaling then alternates row and column normalisation iters times (ending on columns, so every
// real item's mass sums to one and the gains are conserved).
//
// scores: [B, n]; mask: [B, n] (1 real, 0 padding); returns P̂: [B, n, n], P̂[b, rank, item].
func neuralSort(scores, mask *Node, tau float64, iters int) *Node {
	g := scores.Graph()
	dt := scores.DType()
	B, n := scores.Shape().Dim(0), scores.Shape().Dim(1)
	m := ReduceSum(mask, -1) // [B] real items per list

	sItem := Reshape(scores, B, 1, n)                             // [B, 1, n] s_j along columns
	absDiff := Abs(Sub(Reshape(scores, B, n, 1), sItem))          // [B, n, n] |s_j − s_k| at [b, j, k]
	rowSum := ReduceSum(Mul(absDiff, Reshape(mask, B, 1, n)), -1) // [B, n]    (A_s·1)_j over real k

	rank := Iota(g, shapes.Make(dt, 1, n), 1)                                   // [1, n] i = 0..n-1
	coef := Sub(AddScalar(Reshape(m, B, 1), -1), MulScalar(rank, 2))            // [B, n] m − 1 − 2i
	logits := Sub(Mul(Reshape(coef, B, n, 1), sItem), Reshape(rowSum, B, 1, n)) // [B, n, n]
	logits = MulScalar(logits, 1/tau)

	p := maskedSoftmaxLast(logits, Reshape(mask, B, 1, n))                               // [B, n, n] rows sum to 1
	rowMask := ConvertDType(LessThan(BroadcastToDims(rank, B, n), Reshape(m, B, 1)), dt) // [B, n] i < m
	p = Mul(p, Reshape(rowMask, B, n, 1))                                                // ranks past the list: 0
	rowAny, colAny := Reshape(rowMask, B, n, 1), Reshape(mask, B, 1, n)
	for range iters {
		p = Div(p, safeDen(ReduceAndKeep(p, ReduceSum, -1), rowAny)) // rows
		p = Div(p, safeDen(ReduceAndKeep(p, ReduceSum, -2), colAny)) // columns
	}
	return p
}

// discounts returns the DCG discounts 1/log2(i+2) of ranks i = 0..n-1 as a constant.
// Returns [1, n].
func discounts(g *Graph, n int) *Node {
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(1 / math.Log2(float64(i)+2))
	}
	return Reshape(Const(g, d), 1, n)
}

// gainsOf turns graded relevance into DCG gains 2^rel − 1 (0 on padding).
// rel, mask: [B, n]; returns [B, n].
func gainsOf(rel, mask *Node) *Node {
	return Mul(AddScalar(Exp(MulScalar(rel, math.Ln2)), -1), mask)
}

// neuralNDCG is the NeuralNDCG of each list: the DCG of the gains "sorted" by NeuralSort's
// doubly stochastic P̂, divided by the ideal DCG.
//
//	NeuralNDCG = Σ_i disc_i · (P̂ g)_i / IDCG,  g = 2^rel − 1,  disc_i = 1/log2(i+2)
//
// scores, mask, rel: [B, n]; idcg: [B] (the ideal DCG of rel, from idealDCG; 0 gives 0);
// returns [B].
func neuralNDCG(scores, mask, rel, idcg *Node, tau float64, iters int) *Node {
	B, n := scores.Shape().Dim(0), scores.Shape().Dim(1)
	p := neuralSort(scores, mask, tau, iters)                             // [B, n, n]
	sorted := ReduceSum(Mul(p, Reshape(gainsOf(rel, mask), B, 1, n)), -1) // [B, n] gain at each rank
	dcg := ReduceSum(Mul(sorted, discounts(scores.Graph(), n)), -1)       // [B]
	return Div(dcg, MaxScalar(idcg, safeEps))
}

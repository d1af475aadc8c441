package finetune

import (
	"math"
	"sort"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// approxNDCG is ApproxNDCG (Qin, Liu & Li 2010): each real item's rank is smoothed as
//
//	π̂_i = 1 + Σ_{j≠i, real} σ((s_j − s_i)/τ)
//
// and ApproxNDCG = Σ_i g_i / log2(1 + π̂_i) / IDCG; as τ → 0, π̂ tends to the exact 1-based rank
// (distinct scores).
// scores, mask, rel: [B, n]; idcg: [B]; returns [B].
func approxNDCG(scores, mask, rel, idcg *Node, tau float64) *Node {
	B, n := scores.Shape().Dim(0), scores.Shape().Dim(1)
	diff := MulScalar(Sub(Reshape(scores, B, 1, n), Reshape(scores, B, n, 1)), 1/tau) // [B, i, j] (s_j − s_i)/τ
	beats := Mul(Sigmoid(diff), Reshape(mask, B, 1, n))                               // [B, n, n]
	rank := AddScalar(ReduceSum(beats, -1), 0.5)                                      // [B, n] 1 + Σ_j − σ(0)
	disc := Div(Scalar(scores.Graph(), scores.DType(), math.Ln2), Log1p(rank))        // [B, n] 1/log2(1+π̂)
	dcg := ReduceSum(Mul(gainsOf(rel, mask), disc), -1)                               // [B]
	return Div(dcg, MaxScalar(idcg, safeEps))
}

// listNet is ListNet's top-one cross-entropy between the distribution of the graded relevance
// and that of the scores, both softmaxed over the real items of a list:
//
//	ListNet = −Σ_j softmax(rel)_j · log softmax(s)_j
//
// scores, mask, rel: [B, n]; returns [B].
func listNet(scores, mask, rel *Node) *Node {
	target := maskedSoftmaxLast(rel, mask)       // [B, n], 0 on padding
	logp := maskedLogSoftmaxLast(scores, mask)   // [B, n]
	return Neg(ReduceSum(Mul(target, logp), -1)) // [B]
}

// bceWithLogits is the binary cross-entropy of logits against 0/1 targets, computed stably as
// max(x, 0) − x·y + log(1 + exp(−|x|)).
// logits, targets: same shape; returns that shape.
func bceWithLogits(logits, targets *Node) *Node {
	return Add(Sub(relu(logits), Mul(logits, targets)), Log1p(Exp(Neg(Abs(logits)))))
}

// relu is max(x, 0).
func relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

// aggregateLines reduces the line logits of each list to one snippet logit: the last real line's
// ("last"), the mean over real lines ("mean") or their maximum ("max"). An empty list gives 0
// (last, mean) or −1e30 (max).
// scores, mask: [B, n]; returns [B].
func aggregateLines(scores, mask *Node, kind string) *Node {
	g := scores.Graph()
	B, n := scores.Shape().Dim(0), scores.Shape().Dim(1)
	m := ReduceSum(mask, -1) // [B]
	switch kind {
	case AggregateLast:
		pos := BroadcastToDims(Iota(g, shapes.Make(scores.DType(), 1, n), 1), B, n)       // [B, n]
		last := ConvertDType(Equal(pos, Reshape(AddScalar(m, -1), B, 1)), scores.DType()) // [B, n] one-hot at m−1
		return ReduceSum(Mul(scores, last), -1)
	case AggregateMean:
		return Div(ReduceSum(Mul(scores, mask), -1), MaxScalar(m, 1))
	default: // AggregateMax
		keep := GreaterThan(mask, ScalarZero(g, mask.DType()))
		return ReduceMax(Where(keep, scores, Scalar(g, scores.DType(), -1e30)), -1)
	}
}

// relevance derives graded relevance from 0/1 line labels (see RelevanceProximity and
// RelevanceBinary); window is Config.RelevanceWindow.
func relevance(labels []int32, scheme string, window int) []float64 {
	rel := make([]float64, len(labels))
	for i, l := range labels {
		if l == 0 {
			continue
		}
		if scheme == RelevanceBinary {
			rel[i] = 1
			continue
		}
		rel[i] = 2
		for j := max(0, i-window); j <= min(len(labels)-1, i+window); j++ {
			if labels[j] == 0 {
				rel[j] = 1
			}
		}
	}
	return rel
}

// gain is the DCG gain of a graded relevance.
func gain(rel float64) float64 { return math.Exp2(rel) - 1 }

// idealDCG is the DCG of rel sorted in decreasing order (ranks 1-based, discount 1/log2(r+1)).
func idealDCG(rel []float64) float64 {
	s := append([]float64(nil), rel...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	dcg := 0.0
	for i, r := range s {
		dcg += gain(r) / math.Log2(float64(i)+2)
	}
	return dcg
}

// exactNDCG is the NDCG of the ranking of scores (decreasing; ties broken by line order) against
// graded relevance rel; NaN when the list has no gain.
func exactNDCG(scores, rel []float64) float64 {
	ideal := idealDCG(rel)
	if ideal == 0 {
		return math.NaN()
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	dcg := 0.0
	for r, i := range idx {
		dcg += gain(rel[i]) / math.Log2(float64(r)+2)
	}
	return dcg / ideal
}

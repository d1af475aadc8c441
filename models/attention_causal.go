package models

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// causalBlock is the query block of blockedCausalAttention. 128 rather than 256 splits the tiny
// code LM's 256-token passes too (BenchmarkForwardTiny states: 11 962-12 214 -> 12 376-12 941
// tokens/s, 2 vCPU AMD EPYC); SmolLM2's passes ran alike with either. A multiple of 64, because the
// pure-Go backend's AVX-512 sum over a row adds 64 floats a round into four accumulators, then 16
// at a time, then one by one: a block's rows then end on a round's boundary, where the whole
// rows' further terms (zeros) change no accumulator.
var causalBlock = 128

// largeMatMulFlops is the size (batch × rows × columns × contraction) from which the pure-Go
// backend multiplies with its packed kernel (compute v0.1.14's matmul.SmallMatMulSizeThreshold);
// smaller products take another kernel, which sums in another order.
const largeMatMulFlops = 4 << 20

// blockedCausal says whether decomposedAttention runs a causal layer as
// blockedCausalAttention: when the sequence spans more than one block (causalBlocks) and every
// product of the blocks (and so the whole rows' products, which are larger) runs on the packed
// kernel, whose sums do not depend on the rows' and columns' counts; only then are the blocks'
// values the whole rows' bits. heads: batch × kvHeads (the products' batch); group: query heads
// per key head.
func blockedCausal(heads, group, headDim, seq int) bool {
	bs := causalBlocks(seq)
	if !useBlockedCausal || len(bs) < 2 {
		return false
	}
	for _, b := range bs {
		if heads*(b.hi-b.lo)*group*b.hi*headDim < largeMatMulFlops {
			return false
		}
	}
	return true
}

// queryBlock is the queries [lo, hi) of one block, which attend to the keys [0, hi).
type queryBlock struct{ lo, hi int }

// causalBlocks cuts seq queries into blocks of causalBlock, the last taking the remainder, or,
// when the remainder is under half a block, merged with it (a sliver of queries would make
// products too small for the packed kernel).
func causalBlocks(seq int) []queryBlock {
	var bs []queryBlock
	for lo := 0; lo < seq; lo += causalBlock {
		bs = append(bs, queryBlock{lo, min(lo+causalBlock, seq)})
	}
	if n := len(bs); n > 1 && bs[n-1].hi-bs[n-1].lo < causalBlock/2 {
		bs[n-2].hi = seq
		bs = bs[:n-1]
	}
	return bs
}

// useBlockedCausal lets decomposedAttention run causal attention as blockedCausalAttention;
// tests and benchmarks turn it off to compare.
var useBlockedCausal = true

// blockedCausalAttention is decomposedAttention's causal case computed a block of causalBlock
// queries at a time, each block against the keys up to its last query only: the scores above the
// diagonal block, which the mask sets to -inf and the softmax to exactly 0, are never computed:
// about (1 + 1/blocks) / 2 of the query-key and probability-value products and of the softmax's
// passes remain. The values are decomposedAttention's bit for bit (TestBlockedCausalSameBits): the
// kept scores are the same dot products; the maximum is exact in any order; the dropped terms of
// the softmax's sums and of the second matmul's contraction are exact zeros at their ends, and
// adding zero changes no partial sum.
//
// qh: [batch, kvHeads, seq, group, headDim]; kh: [batch, kvHeads, seq, headDim]; v: [batch,
// seq, kvHeads, headDim]. Returns o [batch, kvHeads, seq, group, headDim] and the probabilities
// p [batch, kvHeads, seq, group, seq] (zeros above the diagonal; computed only when used).
func blockedCausalAttention(qh, kh, v *Node, scale float64) (o, p *Node) {
	g := qh.Graph()
	seq := qh.Shape().Dim(2)
	var os, ps []*Node
	for _, b := range causalBlocks(seq) {
		lo, hi := b.lo, b.hi
		qb := axisRange(qh, 2, lo, hi)                        // [batch, kvHeads, n, group, headDim]
		kb := axisRange(kh, 2, 0, hi)                         // [batch, kvHeads, hi, headDim]
		vb := axisRange(v, 1, 0, hi)                          // [batch, hi, kvHeads, headDim]
		rows := Iota(g, shapes.Make(int32Type, hi-lo, hi), 0) // query lo+i
		cols := Iota(g, shapes.Make(int32Type, hi-lo, hi), 1) // key j
		allowed := Reshape(LessOrEqual(cols, AddScalar(rows, float64(lo))), 1, 1, hi-lo, 1, hi)
		scores := MulScalar(Einsum("bhqgd,bhkd->bhqgk", qb, kb), scale) // [batch, kvHeads, n, group, hi]
		scores = Where(allowed, scores, Scalar(g, scores.DType(), math.Inf(-1)))
		e := Exp(Sub(scores, StopGradient(ReduceAndKeep(scores, ReduceMax, -1))))
		pb := Div(e, ReduceAndKeep(e, ReduceSum, -1))
		os = append(os, Einsum("bhqgk,bkhd->bhqgd", pb, vb)) // [batch, kvHeads, n, group, headDim]
		if hi < seq {
			pb = Pad(pb, ScalarZero(g, pb.DType()), PadAxis{}, PadAxis{}, PadAxis{}, PadAxis{}, PadAxis{End: seq - hi})
		}
		ps = append(ps, pb)
	}
	return Concatenate(os, 2), Concatenate(ps, 2) // blockedCausal: at least two blocks
}

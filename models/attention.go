package models

import (
	"math"

	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
)

// selfAttention is causal multi-head attention with grouped-query heads and optional RoPE.
// x: [batch, seq, d]; returns the output [batch, seq, d] and, when wantPattern, the attention
// probabilities [batch, heads, seq, seq] (otherwise nil, and the backend may use a fused kernel).
func selfAttention(cfg *Config, scope *model.Scope, x *Node, rope *rotary, wantPattern bool) (out, pattern *Node) {
	batch, seq := x.Shape().Dim(0), x.Shape().Dim(1)
	h, kvh, hd := cfg.NumHeads, cfg.NumKVHeads, cfg.HeadDim

	var q, k, v *Node
	if cfg.ModelType == "gpt2" { // one fused Conv1D: [batch, seq, 3d] split as q | k | v
		qkv := conv1D(scope.In("qkv"), x, 3*cfg.DModel)
		parts := Split(qkv, -1, 3)
		q, k, v = parts[0], parts[1], parts[2]
	} else {
		q = linear(scope.In("q"), x, h*hd, cfg.QKVBias)
		k = linear(scope.In("k"), x, kvh*hd, cfg.QKVBias)
		v = linear(scope.In("v"), x, kvh*hd, cfg.QKVBias)
	}
	q = Reshape(q, batch, seq, h, hd)   // [batch, seq, heads, headDim]
	k = Reshape(k, batch, seq, kvh, hd) // [batch, seq, kvHeads, headDim]
	v = Reshape(v, batch, seq, kvh, hd)
	if rope != nil {
		q, k = rope.apply(q), rope.apply(k)
	}

	opts := attention.CoreOptions{
		Scale:            1 / math.Sqrt(float64(hd)),
		WantCoefficients: wantPattern,
	}
	if cfg.SlidingWindow > 0 && seq > cfg.SlidingWindow {
		opts.AttentionMask = slidingWindowMask(x.Graph(), seq, cfg.SlidingWindow)
	} else {
		opts.UseCausalMask = true
	}
	o, coef := attention.Core(q, k, v, attention.LayoutBSHD, opts) // o: [batch, seq, heads, headDim]
	if wantPattern {
		pattern = TransposeAllAxes(coef, 0, 2, 1, 3) // [batch, seq, heads, seq] -> [batch, heads, seq, seq]
	}
	o = Reshape(o, batch, seq, h*hd)
	if cfg.ModelType == "gpt2" {
		return conv1D(scope.In("o"), o, cfg.DModel), pattern
	}
	return linear(scope.In("o"), o, cfg.DModel, cfg.OutBias), pattern
}

// slidingWindowMask allows query i to see keys j with i - window < j <= i.
// Returns a boolean mask [1, seq, 1, seq] (BSHD score layout).
func slidingWindowMask(g *Graph, seq, window int) *Node {
	causal := LowerTriangular(g, seq)                         // j <= i
	i := Iota(g, shapes.Make(int32Type, seq, seq), 0)         // row index
	j := Iota(g, shapes.Make(int32Type, seq, seq), 1)         // column index
	inWindow := GreaterThan(j, SubScalar(i, float64(window))) // j > i - window
	return Reshape(LogicalAnd(causal, inWindow), 1, seq, 1, seq)
}

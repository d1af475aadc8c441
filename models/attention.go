package models

import (
	"math"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/nn"

	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
)

// attnWant says what an attention layer must expose besides its output.
type attnWant struct {
	// pattern asks for the probabilities [batch, heads, seq, seq].
	pattern bool
	// start, when not nil, asks for the lookback mass before these boundaries: [batch, seq] int32.
	start *Node
}

// attnCaptures holds what an attention layer exposed: pattern [batch, heads, seq, seq] and
// lookback [batch, seq], each nil unless asked for.
type attnCaptures struct{ pattern, lookback *Node }

// selfAttention is causal multi-head attention with grouped-query heads and optional RoPE.
// x: [batch, seq, d]; returns the output [batch, seq, d] and the captures want asks for. Without
// a pattern the backend may use a fused kernel for the output. keep ([batch, P] int32, nil for
// every position) projects the output of those positions only: [batch, P, d].
func selfAttention(cfg *Config, scope *model.Scope, x *Node, rope *rotary, want attnWant, keep *Node) (out *Node, caps attnCaptures) {
	batch, seq := x.Shape().Dim(0), x.Shape().Dim(1)
	h, kvh, hd := cfg.NumHeads, cfg.NumKVHeads, cfg.HeadDim

	var q, k, v *Node
	if cfg.ModelType == "gpt2" { // one fused Conv1D: [batch, seq, 3d] split as q | k | v
		qkv := conv1D(scope.In("qkv"), x, 3*cfg.DModel)
		parts := Split(qkv, -1, 3)
		q, k, v = parts[0], parts[1], parts[2]
	} else {
		q, k, v = fusedQKV(scope, x, h*hd, kvh*hd, cfg.QKVBias)
	}
	q = Reshape(q, batch, seq, h, hd)   // [batch, seq, heads, headDim]
	k = Reshape(k, batch, seq, kvh, hd) // [batch, seq, kvHeads, headDim]
	v = Reshape(v, batch, seq, kvh, hd)
	if rope != nil {
		q, k = rope.apply(q), rope.apply(k)
	}

	scale := 1 / math.Sqrt(float64(hd))
	var mask *Node // [1, seq, 1, seq] boolean, nil for plain causal attention
	if cfg.SlidingWindow > 0 && seq > cfg.SlidingWindow {
		mask = slidingWindowMask(x.Graph(), seq, cfg.SlidingWindow)
	}
	// The lookback is reduced from the layer's probabilities when they are computed anyway (a
	// pattern is asked for, or the decomposed path is used); otherwise from a separate score pass,
	// leaving the output to the fused kernel.
	decomposed := want.pattern || !useFusedAttention(x.Graph())
	var o, coef *Node // [batch, seq, heads, headDim], [batch, seq, heads, seq]
	if decomposed && handDecomposed(scope, x.Graph()) {
		o, coef = decomposedAttention(q, k, v, mask, scale)
	} else {
		opts := attention.CoreOptions{Scale: scale, WantCoefficients: decomposed, AttentionMask: mask, UseCausalMask: mask == nil}
		o, coef = attention.Core(q, k, v, attention.LayoutBSHD, opts)
	}
	if want.pattern {
		caps.pattern = TransposeAllAxes(coef, 0, 2, 1, 3) // [batch, seq, heads, seq] -> [batch, heads, seq, seq]
	}
	if want.start != nil {
		if decomposed {
			caps.lookback = lookbackFromPattern(coef, want.start)
		} else {
			caps.lookback = lookbackFromScores(q, k, want.start, mask, scale)
		}
	}
	o = Reshape(o, batch, seq, h*hd)
	if keep != nil {
		o = gatherPositions(o, keep) // [batch, P, h*hd]
	}
	if cfg.ModelType == "gpt2" {
		return conv1D(scope.In("o"), o, cfg.DModel), caps
	}
	return linear(scope.In("o"), o, cfg.DModel, cfg.OutBias), caps
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

// fusedQKV projects x to queries, keys and values with one matmul over the concatenated weights
// (the key/value projections alone are narrow matmuls that use the CPU poorly), then splits.
// x: [batch, seq, d]; returns [batch, seq, qDim], [batch, seq, kvDim], [batch, seq, kvDim].
func fusedQKV(scope *model.Scope, x *Node, qDim, kvDim int, bias bool) (q, k, v *Node) {
	g := x.Graph()
	d := x.Shape().Dim(-1)
	sq, sk, sv := scope.In("q"), scope.In("k"), scope.In("v")
	var b *Node
	if bias {
		b = Concatenate([]*Node{weight(sq, g, "biases", qDim), weight(sk, g, "biases", kvDim), weight(sv, g, "biases", kvDim)}, 0)
	}
	var qkv *Node // [batch, seq, qDim + 2 kvDim]
	if w := ioWeight(scope, g, model.JoinPath(scope.Scope(), "qkv", "weights"), x.Shape().Size()/d, d, qDim+2*kvDim); w != nil {
		qkv = nn.Dense(x, w, b, compute.DenseLayoutInputOutputs) // the fused [d, q|k|v] copy (iolayout.go)
	} else {
		w := Concatenate([]*Node{weight(sq, g, "weights", qDim, d), weight(sk, g, "weights", kvDim, d), weight(sv, g, "weights", kvDim, d)}, 0)
		qkv = nn.Dense(x, w, b, compute.DenseLayoutOutputsInput)
	}
	return lastAxisRange(qkv, 0, qDim), lastAxisRange(qkv, qDim, qDim+kvDim), lastAxisRange(qkv, qDim+kvDim, qDim+2*kvDim)
}

// FusedAttentionEnv set to "1" lets the pure-Go backend run attention as its fused kernel; by
// default it runs decomposed (two matmuls around a masked softmax). GoMLX compute v0.1.14's
// AVX-512 fused kernel reduces one query-key dot product at a time: SmolLM2 at 512 tokens ran
// 136 tokens/s with it against ~1 200 decomposed on the same 2 cores (BenchmarkSmolLM2).
// Other backends (XLA) keep their fused attention.
const FusedAttentionEnv = "PTTRUST_FUSED_ATTENTION"

// useFusedAttention says whether attention may use the backend's fused kernel.
func useFusedAttention(g *Graph) bool {
	if !IsPureGo(g.Backend()) {
		return true
	}
	return os.Getenv(FusedAttentionEnv) == "1"
}

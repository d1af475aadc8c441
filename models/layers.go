package models

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// weight returns the variable name in scope with the given shape, as a graph node: the loaded
// value when the store holds one, a freshly initialised one otherwise.
func weight(scope *model.Scope, g *Graph, name string, dims ...int) *Node {
	return scope.VariableWithShape(name, shapes.Make(dtypes.Float32, dims...)).NodeValue(g)
}

// linear applies a torch-layout Linear: y = x W^T (+ b), reading the [in, out] copy of W where
// the graph may (iolayout.go).
// x: [..., in]; weights: [out, in]; returns [..., out].
func linear(scope *model.Scope, x *Node, out int, bias bool) *Node {
	g := x.Graph()
	in := x.Shape().Dim(-1)
	var b *Node
	if bias {
		b = weight(scope, g, "biases", out)
	}
	if w := ioWeight(scope, g, model.JoinPath(scope.Scope(), "weights"), x.Shape().Size()/in, in, out); w != nil {
		return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs) // the [in, out] copy (iolayout.go)
	}
	w := weight(scope, g, "weights", out, in)
	return nn.Dense(x, w, b, compute.DenseLayoutOutputsInput)
}

// conv1D applies a GPT-2 Conv1D: y = x W + b.
// x: [..., in]; weights: [in, out]; returns [..., out].
func conv1D(scope *model.Scope, x *Node, out int) *Node {
	g := x.Graph()
	in := x.Shape().Dim(-1)
	w := weight(scope, g, "weights", in, out)
	b := weight(scope, g, "biases", out)
	return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
}

// rmsNorm is x * rsqrt(mean(x²) + eps) * scale, as in Llama/Qwen2.
// x: [batch, seq, d]; returns [batch, seq, d].
func rmsNorm(scope *model.Scope, x *Node, eps float64) *Node {
	d := x.Shape().Dim(-1)
	scale := weight(scope, x.Graph(), "scale", d)
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	// Div(x, Sqrt(.)) rather than Rsqrt: GoMLX defines no gradient for Rsqrt.
	return Mul(Div(x, Sqrt(AddScalar(ms, eps))), ExpandLeftToRank(scale, x.Rank()))
}

// layerNorm is (x - mean) / sqrt(var + eps) * scale + offset, as torch.nn.LayerNorm.
// x: [batch, seq, d]; returns [batch, seq, d].
func layerNorm(scope *model.Scope, x *Node, eps float64) *Node {
	g := x.Graph()
	d := x.Shape().Dim(-1)
	scale := weight(scope, g, "scale", d)
	offset := weight(scope, g, "offset", d)
	return nn.LayerNorm(x, []int{-1}, eps, scale, offset, nil)
}

// norm applies the family's normalisation.
func norm(cfg *Config, scope *model.Scope, x *Node) *Node {
	if cfg.Family == FamilyLlama {
		return rmsNorm(scope, x, cfg.NormEps)
	}
	return layerNorm(scope, x, cfg.NormEps)
}

// activationOf maps Hugging Face activation names to GoMLX activations.
func activationOf(name string) (activation.Type, error) {
	switch name {
	case "silu", "swish":
		return activation.TypeSilu, nil
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh":
		return activation.TypeGeluApprox, nil
	case "gelu":
		return activation.TypeGelu, nil
	case "relu":
		return activation.TypeRelu, nil
	}
	return activation.TypeNone, fmt.Errorf("field activation: %q is not supported (silu, gelu, gelu_new, gelu_pytorch_tanh, relu)", name)
}

// mlp is the feed-forward half of a block.
// x: [batch, seq, d]; returns [batch, seq, d].
func mlp(cfg *Config, scope *model.Scope, x *Node) *Node {
	act, _ := activationOf(cfg.Activation) // validated with the config.
	d := cfg.DModel
	switch {
	case cfg.Family == FamilyLlama: // SwiGLU: down(act(gate(x)) * up(x))
		gate := activation.Apply(act, linear(scope.In("gate"), x, cfg.DMLP, cfg.MLPBias))
		up := linear(scope.In("up"), x, cfg.DMLP, cfg.MLPBias)
		return linear(scope.In("down"), Mul(gate, up), d, cfg.MLPBias)
	case cfg.ModelType == "gpt2":
		h := activation.Apply(act, conv1D(scope.In("fc"), x, cfg.DMLP))
		return conv1D(scope.In("proj"), h, d)
	default: // StarCoder2
		h := activation.Apply(act, linear(scope.In("fc"), x, cfg.DMLP, cfg.MLPBias))
		return linear(scope.In("proj"), h, d, cfg.MLPBias)
	}
}

// rotary holds the cos/sin tables of RoPE for one sequence length.
type rotary struct {
	// cos and sin: [1, seq, 1, headDim]; sin's first half negated (see apply).
	cos, sin *Node
	// byHeads: the tables broadcast to [1, seq, heads, headDim] (tables), built once per graph
	// for each head count (queries, keys) and shared by every layer.
	byHeads map[int][2]*Node
}

// newRotary builds the tables with Hugging Face's "rotate half" layout: frequency i is used at
// both dimension i and i + headDim/2.
func newRotary(g *Graph, cfg *Config, seq int) *rotary {
	half := cfg.HeadDim / 2
	invFreq := make([]float32, half)
	for i := range invFreq {
		// Computed in float64 then rounded, like torch computes inv_freq in float32 from int64 arange.
		invFreq[i] = float32(1.0 / math.Pow(cfg.RopeTheta, float64(2*i)/float64(cfg.HeadDim)))
	}
	pos := Iota(g, shapes.Make(dtypes.Float32, seq, 1), 0) // [seq, 1]
	freqs := Mul(pos, Reshape(Const(g, invFreq), 1, half)) // [seq, half]
	cos, sin := Cos(freqs), Sin(freqs)                     // [seq, half]
	table := func(a, b *Node) *Node { return Reshape(Concatenate([]*Node{a, b}, -1), 1, seq, 1, cfg.HeadDim) }
	return &rotary{cos: table(cos, cos), sin: table(Neg(sin), sin), byHeads: map[int][2]*Node{}}
}

// tables returns cos and sin broadcast to [1, seq, heads, headDim]: the products with x are then
// element-wise (batch 1) or leading-axis ones, which the pure-Go backend runs as vectors; with
// [1, seq, 1, headDim] they take its generic index iterator (7 % of a small model's pass). The
// broadcast is done at rank 3 and reshaped: that backend drops a BroadcastInDim that directly
// feeds an element-wise op (its ImplicitBroadcastFusion pass), which undid the broadcast before.
func (r *rotary) tables(heads int) (cos, sin *Node) {
	t, ok := r.byHeads[heads]
	if !ok {
		d := r.cos.Shape().Dimensions // [1, seq, 1, headDim]
		full := func(x *Node) *Node {
			return Reshape(BroadcastToDims(Reshape(x, d[1], 1, d[3]), d[1], heads, d[3]), 1, d[1], heads, d[3])
		}
		t = [2]*Node{full(r.cos), full(r.sin)}
		r.byHeads[heads] = t
	}
	return t[0], t[1]
}

// apply rotates x: [batch, seq, heads, headDim] -> same shape: x·cos + [-x2, x1]·sin, x1 and x2
// the halves of x, computed as x·cos + [x2, x1]·[-sin1, sin2] (the same products: negating a
// factor negates a float product exactly). [x2, x1] is one Reverse of the axis of size 2 in
// [..., 2, headDim/2], which the pure-Go backend copies a half row at a time; two Slices and a
// Concatenate (the same values) copied element by element, 2-4 % of a small model's pass.
func (r *rotary) apply(x *Node) *Node {
	b, seq, heads, hd := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	swapped := Reshape(Reverse(Reshape(x, b, seq, heads, 2, hd/2), 3), b, seq, heads, hd) // [x2, x1]
	cos, sin := r.tables(heads)
	return Add(Mul(x, cos), Mul(swapped, sin))
}

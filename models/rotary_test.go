package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// rotateHalfRef is RoPE as Hugging Face writes it: x·cos + rotate_half(x)·sin with
// rotate_half(x) = [-x2, x1] and the [1, seq, 1, headDim] tables of cat(freqs, freqs).
// x: [batch, seq, heads, headDim].
func rotateHalfRef(cfg *Config, x *Node) *Node {
	seq, hd := x.Shape().Dim(1), cfg.HeadDim
	invFreq := make([]float32, hd/2)
	for i := range invFreq {
		invFreq[i] = float32(1.0 / math.Pow(cfg.RopeTheta, float64(2*i)/float64(hd)))
	}
	pos := Iota(x.Graph(), shapes.Make(dtypes.Float32, seq, 1), 0)
	freqs := Mul(pos, Reshape(Const(x.Graph(), invFreq), 1, hd/2))
	emb := Reshape(Concatenate([]*Node{freqs, freqs}, -1), 1, seq, 1, hd)
	x1 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, hd/2))
	x2 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(hd/2))
	rot := Concatenate([]*Node{Neg(x2), x1}, -1)
	return Add(Mul(x, Cos(emb)), Mul(rot, Sin(emb)))
}

// rotary.apply (tables broadcast per head count, sin's first half negated, halves swapped)
// gives the reference's bits, and so does its gradient, for query and key head counts and
// batches of one and more.
func TestRotarySameBitsAsRotateHalf(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	cfg := &Config{HeadDim: 64, RopeTheta: 100000}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{1, 512, 9}, {1, 512, 3}, {3, 37, 9}, {2, 130, 2}} {
		batch, seq, heads := s[0], s[1], s[2]
		vals := make([]float32, batch*seq*heads*cfg.HeadDim)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 3)
		}
		x := tensors.FromFlatDataAndDimensions(vals, batch, seq, heads, cfg.HeadDim)
		run := func(f func(x *Node) *Node) (out, grad []float32) {
			res := MustNewExec(backend, func(x *Node) (*Node, *Node) {
				y := f(x)
				w := Sin(AddScalar(y, 0.5)) // a non-constant cotangent
				return y, Gradient(ReduceAllSum(Mul(y, StopGradient(w))), x)[0]
			}).MustCall(x)
			return tensors.MustCopyFlatData[float32](res[0]), tensors.MustCopyFlatData[float32](res[1])
		}
		once := func(x *Node) *Node { return newRotary(x.Graph(), cfg, seq).apply(x) }
		twice := func(x *Node) *Node { // the second call reuses the broadcast tables
			r := newRotary(x.Graph(), cfg, seq)
			return r.apply(r.apply(x))
		}
		refTwice := func(x *Node) *Node { return rotateHalfRef(cfg, rotateHalfRef(cfg, x)) }
		for _, c := range []struct {
			name      string
			ref, mine func(*Node) *Node
		}{{"once", func(x *Node) *Node { return rotateHalfRef(cfg, x) }, once}, {"twice", refTwice, twice}} {
			wantY, wantG := run(c.ref)
			gotY, gotG := run(c.mine)
			require.NotEqual(t, vals, wantY, "the rotation moved nothing")
			requireSameBits(t, fmt.Sprintf("%v %s output, rotate_half (want) vs rotary.apply", s, c.name), wantY, gotY)
			requireSameBits(t, fmt.Sprintf("%v %s gradient, rotate_half (want) vs rotary.apply", s, c.name), wantG, gotG)
		}
	}
}

package models

import (
	"fmt"
	"path"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Inference copies of the matmul weights in the [in, out] layout, for the pure-Go backend.
//
// Checkpoints keep torch's [out, in] layout, which GoMLX compute v0.1.14's matmul takes as a
// "transposed" right operand: its AVX-512 path packs that operand into kernel panels with a
// generic Go loop (unsafePackLHS, ~13 % of a SmolLM2 states pass), where an [in, out] operand is
// packed by an assembly copy into the same panels. The inference graphs of the pure-Go backend
// therefore read host-made [in, out] copies (IOScope), made once per model and shared by every
// compiled graph, wherever a product takes the backend's packed path: the kernel then reads the
// same panels, so the results are the same bits (TestIOWeightsSameBits). Below
// ioMinFlops multiply-adds the backend multiplies in place with kernels that differ by
// layout, and the [out, in] weights stay.

// IOScope is the store scope of the [in, out] inference copies: IOScope + a weight's path. They
// are not model parameters: Save, checkpoints and the trainer leave them out.
const IOScope = "/io"

// IsIOCopy says whether the store path is an [in, out] inference copy rather than a parameter.
func IsIOCopy(path string) bool { return strings.HasPrefix(path, IOScope+"/") }

// ioMinFlops is GoMLX compute v0.1.14's matmul.SmallMatMulSizeThreshold (an internal package):
// products of fewer multiply-adds take its unpacked kernels. TestIOWeightsSameBits checks the
// products on both sides of it.
const ioMinFlops = 4 << 20

// useIOWeights lets the pure-Go backend's graphs read the [in, out] copies; tests turn it off to
// compare the two layouts.
var useIOWeights = true

// goInferenceParam marks a graph (at the root scope) as an inference graph of the pure-Go
// backend: it reads the [in, out] copies and runs attention as decomposedAttention.
const goInferenceParam = "pttrust_go_inference"

// ioPath is the store path of the [in, out] copy of the weight at path.
func ioPath(path string) string { return IOScope + path }

// fusedQKVPath is the store path of layer l's fused query/key/value projection copy
// ([d, q + 2 kv]: the three [out, in] weights transposed side by side).
func fusedQKVPath(l int) string { return ioPath(fmt.Sprintf("/layer_%d/attn/qkv/weights", l)) }

// ioWeight returns the [in, out] copy of the weight at path when the graph may read it and a
// product of rows × in × out multiply-adds takes the packed path; nil otherwise.
func ioWeight(scope *model.Scope, g *Graph, path string, rows, in, out int) *Node {
	if rows*in*out < ioMinFlops || !useIOWeights || !model.GetGraphParamOr(scope, g, goInferenceParam, false) {
		return nil
	}
	v := scope.Store().GetVariable(ioPath(path))
	if v == nil {
		return nil
	}
	return v.NodeValue(g)
}

// makeIOWeights sets the store's [in, out] copies from the current weights: every torch Linear
// weight but the separate q, k, v projections, one fused q|k|v copy per layer, and the token
// table when it is the tied output projection. GPT-2's Conv1D weights are [in, out] already.
func makeIOWeights(cfg *Config, store *model.Store) error {
	if cfg.ModelType == "gpt2" {
		return nil
	}
	value := func(path string) (*tensors.Tensor, error) {
		v := store.GetVariable(path)
		if v == nil {
			return nil, fmt.Errorf("models: no variable %s", path)
		}
		return v.Value()
	}
	set := func(path string, srcs ...string) error {
		ws := make([]*tensors.Tensor, len(srcs))
		for i, src := range srcs {
			var err error
			if ws[i], err = value(src); err != nil {
				return err
			}
		}
		t, err := transposed(ws...)
		if err != nil {
			return fmt.Errorf("models: %s: %w", path, err)
		}
		if v := store.GetVariable(path); v != nil {
			return v.SetValue(t)
		}
		_, err = store.CreateVariable(path, t)
		return err
	}
	for _, p := range cfg.Params() {
		_, part := path.Split(p.Scope)
		qkv := path.Base(path.Dir(p.Scope)) == "attn" && (part == "q" || part == "k" || part == "v")
		if len(p.Shape) != 2 || qkv || p.Name == "positions" || (p.Name == "tokens" && !cfg.TiedEmbeddings) {
			continue
		}
		if err := set(ioPath(p.Path()), p.Path()); err != nil {
			return err
		}
	}
	for l := range cfg.NumLayers {
		w := func(part string) string { return fmt.Sprintf("/layer_%d/attn/%s/weights", l, part) }
		if err := set(fusedQKVPath(l), w("q"), w("k"), w("v")); err != nil {
			return err
		}
	}
	return nil
}

// transposed returns [in, out₁ + out₂ + …] from float32 matrices [outᵢ, in]: each transposed,
// side by side.
func transposed(ws ...*tensors.Tensor) (*tensors.Tensor, error) {
	in, out := ws[0].Shape().Dim(1), 0
	for _, w := range ws {
		if w.DType() != dtypes.Float32 || w.Rank() != 2 || w.Shape().Dim(1) != in {
			return nil, fmt.Errorf("want float32 [out, %d] matrices, got %s", in, w.Shape())
		}
		out += w.Shape().Dim(0)
	}
	dst := make([]float32, in*out)
	col := 0
	for _, w := range ws {
		rows := w.Shape().Dim(0)
		err := tensors.ConstFlatData(w, func(src []float32) {
			for o := range rows {
				for i, x := range src[o*in : (o+1)*in] {
					dst[i*out+col+o] = x
				}
			}
		})
		if err != nil {
			return nil, err
		}
		col += rows
	}
	return tensors.FromFlatDataAndDimensions(dst, in, out), nil
}

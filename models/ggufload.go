package models

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/pttrust/pttrust/internal/matrix"
	"github.com/pttrust/pttrust/models/gguf"
)

// ggufSource is where a parameter comes from in a GGUF file and how its data is rearranged.
type ggufSource struct {
	name string
	// permuteHeads > 0 undoes llama.cpp's q/k row permutation with that many heads.
	permuteHeads int
	// transpose turns a [out, in] matrix into GPT-2's Conv1D [in, out].
	transpose bool
}

var hfLayer = regexp.MustCompile(`^(?:model\.layers|h)\.(\d+)\.(.+)$`)

// ggufSourceOf names the GGUF tensor behind a parameter's Hugging Face name.
func ggufSourceOf(cfg *Config, hf string) (ggufSource, bool) {
	whole := map[string]string{
		"model.embed_tokens.weight": "token_embd.weight", "wte.weight": "token_embd.weight",
		"wpe.weight": "position_embd.weight", "lm_head.weight": "output.weight",
		"model.norm.weight": "output_norm.weight", "model.norm.bias": "output_norm.bias",
		"ln_f.weight": "output_norm.weight", "ln_f.bias": "output_norm.bias",
	}
	if g, ok := whole[hf]; ok {
		return ggufSource{name: g}, true
	}
	m := hfLayer.FindStringSubmatch(hf)
	if m == nil {
		return ggufSource{}, false
	}
	blk, rest := "blk."+m[1]+".", m[2]
	suffix := rest[strings.LastIndexByte(rest, '.'):] // ".weight" / ".bias"
	part := strings.TrimSuffix(rest, suffix)
	names := map[string]string{
		"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
		"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
		"self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
		"mlp.down_proj": "ffn_down", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down",
		"ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
	}
	g, ok := names[part]
	if !ok {
		return ggufSource{}, false
	}
	src := ggufSource{name: blk + g + suffix}
	if cfg.ModelType == "llama" { // llama.cpp permutes q/k rows for its interleaved RoPE
		switch part {
		case "self_attn.q_proj":
			src.permuteHeads = cfg.NumHeads
		case "self_attn.k_proj":
			src.permuteHeads = cfg.NumKVHeads
		}
	}
	if cfg.ModelType == "gpt2" && suffix == ".weight" && part != "ln_1" && part != "ln_2" {
		src.transpose = true
	}
	return src, true
}

// ggufExtra are tensors a GGUF file may carry that the model does not load: GPT-2 exports
// repeat the tied embedding as output.weight.
func ggufExtra(cfg *Config, name string) bool {
	return cfg.ModelType == "gpt2" && name == "output.weight"
}

// LoadGGUF reads a GGUF checkpoint (see ConfigFromGGUF for the architectures), dequantizes
// every tensor to float32 and undoes llama.cpp's layout changes: the q/k row permutation of
// the llama architecture (so RoPE is Hugging Face's rotate-half again) and GPT-2's transposed
// Conv1D weights. Every expected tensor must be present with the expected shape and no
// unexpected tensor may be present; errors name the file and each tensor.
func LoadGGUF(path string, backend compute.Backend) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	cfg, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	params := cfg.Params()
	srcs := make([]ggufSource, len(params))
	var problems []string
	used := map[string]bool{}
	for i, p := range params {
		src, ok := ggufSourceOf(cfg, p.HF)
		if !ok {
			return nil, fmt.Errorf("models: %s: no GGUF name for parameter %s", path, p.HF)
		}
		srcs[i] = src
		used[src.name] = true
		t, ok := f.Tensor(src.name)
		if !ok {
			problems = append(problems, fmt.Sprintf("missing tensor %s (for %s, shape %v)", src.name, p.HF, p.Shape))
			continue
		}
		want := p.Shape
		if src.transpose {
			want = []int{p.Shape[1], p.Shape[0]}
		}
		if !slices.Equal(t.Shape, want) {
			problems = append(problems, fmt.Sprintf("tensor %s has shape %v, the metadata implies %v", src.name, t.Shape, want))
		} else if !t.Type.Supported() {
			problems = append(problems, fmt.Sprintf("tensor %s has type %s, which is not supported (supported: %v)", src.name, t.Type, gguf.SupportedTypes()))
		}
	}
	for _, t := range f.Tensors {
		if !used[t.Name] && !ggufExtra(cfg, t.Name) {
			problems = append(problems, "unexpected tensor "+t.Name)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], "... and "+strconv.Itoa(len(problems)-20)+" more")
		}
		return nil, fmt.Errorf("models: GGUF file %s does not match its metadata:\n  %s", path, strings.Join(problems, "\n  "))
	}
	store := model.NewStore()
	for i, p := range params {
		data, err := f.Float32(srcs[i].name)
		if err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		switch {
		case srcs[i].permuteHeads > 0:
			if data, err = unpermuteRows(data, p.Shape, srcs[i].permuteHeads); err != nil {
				return nil, fmt.Errorf("models: %s: tensor %s: %w", path, srcs[i].name, err)
			}
		case srcs[i].transpose:
			data = matrix.Transpose(data, p.Shape[1], p.Shape[0])
		}
		if _, err := store.CreateVariable(p.Path(), tensors.FromFlatDataAndDimensions(data, p.Shape...)); err != nil {
			return nil, fmt.Errorf("models: %s: tensor %s: %w", path, srcs[i].name, err)
		}
	}
	return &Model{Config: cfg, Store: store, Backend: backend, Source: path, execs: map[string]*model.Exec{}}, nil
}

// unpermuteRows undoes llama.cpp's convert_hf_to_gguf permutation of q/k projections: within
// each head of hd rows, GGUF row 2i+j holds Hugging Face row j·hd/2+i (j ∈ {0, 1}). shape is
// [heads·hd] or [heads·hd, in].
func unpermuteRows(data []float32, shape []int, heads int) ([]float32, error) {
	rows := shape[0]
	if heads <= 0 || rows%heads != 0 || (rows/heads)%2 != 0 {
		return nil, fmt.Errorf("%d rows do not split into %d heads of even size", rows, heads)
	}
	cols := 1
	if len(shape) == 2 {
		cols = shape[1]
	}
	hd := rows / heads
	out := make([]float32, len(data))
	for h := range heads {
		for i := range hd / 2 {
			for j := range 2 {
				src, dst := h*hd+2*i+j, h*hd+j*hd/2+i
				copy(out[dst*cols:(dst+1)*cols], data[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}

package models

import (
	"fmt"

	"github.com/pttrust/pttrust/models/gguf"
)

// ConfigFromGGUF maps the metadata of a GGUF file (general.architecture "llama", "qwen2",
// "starcoder2" or "gpt2", with llama.cpp's <arch>.* keys) to a Config. Which biases exist is
// read from the tensors (blk.0.attn_q.bias, ...), tied embeddings from the absence of
// output.weight. Scaled RoPE and partial rotary dimensions are refused, as for config.json.
// llama.cpp's StarCoder2 files carry no sliding window unless starcoder2.attention.sliding_window
// is set: the model then attends over its whole context, as in llama.cpp.
func ConfigFromGGUF(f *gguf.File) (*Config, error) {
	md := f.Metadata
	arch, err := md.String("general.architecture")
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("models: %s: %s", f.Path, fmt.Sprintf(format, args...))
	}
	geti := func(key string, dst *int, def int) error {
		if _, ok := md.Get(key); !ok {
			if def < 0 {
				return fail("metadata key %s is missing", key)
			}
			*dst = def
			return nil
		}
		v, err := md.Int(key)
		if err != nil {
			return err
		}
		if v <= 0 || v > 1<<30 {
			return fail("metadata key %s = %d is out of range", key, v)
		}
		*dst = int(v)
		return nil
	}
	getf := func(key string, dst *float64, def float64) error {
		if _, ok := md.Get(key); !ok {
			if def < 0 {
				return fail("metadata key %s is missing", key)
			}
			*dst = def
			return nil
		}
		v, err := md.Float(key)
		*dst = v
		return err
	}
	has := func(name string) bool { _, ok := f.Tensor(name); return ok }

	c := &Config{ModelType: arch}
	switch arch {
	case "llama", "qwen2":
		c.Family, c.Activation, c.Rotary = FamilyLlama, "silu", true
	case "starcoder2":
		c.Family, c.Activation, c.Rotary = FamilyGPT2, "gelu_pytorch_tanh", true
	case "gpt2":
		c.Family, c.Activation = FamilyGPT2, "gelu_new"
	default:
		return nil, fail("general.architecture %q is not supported (supported: llama, qwen2, starcoder2, gpt2)", arch)
	}
	for _, e := range []error{
		geti(arch+".block_count", &c.NumLayers, -1),
		geti(arch+".embedding_length", &c.DModel, -1),
		geti(arch+".attention.head_count", &c.NumHeads, -1),
		geti(arch+".context_length", &c.MaxPositions, 2048),
	} {
		if e != nil {
			return nil, e
		}
	}
	if err := geti(arch+".attention.head_count_kv", &c.NumKVHeads, c.NumHeads); err != nil {
		return nil, err
	}
	if err := geti(arch+".feed_forward_length", &c.DMLP, 4*c.DModel); err != nil {
		return nil, err
	}
	if err := geti(arch+".attention.key_length", &c.HeadDim, c.DModel/max(1, c.NumHeads)); err != nil {
		return nil, err
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Shape) != 2 {
		return nil, fail("tensor token_embd.weight is missing or not 2-D")
	}
	c.VocabSize = emb.Shape[0]
	if err := geti(arch+".vocab_size", &c.VocabSize, c.VocabSize); err != nil {
		return nil, err
	}
	if c.Family == FamilyLlama {
		err = getf(arch+".attention.layer_norm_rms_epsilon", &c.NormEps, 1e-6)
	} else {
		err = getf(arch+".attention.layer_norm_epsilon", &c.NormEps, 1e-5)
	}
	if err != nil {
		return nil, err
	}
	if c.Rotary {
		if err := getf(arch+".rope.freq_base", &c.RopeTheta, 10000); err != nil {
			return nil, err
		}
		var dims int
		if err := geti(arch+".rope.dimension_count", &dims, c.HeadDim); err != nil {
			return nil, err
		}
		if dims != c.HeadDim {
			return nil, fail("%s.rope.dimension_count = %d: partial rotary embeddings (head_dim %d) are not supported", arch, dims, c.HeadDim)
		}
		if v, ok := md.Get(arch + ".rope.scaling.type"); ok {
			if s, _ := v.V.(string); s != "" && s != "none" {
				return nil, fail("%s.rope.scaling.type %q is not supported (only unscaled RoPE)", arch, s)
			}
		}
		if has("rope_freqs.weight") {
			return nil, fail("tensor rope_freqs.weight (scaled RoPE, e.g. Llama 3.1) is not supported")
		}
	}
	switch arch {
	case "gpt2":
		c.QKVBias, c.OutBias, c.MLPBias, c.TiedEmbeddings = true, true, true, true
	case "starcoder2":
		b := has("blk.0.attn_q.bias")
		c.QKVBias, c.OutBias, c.MLPBias = b, b, b
		c.TiedEmbeddings = !has("output.weight")
		if v, ok := md.Get(arch + ".attention.sliding_window"); ok {
			if w, ok := v.Int(); ok && w > 0 {
				c.SlidingWindow = int(w)
			}
		}
	default:
		c.QKVBias = has("blk.0.attn_q.bias")
		c.OutBias = has("blk.0.attn_output.bias")
		c.MLPBias = has("blk.0.ffn_up.bias")
		c.TiedEmbeddings = !has("output.weight")
		if arch == "qwen2" && !c.QKVBias {
			return nil, fail("qwen2 without attention biases (blk.0.attn_q.bias is missing)")
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fail("%v", err)
	}
	return c, nil
}

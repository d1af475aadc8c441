package models

import (
	"fmt"
	"regexp"
)

// Param is one weight tensor of a model: its Hugging Face name, where it lives in the GoMLX
// variable store, and its shape in the Hugging Face layout (which is also the layout the forward
// pass consumes, so checkpoints load and save without transposes).
type Param struct {
	// HF is the tensor name in model.safetensors.
	HF string
	// Scope is the GoMLX scope path of the variable, e.g. "layer_3/attn/q".
	Scope string
	// Name is the variable name inside Scope: "weights", "biases", "scale" or "offset".
	Name string
	// Shape in the Hugging Face layout: torch Linear weights are [out, in], GPT-2 Conv1D
	// weights are [in, out].
	Shape []int
	// NoDecay marks the norm scales/offsets and biases, which AdamW does not decay.
	NoDecay bool
}

// Path is the full store path of the variable.
func (p Param) Path() string { return "/" + p.Scope + "/" + p.Name }

// Size is the number of elements.
func (p Param) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Params lists every weight of the model in a stable order.
func (c *Config) Params() []Param {
	if c.Family == FamilyGPT2 && c.ModelType == "gpt2" {
		return c.gpt2Params()
	}
	return c.llamaLikeParams()
}

type paramList []Param

func (l *paramList) add(hf, scope, name string, noDecay bool, shape ...int) {
	*l = append(*l, Param{HF: hf, Scope: scope, Name: name, Shape: shape, NoDecay: noDecay})
}

// linear adds the weight ([out, in]) and optionally the bias of a torch Linear.
func (l *paramList) linear(hf, scope string, out, in int, bias bool) {
	l.add(hf+".weight", scope, "weights", false, out, in)
	if bias {
		l.add(hf+".bias", scope, "biases", true, out)
	}
}

// norm adds the scale and optionally the offset of an RMSNorm/LayerNorm.
func (l *paramList) norm(hf, scope string, d int, offset bool) {
	l.add(hf+".weight", scope, "scale", true, d)
	if offset {
		l.add(hf+".bias", scope, "offset", true, d)
	}
}

// llamaLikeParams covers Llama, Qwen2, Mistral and StarCoder2, which share the "model.layers.{i}"
// naming.
func (c *Config) llamaLikeParams() []Param {
	var l paramList
	d, q, kv := c.DModel, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	layerNorm := c.Family == FamilyGPT2 // StarCoder2 uses LayerNorm with bias.
	l.add("model.embed_tokens.weight", "embed", "tokens", false, c.VocabSize, d)
	for i := 0; i < c.NumLayers; i++ {
		hf, sc := fmt.Sprintf("model.layers.%d", i), fmt.Sprintf("layer_%d", i)
		l.norm(hf+".input_layernorm", sc+"/attn_norm", d, layerNorm)
		l.linear(hf+".self_attn.q_proj", sc+"/attn/q", q, d, c.QKVBias)
		l.linear(hf+".self_attn.k_proj", sc+"/attn/k", kv, d, c.QKVBias)
		l.linear(hf+".self_attn.v_proj", sc+"/attn/v", kv, d, c.QKVBias)
		l.linear(hf+".self_attn.o_proj", sc+"/attn/o", d, q, c.OutBias)
		l.norm(hf+".post_attention_layernorm", sc+"/mlp_norm", d, layerNorm)
		if c.Family == FamilyLlama {
			l.linear(hf+".mlp.gate_proj", sc+"/mlp/gate", c.DMLP, d, c.MLPBias)
			l.linear(hf+".mlp.up_proj", sc+"/mlp/up", c.DMLP, d, c.MLPBias)
			l.linear(hf+".mlp.down_proj", sc+"/mlp/down", d, c.DMLP, c.MLPBias)
		} else {
			l.linear(hf+".mlp.c_fc", sc+"/mlp/fc", c.DMLP, d, c.MLPBias)
			l.linear(hf+".mlp.c_proj", sc+"/mlp/proj", d, c.DMLP, c.MLPBias)
		}
	}
	l.norm("model.norm", "final_norm", d, layerNorm)
	if !c.TiedEmbeddings {
		l.add("lm_head.weight", "lm_head", "weights", false, c.VocabSize, d)
	}
	return l
}

// gpt2Params follows the original GPT-2 names (no "transformer." prefix; the loader strips it when
// present). Conv1D weights are stored [in, out].
func (c *Config) gpt2Params() []Param {
	var l paramList
	d := c.DModel
	l.add("wte.weight", "embed", "tokens", false, c.VocabSize, d)
	l.add("wpe.weight", "embed", "positions", false, c.MaxPositions, d)
	for i := 0; i < c.NumLayers; i++ {
		hf, sc := fmt.Sprintf("h.%d", i), fmt.Sprintf("layer_%d", i)
		l.norm(hf+".ln_1", sc+"/attn_norm", d, true)
		l.add(hf+".attn.c_attn.weight", sc+"/attn/qkv", "weights", false, d, 3*d)
		l.add(hf+".attn.c_attn.bias", sc+"/attn/qkv", "biases", true, 3*d)
		l.add(hf+".attn.c_proj.weight", sc+"/attn/o", "weights", false, d, d)
		l.add(hf+".attn.c_proj.bias", sc+"/attn/o", "biases", true, d)
		l.norm(hf+".ln_2", sc+"/mlp_norm", d, true)
		l.add(hf+".mlp.c_fc.weight", sc+"/mlp/fc", "weights", false, d, c.DMLP)
		l.add(hf+".mlp.c_fc.bias", sc+"/mlp/fc", "biases", true, c.DMLP)
		l.add(hf+".mlp.c_proj.weight", sc+"/mlp/proj", "weights", false, c.DMLP, d)
		l.add(hf+".mlp.c_proj.bias", sc+"/mlp/proj", "biases", true, d)
	}
	l.norm("ln_f", "final_norm", d, true)
	return l
}

// ignoredBuffers matches non-parameter buffers that some checkpoints carry (causal-mask buffers
// of old GPT-2 exports, rotary inverse frequencies of old Llama exports). They are recomputed,
// never loaded.
var ignoredBuffers = regexp.MustCompile(`^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$|` +
	`^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$`)

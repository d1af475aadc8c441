package models

import (
	"encoding/json"
	"fmt"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/pttrust/pttrust/models/safetensors"
)

// HFConfig renders the configuration as a Hugging Face config.json object for its model_type,
// so that transformers (and this package) can load a saved checkpoint.
func (c *Config) HFConfig() map[string]any {
	m := map[string]any{"model_type": c.ModelType, "vocab_size": c.VocabSize, "torch_dtype": "float32"}
	switch c.ModelType {
	case "gpt2":
		m["architectures"] = []string{"GPT2LMHeadModel"}
		m["n_embd"], m["n_layer"], m["n_head"] = c.DModel, c.NumLayers, c.NumHeads
		m["n_positions"], m["n_ctx"], m["n_inner"] = c.MaxPositions, c.MaxPositions, c.DMLP
		m["layer_norm_epsilon"], m["activation_function"] = c.NormEps, c.Activation
		m["tie_word_embeddings"] = true
		return m
	case "starcoder2":
		m["architectures"] = []string{"Starcoder2ForCausalLM"}
		m["norm_epsilon"], m["use_bias"] = c.NormEps, c.QKVBias
		m["sliding_window"] = nil
		if c.SlidingWindow > 0 {
			m["sliding_window"] = c.SlidingWindow
		}
	case "qwen2":
		m["architectures"] = []string{"Qwen2ForCausalLM"}
		m["rms_norm_eps"] = c.NormEps
		m["use_sliding_window"], m["sliding_window"] = c.SlidingWindow > 0, c.SlidingWindow
	case "mistral":
		m["architectures"] = []string{"MistralForCausalLM"}
		m["rms_norm_eps"], m["sliding_window"] = c.NormEps, c.SlidingWindow
	default:
		m["architectures"] = []string{"LlamaForCausalLM"}
		m["rms_norm_eps"] = c.NormEps
		m["attention_bias"], m["mlp_bias"] = c.QKVBias, c.MLPBias
	}
	m["hidden_size"], m["intermediate_size"] = c.DModel, c.DMLP
	m["num_hidden_layers"], m["num_attention_heads"], m["num_key_value_heads"] = c.NumLayers, c.NumHeads, c.NumKVHeads
	m["head_dim"], m["max_position_embeddings"] = c.HeadDim, c.MaxPositions
	m["rope_theta"], m["hidden_act"] = c.RopeTheta, c.Activation
	m["tie_word_embeddings"] = c.TiedEmbeddings
	return m
}

// SaveOptions controls how a checkpoint is written.
type SaveOptions struct {
	// DType of the weights on disk: "F32" (default), "BF16" or "F16".
	DType safetensors.DType
	// MaxShardBytes splits the weights into model-0000i-of-0000n.safetensors files plus an index
	// when they exceed it; 0 writes a single model.safetensors.
	MaxShardBytes int64
	// Metadata is stored in the safetensors header (e.g. what produced the weights).
	Metadata map[string]string
}

// Save writes the model as a Hugging Face checkpoint directory: config.json and the safetensors
// weights. Each file is written to a temporary name and renamed, so a crash never leaves a
// half-written file under the final name.
func (m *Model) Save(dir string, opts SaveOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	var ts []safetensors.Tensor
	for _, p := range m.Config.Params() {
		v := m.Store.GetVariable(p.Path())
		if v == nil {
			return fmt.Errorf("models: saving %s: variable %s (tensor %s) is missing", dir, p.Path(), p.HF)
		}
		val, err := v.Value()
		if err != nil {
			return fmt.Errorf("models: saving %s: tensor %s: %w", dir, p.HF, err)
		}
		data, err := tensors.CopyFlatData[float32](val)
		if err != nil {
			return fmt.Errorf("models: saving %s: tensor %s: %w", dir, p.HF, err)
		}
		switch opts.DType {
		case "", "F32":
			ts = append(ts, safetensors.F32Tensor(p.HF, p.Shape, data))
		case "BF16":
			ts = append(ts, safetensors.BF16Tensor(p.HF, p.Shape, data))
		case "F16":
			ts = append(ts, safetensors.F16Tensor(p.HF, p.Shape, data))
		default:
			return fmt.Errorf("models: saving %s: dtype %q not supported (F32, BF16, F16)", dir, opts.DType)
		}
	}
	meta := map[string]string{"format": "pt"}
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	var err error
	if opts.MaxShardBytes > 0 {
		err = safetensors.WriteSharded(dir, ts, meta, opts.MaxShardBytes)
	} else {
		err = safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, meta)
	}
	if err != nil {
		return fmt.Errorf("models: saving %s: %w", dir, err)
	}
	hf := m.Config.HFConfig()
	if opts.DType == "BF16" {
		hf["torch_dtype"] = "bfloat16"
	} else if opts.DType == "F16" {
		hf["torch_dtype"] = "float16"
	}
	data, err := json.MarshalIndent(hf, "", "  ")
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, ConfigFile), append(data, '\n'))
}

// writeFileAtomic writes data to path atomically (see package atomicfile).
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("models: writing %s: %w", path, err)
	}
	return nil
}

package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Family groups architectures that share one block implementation.
type Family string

const (
	// FamilyLlama is the pre-norm RMSNorm + RoPE + SwiGLU + GQA family: Llama, Qwen2, Mistral.
	FamilyLlama Family = "llama"
	// FamilyGPT2 is the pre-norm LayerNorm + GELU MLP family: GPT-2 (learned positions) and
	// StarCoder2 (rotary positions, GQA).
	FamilyGPT2 Family = "gpt2"
)

// Config is the architecture of a decoder-only transformer, normalised from a Hugging Face
// config.json. Every field is in the units the forward pass uses.
type Config struct {
	// ModelType is Hugging Face's model_type: "llama", "qwen2", "mistral", "gpt2" or "starcoder2".
	ModelType string `json:"model_type"`
	// Family selects the block implementation (derived from ModelType).
	Family Family `json:"family"`
	// VocabSize is the number of rows of the token embedding and of the output projection.
	VocabSize int `json:"vocab_size"`
	// DModel is the width of the residual stream (hidden_size / n_embd).
	DModel int `json:"d_model"`
	// NumLayers is the number of decoder blocks.
	NumLayers int `json:"num_layers"`
	// NumHeads is the number of query heads.
	NumHeads int `json:"num_heads"`
	// NumKVHeads is the number of key/value heads (< NumHeads for grouped-query attention).
	NumKVHeads int `json:"num_kv_heads"`
	// HeadDim is the width of one attention head (usually DModel / NumHeads).
	HeadDim int `json:"head_dim"`
	// DMLP is the hidden width of the MLP (intermediate_size / n_inner).
	DMLP int `json:"d_mlp"`
	// MaxPositions is the context length the model was trained for; learned position tables have
	// this many rows.
	MaxPositions int `json:"max_positions"`
	// NormEps is the epsilon of every RMSNorm/LayerNorm.
	NormEps float64 `json:"norm_eps"`
	// Activation is the MLP nonlinearity: "silu", "gelu_tanh" or "gelu".
	Activation string `json:"activation"`
	// Rotary is true for rotary position embeddings (HF "rotate half" convention), false for a
	// learned absolute position table (GPT-2).
	Rotary bool `json:"rotary"`
	// RopeTheta is the RoPE base frequency.
	RopeTheta float64 `json:"rope_theta"`
	// QKVBias adds biases to the query, key and value projections (Qwen2, StarCoder2).
	QKVBias bool `json:"qkv_bias"`
	// OutBias adds a bias to the attention output projection (GPT-2, StarCoder2, Llama attention_bias).
	OutBias bool `json:"out_bias"`
	// MLPBias adds biases to the MLP projections.
	MLPBias bool `json:"mlp_bias"`
	// TiedEmbeddings reuses the token embedding as the output projection (no lm_head.weight).
	TiedEmbeddings bool `json:"tied_embeddings"`
	// SlidingWindow, when > 0, lets a query at position i attend only keys j with j > i - SlidingWindow.
	SlidingWindow int `json:"sliding_window"`
}

// hfConfig holds the subset of Hugging Face config.json keys the supported architectures use.
// Pointers distinguish "absent" from zero.
type hfConfig struct {
	ModelType             string          `json:"model_type"`
	VocabSize             *int            `json:"vocab_size"`
	HiddenSize            *int            `json:"hidden_size"`
	IntermediateSize      *int            `json:"intermediate_size"`
	NumHiddenLayers       *int            `json:"num_hidden_layers"`
	NumAttentionHeads     *int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads"`
	HeadDim               *int            `json:"head_dim"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	NormEpsilon           *float64        `json:"norm_epsilon"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	RopeParameters        json.RawMessage `json:"rope_parameters"` // transformers v5: {"rope_type", "rope_theta", ...}
	HiddenAct             *string         `json:"hidden_act"`
	AttentionBias         *bool           `json:"attention_bias"`
	MLPBias               *bool           `json:"mlp_bias"`
	UseBias               *bool           `json:"use_bias"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	SlidingWindow         *int            `json:"sliding_window"`
	UseSlidingWindow      *bool           `json:"use_sliding_window"`
	// GPT-2 names.
	NEmbd                *int     `json:"n_embd"`
	NLayer               *int     `json:"n_layer"`
	NHead                *int     `json:"n_head"`
	NInner               *int     `json:"n_inner"`
	NPositions           *int     `json:"n_positions"`
	LayerNormEpsilon     *float64 `json:"layer_norm_epsilon"`
	ActivationFunction   *string  `json:"activation_function"`
	ScaleAttnByInverseLI *bool    `json:"scale_attn_by_inverse_layer_idx"`
	ReorderAndUpcastAttn *bool    `json:"reorder_and_upcast_attn"`
}

// ConfigFile is the name of the Hugging Face architecture file in a checkpoint directory.
const ConfigFile = "config.json"

// LoadConfig reads dir/config.json and normalises it.
func LoadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models: reading model config: %w", err)
	}
	cfg, err := ParseHFConfig(data)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return cfg, nil
}

// ParseHFConfig normalises the bytes of a Hugging Face config.json.
func ParseHFConfig(data []byte) (*Config, error) {
	var hf hfConfig
	if err := json.Unmarshal(data, &hf); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	var c Config
	var err error
	switch hf.ModelType {
	case "llama", "qwen2", "mistral":
		err = c.fromLlama(&hf)
	case "gpt2":
		err = c.fromGPT2(&hf)
	case "starcoder2":
		err = c.fromStarCoder2(&hf)
	case "":
		return nil, fmt.Errorf("field model_type is missing")
	default:
		return nil, fmt.Errorf("model_type %q is not supported (supported: llama, qwen2, mistral, gpt2, starcoder2)", hf.ModelType)
	}
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// required is a mandatory integer field of config.json and where it goes.
type required struct {
	name string
	src  *int
	dst  *int
}

// needAll copies every required field, or names the first missing one.
func needAll(fields ...required) error {
	for _, f := range fields {
		if f.src == nil {
			return fmt.Errorf("field %s is missing", f.name)
		}
		*f.dst = *f.src
	}
	return nil
}

// needDecoder reads the fields the Llama-style configs (Llama, Qwen2, Mistral, StarCoder2) share.
func (c *Config) needDecoder(hf *hfConfig) error {
	return needAll(required{"vocab_size", hf.VocabSize, &c.VocabSize}, required{"hidden_size", hf.HiddenSize, &c.DModel},
		required{"intermediate_size", hf.IntermediateSize, &c.DMLP}, required{"num_hidden_layers", hf.NumHiddenLayers, &c.NumLayers},
		required{"num_attention_heads", hf.NumAttentionHeads, &c.NumHeads})
}

func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func (c *Config) fromLlama(hf *hfConfig) (err error) {
	c.ModelType, c.Family = hf.ModelType, FamilyLlama
	if err := c.needDecoder(hf); err != nil {
		return err
	}
	c.NumKVHeads = or(hf.NumKeyValueHeads, c.NumHeads)
	if c.NumHeads > 0 {
		c.HeadDim = or(hf.HeadDim, c.DModel/c.NumHeads)
	}
	c.MaxPositions = or(hf.MaxPositionEmbeddings, 2048)
	c.NormEps = or(hf.RMSNormEps, 1e-6)
	c.Activation = or(hf.HiddenAct, "silu")
	c.Rotary = true
	if c.RopeTheta, err = ropeTheta(hf); err != nil {
		return err
	}
	c.TiedEmbeddings = or(hf.TieWordEmbeddings, false)
	switch hf.ModelType {
	case "qwen2":
		c.QKVBias = true
		if or(hf.UseSlidingWindow, false) {
			c.SlidingWindow = or(hf.SlidingWindow, 0)
		}
	case "mistral":
		c.SlidingWindow = or(hf.SlidingWindow, 0)
	default:
		ab := or(hf.AttentionBias, false)
		c.QKVBias, c.OutBias = ab, ab
		c.MLPBias = or(hf.MLPBias, false)
	}
	return nil
}

func (c *Config) fromGPT2(hf *hfConfig) error {
	c.ModelType, c.Family = "gpt2", FamilyGPT2
	if err := needAll(required{"vocab_size", hf.VocabSize, &c.VocabSize}, required{"n_embd", hf.NEmbd, &c.DModel},
		required{"n_layer", hf.NLayer, &c.NumLayers}, required{"n_head", hf.NHead, &c.NumHeads},
		required{"n_positions", hf.NPositions, &c.MaxPositions}); err != nil {
		return err
	}
	if or(hf.ScaleAttnByInverseLI, false) {
		return fmt.Errorf("field scale_attn_by_inverse_layer_idx=true is not supported")
	}
	c.NumKVHeads = c.NumHeads
	if c.NumHeads > 0 {
		c.HeadDim = c.DModel / c.NumHeads
	}
	c.DMLP = or(hf.NInner, 4*c.DModel)
	c.NormEps = or(hf.LayerNormEpsilon, 1e-5)
	c.Activation = or(hf.ActivationFunction, "gelu_new")
	c.QKVBias, c.OutBias, c.MLPBias, c.TiedEmbeddings = true, true, true, true
	return nil
}

func (c *Config) fromStarCoder2(hf *hfConfig) (err error) {
	c.ModelType, c.Family = "starcoder2", FamilyGPT2
	if err := c.needDecoder(hf); err != nil {
		return err
	}
	c.NumKVHeads = or(hf.NumKeyValueHeads, c.NumHeads)
	if c.NumHeads > 0 {
		c.HeadDim = c.DModel / c.NumHeads
	}
	c.MaxPositions = or(hf.MaxPositionEmbeddings, 4096)
	c.NormEps = or(hf.NormEpsilon, 1e-5)
	c.Activation = or(hf.HiddenAct, "gelu_pytorch_tanh")
	c.Rotary = true
	if c.RopeTheta, err = ropeTheta(hf); err != nil {
		return err
	}
	b := or(hf.UseBias, true)
	c.QKVBias, c.OutBias, c.MLPBias = b, b, b
	c.TiedEmbeddings = or(hf.TieWordEmbeddings, true)
	c.SlidingWindow = or(hf.SlidingWindow, 0)
	return nil
}

// ropeTheta reads the RoPE base from rope_theta, or from transformers v5's rope_parameters, and
// rejects scaled variants.
func ropeTheta(hf *hfConfig) (float64, error) {
	if err := checkRopeScaling(hf.RopeScaling); err != nil {
		return 0, err
	}
	theta := or(hf.RopeTheta, 10000.0)
	if len(hf.RopeParameters) > 0 && string(hf.RopeParameters) != "null" {
		if err := checkRopeScaling(hf.RopeParameters); err != nil {
			return 0, fmt.Errorf("field rope_parameters: %w", err)
		}
		var rp struct {
			Theta *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(hf.RopeParameters, &rp); err != nil {
			return 0, fmt.Errorf("field rope_parameters: %w", err)
		}
		if hf.RopeTheta == nil && rp.Theta != nil {
			theta = *rp.Theta
		}
	}
	return theta, nil
}

func checkRopeScaling(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rs map[string]any
	if err := json.Unmarshal(raw, &rs); err != nil {
		return fmt.Errorf("field rope_scaling: %w", err)
	}
	t, _ := rs["rope_type"].(string)
	if t == "" {
		t, _ = rs["type"].(string)
	}
	if t == "default" || (t == "" && rs["factor"] == nil) {
		return nil
	}
	return fmt.Errorf("field rope_scaling: rope type %q is not supported (only unscaled RoPE)", t)
}

// Validate checks that the configuration describes a buildable model; the error names the field.
func (c *Config) Validate() error {
	pos := []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"d_model", c.DModel}, {"num_layers", c.NumLayers},
		{"num_heads", c.NumHeads}, {"num_kv_heads", c.NumKVHeads}, {"head_dim", c.HeadDim},
		{"d_mlp", c.DMLP}, {"max_positions", c.MaxPositions},
	}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("field %s must be > 0, got %d", p.name, p.v)
		}
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return fmt.Errorf("field num_kv_heads (%d) must divide num_heads (%d)", c.NumKVHeads, c.NumHeads)
	}
	if c.Rotary && c.HeadDim%2 != 0 {
		return fmt.Errorf("field head_dim must be even for rotary embeddings, got %d", c.HeadDim)
	}
	if !(c.NormEps > 0) || math.IsInf(c.NormEps, 0) {
		return fmt.Errorf("field norm_eps must be a positive number, got %g", c.NormEps)
	}
	if c.Rotary && (!(c.RopeTheta > 0) || math.IsInf(c.RopeTheta, 0)) {
		return fmt.Errorf("field rope_theta must be a positive number, got %g", c.RopeTheta)
	}
	if _, err := activationOf(c.Activation); err != nil {
		return err
	}
	if c.Family != FamilyLlama && c.Family != FamilyGPT2 {
		return fmt.Errorf("field family must be %q or %q, got %q", FamilyLlama, FamilyGPT2, c.Family)
	}
	if c.SlidingWindow < 0 {
		return fmt.Errorf("field sliding_window must be >= 0, got %d", c.SlidingWindow)
	}
	return nil
}

// NumParams is the number of weights of the model (embeddings included, tied ones counted once).
func (c *Config) NumParams() int64 {
	var n int64
	for _, p := range c.Params() {
		n += int64(p.Size())
	}
	return n
}

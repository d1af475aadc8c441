package train

import (
	"fmt"

	"github.com/pttrust/pttrust/internal/tomlconf"
	"github.com/pttrust/pttrust/models"
)

// RunConfig is a whole LM pre-training run: corpus, tokenizer, architecture, optimisation, and
// where the results go. It is read from a TOML file (experiments/tinycoder.toml) on top of
// DefaultRunConfig; unknown keys are errors.
type RunConfig struct {
	// Name is the model id recorded in artifacts, e.g. "tinycoder".
	Name string `toml:"name"`
	// OutDir receives the shipped model: config.json, model.safetensors, tokenizer.json, MODEL_CARD.md.
	OutDir string `toml:"out_dir"`
	// WorkDir holds the tokenizer, token-stream caches, manifest, checkpoints and logs; a rerun with
	// the same WorkDir resumes.
	WorkDir string `toml:"work_dir"`
	// WeightsDType is the dtype of the shipped weights: "BF16" (default) or "F32".
	WeightsDType string          `toml:"weights_dtype"`
	Model        ArchConfig      `toml:"model"`
	Data         DataConfig      `toml:"data"`
	Tokenizer    TokenizerConfig `toml:"tokenizer"`
	Train        Config          `toml:"train"`
	// ConfigPath is the file the configuration was read from (set by LoadRunConfig; recorded in
	// the model card's reproduce command).
	ConfigPath string `toml:"-"`
}

// ArchConfig is the Llama-style architecture of the trained LM.
type ArchConfig struct {
	// DModel is the residual width.
	DModel int `toml:"d_model"`
	// Layers is the number of blocks.
	Layers int `toml:"layers"`
	// Heads and KVHeads are the query and key/value head counts (grouped-query attention).
	Heads   int `toml:"heads"`
	KVHeads int `toml:"kv_heads"`
	// DMLP is the SwiGLU hidden width.
	DMLP int `toml:"d_mlp"`
	// Context is max_position_embeddings (RoPE; must be >= train.seq_len).
	Context int `toml:"context"`
	// RopeTheta is the RoPE base.
	RopeTheta float64 `toml:"rope_theta"`
	// NormEps is the RMSNorm epsilon.
	NormEps float64 `toml:"norm_eps"`
}

// DataConfig selects the training corpus among the source trees found on the machine.
type DataConfig struct {
	// Languages to use; empty means every language found.
	Languages []string `toml:"languages"`
	// MaxTrainBytesPerLanguage caps the training text of each language; files are sampled by a
	// hash of their path so the cap keeps a spread of the tree (0: no cap).
	MaxTrainBytesPerLanguage int64 `toml:"max_train_bytes_per_language"`
	// MaxValBytesPerLanguage caps the validation text of each language likewise.
	MaxValBytesPerLanguage int64 `toml:"max_val_bytes_per_language"`
	// MaxFileBytes skips larger files.
	MaxFileBytes int `toml:"max_file_bytes"`
	// ValFraction and TestFraction split files by a hash of their stable path.
	ValFraction  float64 `toml:"val_fraction"`
	TestFraction float64 `toml:"test_fraction"`
}

// TokenizerConfig says how the byte-level BPE tokenizer is obtained.
type TokenizerConfig struct {
	// Path of an existing tokenizer.json to use instead of training one.
	Path string `toml:"path"`
	// VocabSize of the trained tokenizer (special tokens included).
	VocabSize int `toml:"vocab_size"`
	// MinFrequency is the minimum pair count for a merge.
	MinFrequency int `toml:"min_frequency"`
	// MaxTrainBytes caps the text the tokenizer is trained on (sampled from the training split).
	MaxTrainBytes int64 `toml:"max_train_bytes"`
}

// DefaultRunConfig is the shipped tiny code LM's run; experiment files override fields.
func DefaultRunConfig() RunConfig {
	return RunConfig{
		Name: "tinycoder", OutDir: "models/tinycoder", WorkDir: "work/tinycoder", WeightsDType: "BF16",
		Model: ArchConfig{DModel: 256, Layers: 6, Heads: 8, KVHeads: 4, DMLP: 704, Context: 1024, RopeTheta: 10000, NormEps: 1e-5},
		Data: DataConfig{MaxTrainBytesPerLanguage: 8 << 20, MaxValBytesPerLanguage: 1 << 20, MaxFileBytes: 200_000,
			ValFraction: 0.05, TestFraction: 0.05},
		Tokenizer: TokenizerConfig{VocabSize: 8192, MinFrequency: 2, MaxTrainBytes: 24 << 20},
		Train:     Defaults(),
	}
}

// LoadRunConfig reads a TOML run configuration over the defaults.
func LoadRunConfig(path string) (RunConfig, error) {
	cfg := DefaultRunConfig()
	cfg.ConfigPath = path
	if err := tomlconf.Load(path, &cfg); err != nil {
		return cfg, fmt.Errorf("train: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("train: %s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks every section; the error names the field.
func (c *RunConfig) Validate() error {
	if c.Name == "" || c.OutDir == "" || c.WorkDir == "" {
		return fmt.Errorf("name, out_dir and work_dir must be set")
	}
	if c.WeightsDType != "BF16" && c.WeightsDType != "F32" {
		return fmt.Errorf("weights_dtype must be BF16 or F32, got %q", c.WeightsDType)
	}
	if err := c.Train.Validate(); err != nil {
		return err
	}
	if c.Model.Context < c.Train.SeqLen {
		return fmt.Errorf("model.context (%d) must be >= train.seq_len (%d)", c.Model.Context, c.Train.SeqLen)
	}
	if c.Tokenizer.Path == "" && c.Tokenizer.VocabSize < 512 {
		return fmt.Errorf("tokenizer.vocab_size must be >= 512, got %d", c.Tokenizer.VocabSize)
	}
	if c.Data.MaxFileBytes <= 0 {
		return fmt.Errorf("data.max_file_bytes must be > 0, got %d", c.Data.MaxFileBytes)
	}
	if c.Data.MaxTrainBytesPerLanguage < 0 || c.Data.MaxValBytesPerLanguage < 0 || c.Tokenizer.MaxTrainBytes < 0 {
		return fmt.Errorf("data.max_*_bytes and tokenizer.max_train_bytes must be >= 0")
	}
	if v, t := c.Data.ValFraction, c.Data.TestFraction; !(v >= 0 && t >= 0 && v+t < 1) { // NaN fails every comparison
		return fmt.Errorf("data.val_fraction and data.test_fraction must be >= 0 with a sum below 1, got %g and %g", v, t)
	}
	mc := c.ModelConfig(1024)
	if err := mc.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// ModelConfig is the models.Config of the run for a tokenizer of vocab tokens.
func (c *RunConfig) ModelConfig(vocab int) *models.Config {
	a := c.Model
	hd := 0
	if a.Heads > 0 {
		hd = a.DModel / a.Heads
	}
	return &models.Config{ModelType: "llama", Family: models.FamilyLlama, VocabSize: vocab, DModel: a.DModel,
		NumLayers: a.Layers, NumHeads: a.Heads, NumKVHeads: a.KVHeads, HeadDim: hd, DMLP: a.DMLP,
		MaxPositions: a.Context, NormEps: a.NormEps, Activation: "silu", Rotary: true, RopeTheta: a.RopeTheta,
		TiedEmbeddings: true}
}

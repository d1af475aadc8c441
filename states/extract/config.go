package extract

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/pttrust/pttrust/models"
)

// Config says what Extract reads, computes and writes.
type Config struct {
	// ModelDir is a Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json).
	ModelDir string `json:"model_dir"`
	// DataPath is a snippets Parquet file (datasets.Snippet rows).
	DataPath string `json:"data_path"`
	// OutDir receives shard-NNNNN.parquet files and manifest.json; a run resumes in it.
	OutDir string `json:"out_dir"`
	// Hooks are the hook points whose state at each line's last token is written: "embed",
	// "blocks.{L}.resid_pre", "blocks.{L}.resid_post" or "final_norm". Empty picks
	// DefaultHook: the residual stream after the first quarter of the layers (DESIGN.md).
	Hooks []string `json:"hooks"`
	// Window is the number of tokens per forward pass for long snippets; 0 picks
	// min(context, 1024). Windows advance by Window/2.
	Window int `json:"window"`
	// BatchTokens bounds the padded tokens (batch rows x bucketed length) of one forward pass;
	// 0 picks DefaultBatchTokens, or fewer when token statistics are computed and the
	// vocabulary is large (a pass's logits then stay under 256 MiB: 1365 tokens for a
	// 49152-token vocabulary). A window longer than it runs alone.
	BatchTokens int `json:"batch_tokens"`
	// ShardSnippets is the number of input snippets per output shard; 0 picks
	// DefaultShardSnippets. At most one shard of rows is held in memory.
	ShardSnippets int `json:"shard_snippets"`
	// AttentionLayer is the block whose attention gives the lookback ratio; a negative
	// value picks the layer of the first hook (layer 0 for "embed", the last layer for
	// "final_norm").
	AttentionLayer int `json:"attention_layer"`
	// NoLookback skips the attention lookback ratio (the column holds NaN). The ratio is reduced
	// inside the forward pass (models.AttnLookback), at about 2 % of its cost.
	NoLookback bool `json:"no_lookback"`
	// NoTokenStats skips the token statistics (mean/min log-prob and entropy columns hold NaN).
	// The pass then stops after the deepest state hook's block and computes no logits: on a
	// 30-layer model read at block 7 it runs about a quarter of the layers and skips the output
	// projection. Stage 1 (the SAE) needs only the states.
	NoTokenStats bool `json:"no_token_stats"`
	// Workers is how many forward passes run at once; 0 picks DefaultWorkers. The rows do not
	// depend on it. On the pure-Go backend a small model's pass keeps about one core busy, so
	// two passes at once use a 2-core machine whole; each pass holds its own activations (the
	// peak memory of the passes grows with it).
	Workers int `json:"workers"`
	// Backend is the GoMLX backend spec ("" for $GOMLX_BACKEND or the pure-Go backend).
	Backend string `json:"backend"`
}

// Defaults used for zero fields.
const (
	DefaultBatchTokens = 4096
	// maxLogitBytes bounds the float32 logits of one pass when BatchTokens is left at 0.
	maxLogitBytes        = 256 << 20
	DefaultShardSnippets = 1024
	// MaxDefaultWindow caps the default window.
	MaxDefaultWindow = 1024
	// packSnippets is how many snippets are sorted by length together to form batches.
	packSnippets = 256
)

// DefaultWorkers is the number of forward passes run at once when Config.Workers is 0: two
// when the process may use two or more cores, else one.
func DefaultWorkers() int { return min(2, runtime.GOMAXPROCS(0)) }

// workers is Workers with the default filled in.
func (r *resolved) workers() int {
	if r.Workers > 0 {
		return r.Workers
	}
	return DefaultWorkers()
}

// DefaultConfig returns a Config with every optional field at its default (hooks from the
// model, the attention layer following the first hook).
func DefaultConfig() Config {
	return Config{AttentionLayer: -1}
}

// DefaultHook is the hook used when Config.Hooks is empty: blocks.{L}.resid_post with
// L = numLayers/4, the early layer of the paper's setup.
func DefaultHook(numLayers int) string { return models.ResidPost(numLayers / 4) }

// Validate checks the fields that do not need the model; errors name the field.
func (c *Config) Validate() error {
	var errs []error
	if c.ModelDir == "" {
		errs = append(errs, errors.New("ModelDir (--model): empty"))
	}
	if c.DataPath == "" {
		errs = append(errs, errors.New("DataPath (--data): empty"))
	}
	if c.OutDir == "" {
		errs = append(errs, errors.New("OutDir (--out): empty"))
	}
	return errors.Join(append(errs, c.validateSettings())...)
}

// validateSettings checks the fields that decide the rows (not the paths).
func (c *Config) validateSettings() error {
	var errs []error
	seen := map[string]bool{}
	for _, h := range c.Hooks {
		if seen[h] {
			errs = append(errs, fmt.Errorf("Hooks (--hooks): %q given twice", h))
		}
		seen[h] = true
		if err := stateHook(h, math.MaxInt32); err != nil {
			errs = append(errs, fmt.Errorf("Hooks (--hooks): %w", err))
		}
	}
	if c.Window < 0 || c.Window == 1 {
		errs = append(errs, fmt.Errorf("Window (--window): %d; want 0 (default) or at least 2", c.Window))
	}
	if c.BatchTokens < 0 {
		errs = append(errs, fmt.Errorf("BatchTokens (--batch-tokens): %d is negative", c.BatchTokens))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("Workers (--workers): %d is negative", c.Workers))
	}
	if c.ShardSnippets < 0 {
		errs = append(errs, fmt.Errorf("ShardSnippets (--shard-snippets): %d is negative", c.ShardSnippets))
	}
	return errors.Join(errs...)
}

// stateHook checks that name is a hook with one vector per token.
func stateHook(name string, numLayers int) error {
	h, err := models.ParseHook(name, numLayers)
	if err != nil {
		return err
	}
	switch h.Kind {
	case models.HookEmbed, models.HookFinalNorm, "resid_pre", "resid_post":
		return nil
	}
	return fmt.Errorf("hook %q has no single state vector per token; use embed, blocks.{L}.resid_pre, blocks.{L}.resid_post or final_norm", name)
}

// resolved is a Config checked against the model, with defaults filled in.
type resolved struct {
	Config
	window, stride int
	attnLayer      int
	columns        []string // state column per hook
}

// resolve checks c against the model and fills in the defaults. Only the settings are checked;
// callers that read and write files validate the paths first (Config.Validate).
func resolve(c Config, m *models.Model) (*resolved, error) {
	if err := c.validateSettings(); err != nil {
		return nil, err
	}
	cfg := m.Config
	if len(c.Hooks) == 0 {
		c.Hooks = []string{DefaultHook(cfg.NumLayers)}
	}
	r := &resolved{Config: c}
	var errs []error
	for _, h := range c.Hooks {
		if err := stateHook(h, cfg.NumLayers); err != nil {
			errs = append(errs, fmt.Errorf("Hooks (--hooks): %w", err))
		}
	}
	if r.Window == 0 {
		r.Window = min(cfg.MaxPositions, MaxDefaultWindow)
	}
	if r.Window > cfg.MaxPositions {
		errs = append(errs, fmt.Errorf("Window (--window): %d exceeds the model's context of %d tokens", r.Window, cfg.MaxPositions))
	}
	if r.BatchTokens == 0 {
		r.BatchTokens = DefaultBatchTokens
		if !r.NoTokenStats { // the logits of a pass ([tokens, vocab] float32) stay under maxLogitBytes
			r.BatchTokens = min(r.BatchTokens, max(512, maxLogitBytes/(4*cfg.VocabSize)))
		}
	}
	if r.ShardSnippets == 0 {
		r.ShardSnippets = DefaultShardSnippets
	}
	if r.AttentionLayer >= cfg.NumLayers {
		errs = append(errs, fmt.Errorf("AttentionLayer (--attention-layer): %d out of range [0, %d)", r.AttentionLayer, cfg.NumLayers))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if r.AttentionLayer < 0 {
		h, _ := models.ParseHook(c.Hooks[0], cfg.NumLayers)
		switch {
		case h.Kind == models.HookFinalNorm:
			r.AttentionLayer = cfg.NumLayers - 1
		case h.Layer >= 0:
			r.AttentionLayer = h.Layer
		default:
			r.AttentionLayer = 0
		}
	}
	r.attnLayer = r.AttentionLayer
	if r.NoLookback {
		r.attnLayer = -1
	}
	r.window, r.stride = r.Window, r.Window/2
	for _, h := range c.Hooks {
		r.columns = append(r.columns, StateColumn(h))
	}
	return r, nil
}

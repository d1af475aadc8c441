package pretrain

import (
	"errors"
	"fmt"
	"math"

	"github.com/pttrust/pttrust/internal/tomlconf"
)

// DecoderNorm values: how the decoder's rows are kept.
const (
	DecoderNormUnit = "unit"
	DecoderNormFree = "free"
)

// DefaultDecoderInitNorm is the free decoder rows' initial norm when DecoderInitNorm is 0
// (SAELens' decoder_init_norm default).
const DefaultDecoderInitNorm = 0.1

// BPreInit values: how b_pre is initialised from the data.
const (
	BPreMean            = "mean"
	BPreGeometricMedian = "geometric_median"
)

// Config is a stage-1 run: which line states, the SAE's shape, the losses and the optimisation.
// It is read from a TOML file (experiments/sae_default.toml) over DefaultConfig; unknown keys are
// errors. Every field is checked by Validate.
type Config struct {
	// StatesDir is the output directory of `pttrust states extract` (manifest.json and
	// shard-NNNNN.parquet). Used by Train; TrainOn takes its data from a Source instead.
	StatesDir string `toml:"states_dir" json:"states_dir"`
	// Hook is the state column to train on, e.g. "blocks.2.resid_post"; empty picks the first
	// hook of the states manifest.
	Hook string `toml:"hook" json:"hook"`
	// Split keeps only the rows of this split ("train", "validation", "test"); empty keeps every
	// row.
	Split string `toml:"split" json:"split"`
	// OutDir receives the trained SAE: sae.safetensors, cfg.json, metrics.csv, curves.png.
	OutDir string `toml:"out_dir" json:"out_dir"`
	// WorkDir holds the checkpoint and its metrics log; a rerun with the same WorkDir and the
	// same settings resumes where the last run stopped. Empty disables checkpoints.
	WorkDir string `toml:"work_dir" json:"work_dir"`
	// Backend is the GoMLX backend spec ("" for $GOMLX_BACKEND or the pure-Go backend).
	Backend string `toml:"backend" json:"backend"`

	// Latents is the dictionary size (the paper: 128). LatentsPerDim, when > 0, overrides it with
	// LatentsPerDim x the input dimension (an overcomplete dictionary, e.g. 8).
	Latents int `toml:"latents" json:"latents"`
	// LatentsPerDim sets Latents to this multiple of the input dimension when > 0.
	LatentsPerDim int `toml:"latents_per_dim" json:"latents_per_dim"`
	// K is the number of active latents per line (TopK; the paper: 32).
	K int `toml:"k" json:"k"`
	// Activation is how latents are kept: "" or "topk", each line its K largest (the paper);
	// "batchtopk" (Bussmann et al. 2024), a batch its K × lines largest, so lines differ in how
	// many fire, and at inference a line keeps its latents at or above a threshold learned in
	// training (a moving average of the batches' smallest kept value).
	Activation string `toml:"activation" json:"activation,omitempty"`
	// Tied makes the encoder the transpose of the decoder (one weight matrix).
	Tied bool `toml:"tied" json:"tied"`
	// EncoderInitScale multiplies the untied encoder's initial value, the decoder's transpose:
	// 0 (or 1) keeps the transpose as is; below 1 starts the pre-activations, and so the first
	// reconstructions, that much smaller (SAELens' TopK SAE starts its effective encoder at
	// 0.01, Anthropic's "heuristic" initialisation). The decoder's rows keep unit norm. It has
	// no meaning with tied = true.
	EncoderInitScale float64 `toml:"encoder_init_scale" json:"encoder_init_scale,omitempty"`
	// DecoderNorm is how the decoder's rows are kept: "" or "unit", at unit norm (the update
	// projected on each row's tangent, the rows renormalised after each step); "free", as
	// SAELens' TopK SAE trains (rescale_acts_by_decoder_norm): the rows' norms are trained,
	// each latent's pre-activation is multiplied by its row's norm and the decoder applied with
	// the rows divided by it, so a norm is its latent's learned gain. The SAE is written with
	// the norms folded into the encoder (unit decoder rows): the same files and inference.
	DecoderNorm string `toml:"decoder_norm" json:"decoder_norm,omitempty"`
	// DecoderInitNorm is the free decoder rows' initial norm (decoder_norm = "free" only; 0:
	// DefaultDecoderInitNorm, 0.1); the encoder starts at the transpose of the decoder so
	// scaled (times encoder_init_scale), so its effective scale is the square.
	DecoderInitNorm float64 `toml:"decoder_init_norm" json:"decoder_init_norm,omitempty"`
	// InputNorm applies a LayerNorm without learned parameters to each input vector
	// ((x - mean) / std over its components) before the SAE; Encode applies it too.
	InputNorm bool `toml:"input_norm" json:"input_norm"`
	// BPreInit initialises b_pre (subtracted before encoding, added after decoding) from the
	// first BPreSamples lines: "mean" or "geometric_median".
	BPreInit string `toml:"b_pre_init" json:"b_pre_init"`
	// BPreSamples is the number of lines b_pre is initialised from.
	BPreSamples int `toml:"b_pre_samples" json:"b_pre_samples"`

	// LR is AdamW's learning rate after warm-up (the paper: 2e-4).
	LR float64 `toml:"lr" json:"lr"`
	// WarmupSteps is the length of the linear warm-up from 0 to LR; the rate is constant after.
	WarmupSteps int `toml:"warmup_steps" json:"warmup_steps"`
	// GradClip is the maximum global L2 norm of the gradient (the paper: 1.0); 0 disables it.
	GradClip float64 `toml:"grad_clip" json:"grad_clip"`
	// WeightDecay is AdamW's decoupled decay, applied to the encoder matrix only (decoder columns
	// are kept at unit norm; biases are not decayed).
	WeightDecay float64 `toml:"weight_decay" json:"weight_decay"`
	// BatchSize is the number of lines per step.
	BatchSize int `toml:"batch_size" json:"batch_size"`
	// Epochs is the number of passes over the data (the paper: 10).
	Epochs int `toml:"epochs" json:"epochs"`

	// ColdStartEpochs is the number of epochs trained on reconstruction alone before the
	// contrastive term is switched on (the paper: 4).
	ColdStartEpochs int `toml:"cold_start_epochs" json:"cold_start_epochs"`
	// Margin is the hinge margin m of max(0, m - ||ẑ_orig - ẑ_mut||) on L2-normalised latents
	// (the paper: 2). Latents are non-negative, so the distance of two unit latent vectors is
	// at most √2: a margin above √2 is never met and the hinge then always pushes pairs apart.
	Margin float64 `toml:"margin" json:"margin"`
	// Contrast is the contrastive term: "" or "hinge", the paper's margin hinge on each
	// (original, mutated) pair; "supcon", a supervised-contrastive loss over the batch's
	// original and mutated lines (ContrastSupCon). Margin applies to the hinge only.
	Contrast string `toml:"contrast" json:"contrast,omitempty"`
	// ContrastTemperature is SupCon's temperature (0: DefaultContrastTemperature, 0.1).
	ContrastTemperature float64 `toml:"contrast_temperature" json:"contrast_temperature,omitempty"`
	// ContrastWeight multiplies the contrastive term in the loss (not given by the paper).
	ContrastWeight float64 `toml:"contrast_weight" json:"contrast_weight"`

	// AuxK is the number of dead latents (largest pre-activations among them) that reconstruct
	// the residual in the AuxK loss; 0 disables the AuxK loss.
	AuxK int `toml:"aux_k" json:"aux_k"`
	// AuxKCoef multiplies the AuxK loss (Gao et al. 2024: 1/32).
	AuxKCoef float64 `toml:"aux_k_coef" json:"aux_k_coef"`
	// DeadAfterLines marks a latent dead once it has not fired on this many training lines.
	DeadAfterLines int `toml:"dead_after_lines" json:"dead_after_lines"`

	// EvalEvery records a metrics row (FVU, L0, dead %, aux loss, margin satisfied %) every this
	// many steps, averaged over the training batches of the interval.
	EvalEvery int `toml:"eval_every" json:"eval_every"`
	// CheckpointEvery saves a resumable checkpoint in WorkDir every this many steps (0: only at
	// the end and on interruption).
	CheckpointEvery int `toml:"checkpoint_every" json:"checkpoint_every"`
	// ShuffleBuffer is the number of lines held for shuffling; data over MemoryCache is streamed,
	// never held whole. An original line and its mutated counterparts move through the buffer
	// together.
	ShuffleBuffer int `toml:"shuffle_buffer" json:"shuffle_buffer"`
	// Seed fixes the initialisation and the data order: the same seed and data give the same run.
	Seed uint64 `toml:"seed" json:"seed"`
	// MemoryCache is how many bytes of line states are held in memory after the first whole pass
	// over them, when all of them fit: the later epochs replay them instead of reading, checking
	// and decoding the Parquet shards again. 0 picks DefaultMemoryCache; negative never holds
	// them (every epoch streams). The data and their order are the same either way, so the run's
	// result does not depend on it and it is not recorded (cfg.json, cache keys).
	MemoryCache int64 `toml:"memory_cache" json:"-"`
}

// DefaultConfig is the paper's setup: 128 latents, k 32, AdamW lr 2e-4, clip 1.0, 10 epochs of
// which 4 are a cold start, margin 2, input LayerNorm.
func DefaultConfig() Config {
	return Config{
		OutDir: "work/sae", WorkDir: "work/sae/train",
		Latents: 128, K: 32, InputNorm: true, BPreInit: BPreGeometricMedian, BPreSamples: 4096,
		LR: 2e-4, WarmupSteps: 100, GradClip: 1.0, WeightDecay: 0, BatchSize: 256, Epochs: 10,
		ColdStartEpochs: 4, Margin: 2, ContrastWeight: 0.1,
		AuxK: 64, AuxKCoef: 1.0 / 32, DeadAfterLines: 20_000,
		EvalEvery: 50, CheckpointEvery: 500, ShuffleBuffer: 16_384, Seed: 1,
	}
}

// LoadConfig reads a TOML file over DefaultConfig. Unknown keys are errors naming the file and
// the key; invalid values are errors naming the file and the field.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if err := tomlconf.Load(path, &cfg); err != nil {
		return cfg, fmt.Errorf("pretrain: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("pretrain: %s: %w", path, err)
	}
	return cfg, nil
}

// MaxInitScale bounds encoder_init_scale and decoder_init_norm.
const MaxInitScale = 100

// MaxEpochs bounds epochs and cold_start_epochs.
const MaxEpochs = 100_000

// Validate checks every field that does not need the data; errors name the fields by their
// TOML keys. K against the number of latents is checked again once the input dimension is known
// (LatentsPerDim).
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, p := range []struct {
		name string
		v    int
	}{{"k", c.K}, {"batch_size", c.BatchSize}, {"epochs", c.Epochs}, {"eval_every", c.EvalEvery},
		{"shuffle_buffer", c.ShuffleBuffer}, {"b_pre_samples", c.BPreSamples}, {"dead_after_lines", c.DeadAfterLines}} {
		if p.v <= 0 {
			bad("%s must be > 0, got %d", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"latents", c.Latents}, {"latents_per_dim", c.LatentsPerDim}, {"warmup_steps", c.WarmupSteps},
		{"cold_start_epochs", c.ColdStartEpochs}, {"aux_k", c.AuxK}, {"checkpoint_every", c.CheckpointEvery}} {
		if p.v < 0 {
			bad("%s must be >= 0, got %d", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name   string
		v, max int
	}{{"epochs", c.Epochs, MaxEpochs}, {"cold_start_epochs", c.ColdStartEpochs, MaxEpochs},
		{"batch_size", c.BatchSize, 1 << 20}, {"shuffle_buffer", c.ShuffleBuffer, 1 << 26},
		{"b_pre_samples", c.BPreSamples, 1 << 24}, {"latents", c.Latents, 1 << 24},
		{"latents_per_dim", c.LatentsPerDim, 1 << 10}, {"k", c.K, 1 << 24}, {"aux_k", c.AuxK, 1 << 24}} {
		if p.v > p.max { // a typo, not a plan: it would run for ever or fail to allocate
			bad("%s must be at most %d, got %d", p.name, p.max, p.v)
		}
	}
	if c.Latents == 0 && c.LatentsPerDim == 0 {
		bad("latents must be > 0 (or latents_per_dim set)")
	}
	if c.LatentsPerDim == 0 && c.Latents > 0 && c.K > c.Latents {
		bad("k (%d) must not exceed latents (%d)", c.K, c.Latents)
	}
	if c.BatchSize > 0 && c.ShuffleBuffer > 0 && c.ShuffleBuffer < c.BatchSize {
		bad("shuffle_buffer (%d) must be >= batch_size (%d)", c.ShuffleBuffer, c.BatchSize)
	}
	if c.Activation != "" && c.Activation != ActivationTopK && c.Activation != ActivationBatchTopK {
		bad("activation must be %q or %q, got %q", ActivationTopK, ActivationBatchTopK, c.Activation)
	}
	if c.Contrast != "" && c.Contrast != ContrastHinge && c.Contrast != ContrastSupCon {
		bad("contrast must be %q or %q, got %q", ContrastHinge, ContrastSupCon, c.Contrast)
	}
	if !(c.ContrastTemperature >= 0) || math.IsInf(c.ContrastTemperature, 0) {
		bad("contrast_temperature must be a number >= 0 (0: %g), got %g", DefaultContrastTemperature, c.ContrastTemperature)
	}
	if c.BPreInit != BPreMean && c.BPreInit != BPreGeometricMedian {
		bad("b_pre_init must be %q or %q, got %q", BPreMean, BPreGeometricMedian, c.BPreInit)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !(c.LR > 0) || !finite(c.LR):
		bad("lr must be a positive number, got %g", c.LR)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"grad_clip", c.GradClip}, {"weight_decay", c.WeightDecay}, {"margin", c.Margin},
		{"contrast_weight", c.ContrastWeight}, {"aux_k_coef", c.AuxKCoef}} {
		if !(p.v >= 0) || !finite(p.v) {
			bad("%s must be a number >= 0, got %g", p.name, p.v)
		}
	}
	if !(c.EncoderInitScale >= 0 && c.EncoderInitScale <= MaxInitScale) {
		bad("encoder_init_scale must be a number in [0, %g] (0: the decoder's transpose as is), got %g", float64(MaxInitScale), c.EncoderInitScale)
	} else if c.Tied && c.EncoderInitScale != 0 && c.EncoderInitScale != 1 {
		bad("encoder_init_scale (%g) applies to an untied encoder; tied = true has none", c.EncoderInitScale)
	}
	free := c.DecoderNorm == DecoderNormFree
	if c.DecoderNorm != "" && c.DecoderNorm != DecoderNormUnit && !free {
		bad("decoder_norm must be %q or %q, got %q", DecoderNormUnit, DecoderNormFree, c.DecoderNorm)
	} else if free && c.Tied {
		bad("decoder_norm = %q needs an untied encoder (tied = true)", DecoderNormFree)
	}
	if !(c.DecoderInitNorm >= 0 && c.DecoderInitNorm <= MaxInitScale) {
		bad("decoder_init_norm must be a number in [0, %g] (0: %g), got %g", float64(MaxInitScale), DefaultDecoderInitNorm, c.DecoderInitNorm)
	} else if c.DecoderInitNorm != 0 && !free {
		bad("decoder_init_norm (%g) applies to decoder_norm = %q only", c.DecoderInitNorm, DecoderNormFree)
	}
	if c.ColdStartEpochs > c.Epochs && c.Epochs > 0 && c.ContrastWeight > 0 {
		bad("cold_start_epochs (%d) exceeds epochs (%d): the contrastive term would never be on (set contrast_weight = 0 to train without it)", c.ColdStartEpochs, c.Epochs)
	}
	switch c.Split {
	case "", "train", "validation", "test":
	default:
		bad("split must be \"train\", \"validation\", \"test\" or empty, got %q", c.Split)
	}
	if c.OutDir == "" {
		bad("out_dir must be set")
	}
	return errors.Join(errs...)
}

// decoderInitNorm is DecoderInitNorm, 0 read as DefaultDecoderInitNorm.
func (c *Config) decoderInitNorm() float64 {
	if c.DecoderInitNorm == 0 {
		return DefaultDecoderInitNorm
	}
	return c.DecoderInitNorm
}

// latentsFor is the dictionary size for inputs of dimension dim.
func (c *Config) latentsFor(dim int) int {
	if c.LatentsPerDim > 0 {
		return c.LatentsPerDim * dim
	}
	return c.Latents
}

// LRAt is the learning rate of step (0-based): linear warm-up to LR over WarmupSteps, then LR.
func (c *Config) LRAt(step int) float64 {
	if step < c.WarmupSteps {
		return c.LR * float64(step+1) / float64(c.WarmupSteps)
	}
	return c.LR
}

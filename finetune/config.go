package finetune

import (
	"fmt"
	"math"

	"github.com/pttrust/pttrust/internal/tomlconf"
)

// Loss names (Config.Loss).
const (
	LossNeuralNDCG = "neuralndcg" // NeuralNDCG (Pobrotyn & Białobrzeski 2021): NeuralSort + Sinkhorn
	LossApproxNDCG = "approxndcg" // ApproxNDCG (Qin et al. 2010): sigmoid-smoothed ranks
	LossListNet    = "listnet"    // ListNet top-one cross-entropy (Cao et al. 2007)
	LossBCE        = "bce"        // pointwise binary cross-entropy on line labels
)

// Aggregates of the snippet-level classifier variant (Config.Aggregate); "" is line ranking.
const (
	AggregateNone = ""
	AggregateLast = "last"
	AggregateMean = "mean"
	AggregateMax  = "max"
)

// Graded relevance schemes (Config.GradedRelevance).
const (
	// RelevanceBinary: a buggy line has relevance 1, every other line 0.
	RelevanceBinary = "binary"
	// RelevanceProximity: a buggy line has relevance 2; a clean line at most RelevanceWindow lines
	// away from a buggy line has relevance 1; other lines 0. Line labels come from a diff, and the
	// error often shows on a neighbouring line, so near misses earn part of the gain. Gains are
	// 2^rel − 1 (3, 1, 0), so a ranking reaches NDCG 1 only with every buggy line first.
	RelevanceProximity = "proximity"
)

// Config is the whole semantic-binding setup. DefaultConfig gives the paper's setup; a TOML file
// (LoadConfig) overrides fields, and unknown keys are errors. Every field is checked by Validate.
type Config struct {
	// Layers is the number of linear layers of the MLP, the output layer included: Layers-1
	// hidden layers of width Hidden with ReLU, then a linear map to one score. 1 is a linear probe.
	Layers int `toml:"layers" json:"layers"`
	// Hidden is the width of the hidden layers.
	Hidden int `toml:"hidden" json:"hidden"`
	// Loss is the per-snippet training loss: "neuralndcg" (default), "approxndcg", "listnet" or
	// "bce" (pointwise). Ignored (recorded only) when Aggregate is set.
	Loss string `toml:"loss" json:"loss"`
	// Temperature is τ of NeuralNDCG (NeuralSort's softmax temperature) and of ApproxNDCG (the
	// sigmoid's scale in the smoothed rank); lower is closer to the exact NDCG but gives
	// sparser gradients.
	Temperature float64 `toml:"temperature" json:"temperature"`
	// SinkhornIters is the number of Sinkhorn scalings (one row then one column normalisation
	// each) that make NeuralSort's row-stochastic matrix doubly stochastic; 0 skips the scaling.
	// 20 brings the row and column sums within about 1e-3 of 1 for the lists seen here.
	SinkhornIters int `toml:"sinkhorn_iters" json:"sinkhorn_iters"`
	// Aggregate selects the snippet-level classifier variant: "" (default) trains the line
	// ranking with Loss; "last", "mean" or "max" trains with a snippet-level binary
	// cross-entropy on that aggregate of the line logits against "the snippet has a buggy line".
	// The model still scores lines either way (Assessor.ScoreList); Assessor.SnippetScore gives
	// the aggregate.
	Aggregate string `toml:"aggregate" json:"aggregate"`
	// GradedRelevance is how line labels become graded relevance for the NDCG-type losses and
	// ListNet: "proximity" (default) or "binary" (see RelevanceProximity, RelevanceBinary).
	GradedRelevance string `toml:"graded_relevance" json:"graded_relevance"`
	// RelevanceWindow is the neighbourhood (in scored lines of the list) of "proximity".
	RelevanceWindow int `toml:"relevance_window" json:"relevance_window"`
	// Standardize z-scores every feature with the mean and standard deviation of the training
	// lines (stored with the weights; features with std < 1e-6 are only centred).
	Standardize bool `toml:"standardize" json:"standardize"`
	// LR is AdamW's learning rate (constant).
	LR float64 `toml:"lr" json:"lr"`
	// WeightDecay is AdamW's decoupled weight decay on the weight matrices (never on biases).
	WeightDecay float64 `toml:"weight_decay" json:"weight_decay"`
	// Beta1, Beta2 and Eps are Adam's moment decay rates and denominator epsilon.
	Beta1 float64 `toml:"beta1" json:"beta1"`
	Beta2 float64 `toml:"beta2" json:"beta2"`
	Eps   float64 `toml:"eps" json:"eps"`
	// GradClip is the maximum global L2 norm of the gradient; 0 disables clipping.
	GradClip float64 `toml:"grad_clip" json:"grad_clip"`
	// Epochs is the maximum number of passes over the training lists.
	Epochs int `toml:"epochs" json:"epochs"`
	// Patience stops training when the validation metric has not improved for this many epochs;
	// the best epoch's weights are kept either way (0: run every epoch, still keep the best).
	Patience int `toml:"patience" json:"patience"`
	// BatchSize is the number of lists (snippets, or chunks of long snippets) per step.
	BatchSize int `toml:"batch_size" json:"batch_size"`
	// MaxLines bounds the length of a training list: a longer snippet is cut into consecutive
	// chunks of at most MaxLines lines, each trained as its own list (for the ranking losses a
	// chunk without a buggy line is skipped, like a snippet without one; for the snippet
	// classifier each chunk is labelled by whether it holds a buggy line). Scoring has no limit.
	MaxLines int `toml:"max_lines" json:"max_lines"`
	// Seed fixes the initial weights and the order of the lists: the same inputs and seed give
	// the same weights bit for bit.
	Seed uint64 `toml:"seed" json:"seed"`
	// Backend is the GoMLX backend spec used for training ("" = $GOMLX_BACKEND or pure Go).
	Backend string `toml:"backend" json:"backend"`

	// OutDir is where `pttrust finetune` saves the assessor (unused by Train).
	OutDir string `toml:"out_dir" json:"out_dir,omitempty"`
	// Data names the inputs of `pttrust finetune` (unused by Train).
	Data DataConfig `toml:"data" json:"data"`
}

// DataConfig names the inputs of the standalone command: line states and a pre-trained SAE.
type DataConfig struct {
	// StatesDir is an extraction directory (`pttrust states extract`).
	StatesDir string `toml:"states_dir" json:"states_dir,omitempty"`
	// SAEDir is a pre-trained SAE directory (`pttrust pretrain`); its hook selects the states.
	// Empty trains the raw-state probe on Hook instead.
	SAEDir string `toml:"sae_dir" json:"sae_dir,omitempty"`
	// Hook is the state column of the raw-state probe (only when SAEDir is empty).
	Hook string `toml:"hook" json:"hook,omitempty"`
	// TrainSplit and ValSplit are the split names of the training and validation lines.
	TrainSplit string `toml:"train_split" json:"train_split,omitempty"`
	ValSplit   string `toml:"val_split" json:"val_split,omitempty"`
}

// DefaultConfig is the paper's binding: a 4-layer MLP of width 32 trained with NeuralNDCG.
func DefaultConfig() Config {
	return Config{
		Layers: 4, Hidden: 32, Loss: LossNeuralNDCG, Temperature: 1.0, SinkhornIters: 20,
		GradedRelevance: RelevanceProximity, RelevanceWindow: 1, Standardize: true,
		LR: 1e-3, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, GradClip: 1.0,
		Epochs: 100, Patience: 15, BatchSize: 16, MaxLines: 128, Seed: 1,
		Data: DataConfig{TrainSplit: "train", ValSplit: "validation"},
	}
}

// LoadConfig reads a TOML file over DefaultConfig. Unknown keys are errors naming the key and
// the file; the result is validated.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if err := tomlconf.Load(path, &cfg); err != nil {
		return cfg, fmt.Errorf("finetune: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("finetune: %s: %w", path, err)
	}
	return cfg, nil
}

// MaxEpochs bounds epochs and patience.
const MaxEpochs = 100_000

// Validate reports the first invalid field by its TOML name.
func (c *Config) Validate() error {
	for _, p := range []struct {
		name string
		v    int
	}{{"layers", c.Layers}, {"hidden", c.Hidden}, {"epochs", c.Epochs}, {"batch_size", c.BatchSize}, {"max_lines", c.MaxLines}} {
		if p.v <= 0 {
			return fmt.Errorf("%s must be > 0, got %d", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"sinkhorn_iters", c.SinkhornIters}, {"relevance_window", c.RelevanceWindow}, {"patience", c.Patience}} {
		if p.v < 0 {
			return fmt.Errorf("%s must be >= 0, got %d", p.name, p.v)
		}
	}
	for _, p := range []struct {
		name   string
		v, max int
	}{{"epochs", c.Epochs, MaxEpochs}, {"patience", c.Patience, MaxEpochs}, {"layers", c.Layers, 64},
		{"hidden", c.Hidden, 1 << 16}, {"batch_size", c.BatchSize, 1 << 16}, {"max_lines", c.MaxLines, 1 << 16},
		{"sinkhorn_iters", c.SinkhornIters, 10_000}, {"relevance_window", c.RelevanceWindow, 1 << 16}} {
		if p.v > p.max { // a typo, not a plan: it would run for ever or fail to allocate
			return fmt.Errorf("%s must be at most %d, got %d", p.name, p.max, p.v)
		}
	}
	if c.MaxLines < 2 {
		return fmt.Errorf("max_lines must be >= 2, got %d", c.MaxLines)
	}
	switch c.Loss {
	case LossNeuralNDCG, LossApproxNDCG, LossListNet, LossBCE:
	default:
		return fmt.Errorf("loss must be one of %s, %s, %s, %s; got %q", LossNeuralNDCG, LossApproxNDCG, LossListNet, LossBCE, c.Loss)
	}
	switch c.Aggregate {
	case AggregateNone, AggregateLast, AggregateMean, AggregateMax:
	default:
		return fmt.Errorf("aggregate must be \"\", %q, %q or %q; got %q", AggregateLast, AggregateMean, AggregateMax, c.Aggregate)
	}
	switch c.GradedRelevance {
	case RelevanceBinary, RelevanceProximity:
	default:
		return fmt.Errorf("graded_relevance must be %q or %q, got %q", RelevanceProximity, RelevanceBinary, c.GradedRelevance)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !(c.Temperature > 0) || !finite(c.Temperature):
		return fmt.Errorf("temperature must be a positive number, got %g", c.Temperature)
	case !(c.LR > 0) || !finite(c.LR):
		return fmt.Errorf("lr must be a positive number, got %g", c.LR)
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return fmt.Errorf("weight_decay must be >= 0, got %g", c.WeightDecay)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("beta1 must be in [0, 1), got %g", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("beta2 must be in [0, 1), got %g", c.Beta2)
	case !(c.Eps > 0) || !finite(c.Eps):
		return fmt.Errorf("eps must be > 0, got %g", c.Eps)
	case !(c.GradClip >= 0) || !finite(c.GradClip):
		return fmt.Errorf("grad_clip must be >= 0, got %g", c.GradClip)
	}
	return nil
}

// ValidateData checks the sections only the standalone command needs.
func (c *Config) ValidateData() error {
	switch {
	case c.OutDir == "":
		return fmt.Errorf("out_dir must be set")
	case c.Data.StatesDir == "":
		return fmt.Errorf("data.states_dir must be set")
	case c.Data.SAEDir == "" && c.Data.Hook == "":
		return fmt.Errorf("data.sae_dir (or data.hook for the raw-state probe) must be set")
	case c.Data.SAEDir != "" && c.Data.Hook != "":
		return fmt.Errorf("data.hook is only for the raw-state probe: leave it empty when data.sae_dir is set (the SAE names its hook)")
	case c.Data.TrainSplit == "" || c.Data.ValSplit == "":
		return fmt.Errorf("data.train_split and data.val_split must be set")
	}
	return nil
}

package finetune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models/safetensors"
)

// Artifact names inside an assessor directory.
const (
	WeightsFile = "binding.safetensors" // MLP weights (+ standardisation), F32
	ConfigFile  = "cfg.json"            // configuration, threshold and provenance
)

// Format is the version of the assessor layout, recorded in cfg.json and the safetensors
// metadata.
const Format = "pttrust.binding/1"

// Tensor names in WeightsFile: torch-style Linear layers (weight [out, in], bias [out]).
const (
	meanTensor = "standardize.mean" // [InputDim], present when Cfg.Standardize
	stdTensor  = "standardize.std"  // [InputDim]
)

func weightTensor(l int) string { return fmt.Sprintf("layer_%d.weight", l) }
func biasTensor(l int) string   { return fmt.Sprintf("layer_%d.bias", l) }

// Assessor is a trained binding: it scores the lines of a snippet (higher = riskier) and flags
// those at or above Threshold.
type Assessor struct {
	// Cfg is the configuration it was trained with.
	Cfg Config
	// Threshold flags a line as risky when its score is >= Threshold (Youden index).
	Threshold float64
	// ThresholdSource is "validation", or "train" when the validation lines lacked a buggy or a
	// clean line; ThresholdTPR/FPR are the rates at the threshold on that source.
	ThresholdSource string
	ThresholdTPR    float64
	ThresholdFPR    float64
	// InputDim is the length of a line's feature vector.
	InputDim int
	// Features says what the features are; set by the caller and recorded in cfg.json
	// (e.g. "sae:blocks.1.resid_post", "raw:blocks.1.resid_post", "pca128:blocks.1.resid_post").
	Features string
	// BestEpoch is the epoch whose weights were kept; EpochsRun the epochs trained.
	BestEpoch int
	EpochsRun int
	// ValMetricName names the selection metric ("ndcg" for ranking, "neg_snippet_bce" for the
	// snippet classifier); ValMetric is its value at BestEpoch (nil without validation lists).
	ValMetricName string
	ValMetric     *float64
	// History has one entry per epoch trained.
	History []EpochStat

	net       *mlp
	mean, std []float32 // nil when !Cfg.Standardize
}

// Score returns the risk score of each feature vector (one line each): the MLP's output logit,
// computed in pure Go (float32 weights, float64 accumulation). Higher is riskier; only the order
// and the comparison with Threshold are meaningful. It panics when a vector's length is not
// InputDim.
func (a *Assessor) Score(features [][]float32) []float64 {
	out := make([]float64, len(features))
	buf := a.net.buffers()
	for i, f := range features {
		if len(f) != a.InputDim {
			panic(fmt.Sprintf("finetune: Score: line %d has %d features, want %d", i, len(f), a.InputDim))
		}
		out[i] = a.net.forward(standardize(f, a.mean, a.std), buf)
	}
	return out
}

// ScoreList returns the score of every line of l, in line order.
func (a *Assessor) ScoreList(l List) []float64 { return a.Score(l.Features) }

// Flag reports which scores are at or above the threshold.
func (a *Assessor) Flag(scores []float64) []bool {
	out := make([]bool, len(scores))
	for i, s := range scores {
		out[i] = s >= a.Threshold
	}
	return out
}

// SnippetScore is the snippet-level score of l: the Cfg.Aggregate ("last", "mean", "max") of its
// line scores, the maximum when the assessor ranks lines (Aggregate ""); NaN for an empty list.
func (a *Assessor) SnippetScore(l List) float64 {
	kind := a.Cfg.Aggregate
	if kind == AggregateNone {
		kind = AggregateMax
	}
	return aggregate(a.ScoreList(l), kind)
}

// aggregate is the Go twin of aggregateLines.
func aggregate(scores []float64, kind string) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	switch kind {
	case AggregateLast:
		return scores[len(scores)-1]
	case AggregateMean:
		s := 0.0
		for _, v := range scores {
			s += v
		}
		return s / float64(len(scores))
	default:
		return slices.Max(scores)
	}
}

// savedConfig is cfg.json.
type savedConfig struct {
	Format          string         `json:"format"`
	Config          Config         `json:"config"`
	InputDim        int            `json:"input_dim"`
	Features        string         `json:"features"`
	Threshold       float64        `json:"threshold"`
	ThresholdSource string         `json:"threshold_source"`
	ThresholdTPR    float64        `json:"threshold_tpr"`
	ThresholdFPR    float64        `json:"threshold_fpr"`
	Seed            uint64         `json:"seed"`
	LayerDims       []int          `json:"layer_dims"`
	BestEpoch       int            `json:"best_epoch"`
	EpochsRun       int            `json:"epochs_run"`
	ValMetricName   string         `json:"val_metric_name"`
	ValMetric       *float64       `json:"val_metric"`
	History         []EpochStat    `json:"history"`
	CodeVersion     buildinfo.Info `json:"code_version"`
}

// Save writes WeightsFile and then ConfigFile into dir (created if needed), each atomically
// (temporary file + rename), so neither is ever seen half written.
func (a *Assessor) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	var ts []safetensors.Tensor
	for l := range len(a.net.dims) - 1 {
		in, out := a.net.dims[l], a.net.dims[l+1]
		ts = append(ts, safetensors.F32Tensor(weightTensor(l), []int{out, in}, a.net.W[l]),
			safetensors.F32Tensor(biasTensor(l), []int{out}, a.net.B[l]))
	}
	if a.mean != nil {
		ts = append(ts, safetensors.F32Tensor(meanTensor, []int{a.InputDim}, a.mean),
			safetensors.F32Tensor(stdTensor, []int{a.InputDim}, a.std))
	}
	meta := map[string]string{"format": Format, "features": a.Features}
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, meta); err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	sc := savedConfig{Format: Format, Config: a.Cfg, InputDim: a.InputDim, Features: a.Features, Threshold: a.Threshold,
		ThresholdSource: a.ThresholdSource, ThresholdTPR: a.ThresholdTPR, ThresholdFPR: a.ThresholdFPR, Seed: a.Cfg.Seed,
		LayerDims: a.net.dims, BestEpoch: a.BestEpoch, EpochsRun: a.EpochsRun, ValMetricName: a.ValMetricName,
		ValMetric: a.ValMetric, History: a.History, CodeVersion: buildinfo.Get()}
	data, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return fmt.Errorf("finetune: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(data, '\n')); err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	return nil
}

// Load reads an assessor saved by Save. Every error names the file at fault.
func Load(dir string) (*Assessor, error) {
	cfgPath := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	var sc savedConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("finetune: %s: %w", cfgPath, err)
	}
	if sc.Format != Format {
		return nil, fmt.Errorf("finetune: %s: format %q, want %q", cfgPath, sc.Format, Format)
	}
	if err := sc.Config.Validate(); err != nil {
		return nil, fmt.Errorf("finetune: %s: config: %w", cfgPath, err)
	}
	if sc.InputDim <= 0 {
		return nil, fmt.Errorf("finetune: %s: input_dim must be > 0, got %d", cfgPath, sc.InputDim)
	}
	if math.IsNaN(sc.Threshold) || math.IsInf(sc.Threshold, 0) {
		return nil, fmt.Errorf("finetune: %s: threshold is not finite", cfgPath)
	}
	dims := layerDims(sc.InputDim, sc.Config)
	if sc.LayerDims != nil && !slices.Equal(sc.LayerDims, dims) {
		return nil, fmt.Errorf("finetune: %s: layer_dims %v disagree with the config (%v)", cfgPath, sc.LayerDims, dims)
	}
	a := &Assessor{Cfg: sc.Config, Threshold: sc.Threshold, ThresholdSource: sc.ThresholdSource, ThresholdTPR: sc.ThresholdTPR,
		ThresholdFPR: sc.ThresholdFPR, InputDim: sc.InputDim, Features: sc.Features, BestEpoch: sc.BestEpoch,
		EpochsRun: sc.EpochsRun, ValMetricName: sc.ValMetricName, ValMetric: sc.ValMetric, History: sc.History}

	wPath := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Open(wPath)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	defer f.Close()
	want := map[string][]int{}
	for l := range len(dims) - 1 {
		want[weightTensor(l)] = []int{dims[l+1], dims[l]}
		want[biasTensor(l)] = []int{dims[l+1]}
	}
	if sc.Config.Standardize {
		want[meanTensor] = []int{sc.InputDim}
		want[stdTensor] = []int{sc.InputDim}
	}
	for _, name := range f.Names() {
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("finetune: %s: unexpected tensor %q", wPath, name)
		}
	}
	read := func(name string) ([]float32, error) {
		shape, ok := want[name]
		if !ok {
			return nil, fmt.Errorf("finetune: %s: internal: no expected shape for %q", wPath, name)
		}
		v, got, err := f.Float32(name)
		if err != nil {
			return nil, fmt.Errorf("finetune: %w", err)
		}
		if !slices.Equal(got, shape) {
			return nil, fmt.Errorf("finetune: %s: tensor %q has shape %v, want %v (from %s)", wPath, name, got, shape, ConfigFile)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("finetune: %s: tensor %q holds a non-finite value", wPath, name)
			}
		}
		return v, nil
	}
	net := &mlp{dims: dims}
	for l := range len(dims) - 1 {
		w, err := read(weightTensor(l))
		if err != nil {
			return nil, err
		}
		b, err := read(biasTensor(l))
		if err != nil {
			return nil, err
		}
		net.W, net.B = append(net.W, w), append(net.B, b)
	}
	a.net = net
	if sc.Config.Standardize {
		if a.mean, err = read(meanTensor); err != nil {
			return nil, err
		}
		if a.std, err = read(stdTensor); err != nil {
			return nil, err
		}
		for d, s := range a.std {
			if !(s > 0) {
				return nil, fmt.Errorf("finetune: %s: %s[%d] = %g, want > 0", wPath, stdTensor, d, s)
			}
		}
	}
	return a, nil
}

package pretrain

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models/safetensors"
)

// Artifact names in Config.OutDir (the trained SAE) and Config.WorkDir (the checkpoint).
const (
	WeightsFile    = "sae.safetensors"        // W_enc [dim, latents], b_enc, W_dec [latents, dim], b_dec (= b_pre)
	ConfigFile     = "cfg.json"               // SAEConfig
	MetricsFile    = "metrics.csv"            // one MetricsRow per eval interval
	CurvesFile     = "curves.png"             // the metrics drawn against the step
	CheckpointFile = "checkpoint.safetensors" // in WorkDir: weights, Adam moments, counters, run state
)

// Tensor names in WeightsFile (the SAELens layout).
const (
	TensorWEnc = "W_enc"
	TensorBEnc = "b_enc"
	TensorWDec = "W_dec"
	TensorBDec = "b_dec"
)

// Activation values (Config.Activation; SAEConfig.Architecture).
const (
	ActivationTopK      = "topk"
	ActivationBatchTopK = "batchtopk"
)

// Normalization values of SAEConfig.Normalization.
const (
	NormLayerNorm = "layer_norm"
	NormNone      = "none"
)

// SAEConfig is cfg.json: what the SAE is and what made it.
type SAEConfig struct {
	Architecture string `json:"architecture"` // "topk" or "batchtopk"
	// Threshold (batchtopk) is the inference threshold: a line keeps the latents whose
	// (positive) pre-activation is at least Threshold.
	Threshold float32 `json:"threshold,omitempty"`
	// DIn is the input dimension; DSAE the number of latents; K the active latents per line.
	DIn  int `json:"d_in"`
	DSAE int `json:"d_sae"`
	K    int `json:"k"`
	// Tied says the encoder was trained as the decoder's transpose (W_enc is still written).
	Tied bool `json:"tied"`
	// Normalization is applied to each input before the SAE: "layer_norm" ((x - mean) /
	// sqrt(var + NormEps) over the vector's components) or "none".
	Normalization string  `json:"normalization"`
	NormEps       float64 `json:"norm_eps"`
	// HookName, HookLayer and ModelName say where the states came from.
	HookName  string `json:"hook_name"`
	HookLayer int    `json:"hook_layer"`
	ModelName string `json:"model_name"`
	// Seed and DataManifestSHA256 (the states manifest's hash) identify the run's inputs.
	Seed               uint64 `json:"seed"`
	DataManifestSHA256 string `json:"data_manifest_sha256"`
	// Lines and Steps are the training lines seen and the optimizer steps made.
	Lines int64 `json:"lines"`
	Steps int   `json:"steps"`
	// Train is the run's configuration.
	Train Config `json:"train"`
	// Code is the build that trained the SAE.
	Code buildinfo.Info `json:"code"`
}

// SAE is a trained TopK sparse autoencoder, runnable in pure Go (float32).
type SAE struct {
	Config SAEConfig
	// WEnc is [DIn][DSAE] row-major (W_enc), BEnc [DSAE], WDec [DSAE][DIn] row-major (W_dec),
	// BDec [DIn] (b_pre: subtracted before encoding, added after decoding).
	WEnc, BEnc, WDec, BDec []float32
}

// Load reads dir/sae.safetensors and dir/cfg.json; errors name the file.
func Load(dir string) (*SAE, error) {
	cfgPath := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("pretrain: loading SAE: %w", err)
	}
	var cfg SAEConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("pretrain: %s: malformed JSON: %w", cfgPath, err)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("pretrain: %s: %w", cfgPath, err)
	}
	wPath := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Open(wPath)
	if err != nil {
		return nil, fmt.Errorf("pretrain: loading SAE: %w", err)
	}
	defer f.Close()
	s := &SAE{Config: cfg}
	d, l := cfg.DIn, cfg.DSAE
	for _, t := range []struct {
		name  string
		dst   *[]float32
		shape []int
	}{{TensorWEnc, &s.WEnc, []int{d, l}}, {TensorBEnc, &s.BEnc, []int{l}}, {TensorWDec, &s.WDec, []int{l, d}}, {TensorBDec, &s.BDec, []int{d}}} {
		data, shape, err := f.Float32(t.name)
		if err != nil {
			return nil, fmt.Errorf("pretrain: loading SAE: %w", err)
		}
		if !slices.Equal(shape, t.shape) {
			return nil, fmt.Errorf("pretrain: %s: tensor %s has shape %v, %s implies %v", wPath, t.name, shape, ConfigFile, t.shape)
		}
		*t.dst = data
	}
	return s, nil
}

func (c *SAEConfig) validate() error {
	switch {
	case c.Architecture != ActivationTopK && c.Architecture != ActivationBatchTopK:
		return fmt.Errorf("architecture %q: want %q or %q", c.Architecture, ActivationTopK, ActivationBatchTopK)
	case c.Architecture == ActivationBatchTopK && !(c.Threshold >= 0):
		return fmt.Errorf("threshold %v: want a number >= 0", c.Threshold)
	case c.DIn <= 0 || c.DSAE <= 0:
		return fmt.Errorf("d_in (%d) and d_sae (%d) must be > 0", c.DIn, c.DSAE)
	case c.K <= 0 || c.K > c.DSAE:
		return fmt.Errorf("k (%d) must be in [1, d_sae=%d]", c.K, c.DSAE)
	case c.Normalization != NormLayerNorm && c.Normalization != NormNone:
		return fmt.Errorf("normalization %q: want %q or %q", c.Normalization, NormLayerNorm, NormNone)
	}
	return nil
}

// save writes the SAE's two files atomically.
func (s *SAE) save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, l := s.Config.DIn, s.Config.DSAE
	ts := []safetensors.Tensor{
		safetensors.F32Tensor(TensorWEnc, []int{d, l}, s.WEnc),
		safetensors.F32Tensor(TensorBEnc, []int{l}, s.BEnc),
		safetensors.F32Tensor(TensorWDec, []int{l, d}, s.WDec),
		safetensors.F32Tensor(TensorBDec, []int{d}, s.BDec),
	}
	meta := map[string]string{"format": "pt", "pttrust": "sae/1"}
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, meta); err != nil {
		return err
	}
	js, err := json.MarshalIndent(s.Config, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(js, '\n'))
}

// Normalize applies the SAE's input normalisation to x (a copy).
func (s *SAE) Normalize(x []float32) []float32 {
	out := slices.Clone(x)
	if s.Config.Normalization != NormLayerNorm {
		return out
	}
	var mean float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var vr float64
	for _, v := range x {
		d := float64(v) - mean
		vr += d * d
	}
	vr /= float64(len(x))
	inv := 1 / math.Sqrt(vr+s.Config.NormEps)
	for i, v := range x {
		out[i] = float32((float64(v) - mean) * inv)
	}
	return out
}

// PreActivations returns W_enc(norm(x) - b_dec) + b_enc: [DSAE].
func (s *SAE) PreActivations(x []float32) []float32 {
	d, l := s.Config.DIn, s.Config.DSAE
	if len(x) != d {
		panic(fmt.Sprintf("pretrain: SAE input has %d values, want %d", len(x), d))
	}
	xn := s.Normalize(x)
	pre := make([]float64, l)
	for j := range l {
		pre[j] = float64(s.BEnc[j])
	}
	for i := range d {
		xi := float64(xn[i] - s.BDec[i])
		if xi == 0 {
			continue
		}
		row := s.WEnc[i*l : (i+1)*l]
		for j, w := range row {
			pre[j] += xi * float64(w)
		}
	}
	out := make([]float32, l)
	for j, v := range pre {
		out[j] = float32(v)
	}
	return out
}

// Encode returns the dense latent vector of x (a raw state, normalised as in training): length
// DSAE, zero except the K largest positive pre-activations (ties at the K-th value are all kept,
// as in training), or, for a BatchTopK SAE, the positive ones at or above its threshold.
func (s *SAE) Encode(x []float32) []float32 {
	z := s.PreActivations(x)
	for j, v := range z {
		if !(v > 0) {
			z[j] = 0
		}
	}
	if s.Config.Architecture == ActivationBatchTopK {
		for j, v := range z {
			if v < s.Config.Threshold {
				z[j] = 0
			}
		}
		return z
	}
	k := s.Config.K
	if k >= len(z) {
		return z
	}
	sorted := slices.Clone(z)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] > sorted[b] })
	thr := sorted[k-1]
	for j, v := range z {
		if v < thr {
			z[j] = 0
		}
	}
	return z
}

// EncodeBatch encodes each vector of xs.
func (s *SAE) EncodeBatch(xs [][]float32) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = s.Encode(x)
	}
	return out
}

// Decode maps latents z [DSAE] back to W_dec z + b_dec: the reconstruction of the normalised
// input (Normalize(x)), length DIn.
func (s *SAE) Decode(z []float32) []float32 {
	d, l := s.Config.DIn, s.Config.DSAE
	if len(z) != l {
		panic(fmt.Sprintf("pretrain: SAE latents have %d values, want %d", len(z), l))
	}
	out := make([]float64, d)
	for i := range d {
		out[i] = float64(s.BDec[i])
	}
	for j, zj := range z {
		if zj == 0 {
			continue
		}
		row := s.WDec[j*d : (j+1)*d]
		for i, w := range row {
			out[i] += float64(zj) * float64(w)
		}
	}
	res := make([]float32, d)
	for i, v := range out {
		res[i] = float32(v)
	}
	return res
}

// FVU is the fraction of variance unexplained of the SAE on xs: Σ||x̂ - x||² / Σ||x - mean||²,
// in the normalised space.
func (s *SAE) FVU(xs [][]float32) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	d := s.Config.DIn
	mean := make([]float64, d)
	norm := make([][]float32, len(xs))
	for n, x := range xs {
		norm[n] = s.Normalize(x)
		for i, v := range norm[n] {
			mean[i] += float64(v) / float64(len(xs))
		}
	}
	var sse, tot float64
	for n, x := range xs {
		xh := s.Decode(s.Encode(x))
		for i := range d {
			e := float64(xh[i] - norm[n][i])
			sse += e * e
			c := float64(norm[n][i]) - mean[i]
			tot += c * c
		}
	}
	if tot == 0 {
		return math.NaN()
	}
	return sse / tot
}

// LatentDistance is ||ẑ_a - ẑ_b|| of two latent vectors after L2 normalisation (the
// contrastive term's distance).
func LatentDistance(za, zb []float32) float64 {
	na, nb := l2(za), l2(zb)
	var s float64
	for i := range za {
		d := float64(za[i])/na - float64(zb[i])/nb
		s += d * d
	}
	return math.Sqrt(s)
}

func l2(z []float32) float64 {
	var s float64
	for _, v := range z {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s + zNormEps)
}

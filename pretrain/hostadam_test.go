package pretrain

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Updating the weight matrices on the host trains the same SAE, byte for byte, as the step
// graph's AdamW: the weights, the moments (the last checkpoint) and the metrics, untied with
// latents dying (AuxK) and the contrastive term, tied with weight decay and no clipping, and
// BatchTopK with the gradients clipped.
func TestHostAdamTrainsSameSAE(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.lines(5, 4096, 3)
	for _, v := range []struct {
		name       string
		tied       bool
		wd, clip   float64
		activation string
	}{
		{"untied", false, 0, 1, ActivationTopK},
		{"tied, weight decay, no clip", true, 1e-2, 0, ActivationTopK},
		{"batchtopk, clipped", false, 1e-3, 0.01, ActivationBatchTopK},
	} {
		host, _ := requireSameTraining(t, v.name, &inGraphAdam, items, func(dir string) Config {
			cfg := testConfig(dir)
			cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 1
			cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = 1024, 32, 1
			cfg.Tied, cfg.WeightDecay, cfg.GradClip, cfg.Activation = v.tied, v.wd, v.clip, v.activation
			cfg.CheckpointEvery = 7
			return cfg
		})
		require.Greater(t, host.Steps, 30, v.name)
		if v.clip == 0.01 {
			require.Greater(t, host.Metrics[0].GradNorm, v.clip, "the clip factor is used")
		}
		if v.name == "untied" {
			require.Greater(t, host.AuxLoss, 0.0, "latents die: the AuxK term trains")
		}
	}
}

// adamW's vector loop and its scalar tail give the scalar loop's bits on a length that is not a
// multiple of any vector width, with and without decay, clipped and not.
func TestAdamWVectorsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 4099
	fill := func(scale float64, positive bool) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
			if positive {
				v[i] = float32(math.Abs(float64(v[i])))
			}
		}
		return v
	}
	w, g, m, v := fill(1, false), fill(1e-2, false), fill(1e-3, false), fill(1e-5, true)
	for _, s := range []adamScalars{
		{scale: 1, corr1: 0.1, corr2: 0.001, lr: 2e-4},
		{scale: 0.37, corr1: 0.65, corr2: 0.0952, lr: 1e-3, wd: 1e-2, decays: true},
	} {
		w1, m1, v1 := slices.Clone(w), slices.Clone(m), slices.Clone(v)
		w2, m2, v2 := slices.Clone(w), slices.Clone(m), slices.Clone(v)
		adamW(w1, g, m1, v1, s)
		adamWScalar(w2, g, m2, v2, s)
		require.Equal(t, w2, w1)
		require.Equal(t, m2, m1)
		require.Equal(t, v2, v1)
		require.NotEqual(t, w, w1, "the step moved the weights")
	}
}

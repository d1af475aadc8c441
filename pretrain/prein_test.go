package pretrain

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Taking preGraph's pre-activations as the step's input, with the encoder's gradients from the
// fused dense op's VJP, trains the same SAE, byte for byte (weights, moments, metrics), as
// recomputing them in the step: TopK with latents dying (AuxK) and the contrastive hinge, the
// SupCon term with weight decay, and BatchTopK clipped.
func TestPreActivationsOnceTrainSameSAE(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.pairs(9, 2048, 3)
	for _, v := range []struct {
		name, contrast, activation string
		wd, clip                   float64
	}{
		{"topk, hinge", ContrastHinge, ActivationTopK, 0, 1},
		{"supcon, decay", ContrastSupCon, ActivationTopK, 1e-2, 1},
		{"batchtopk, clipped", ContrastHinge, ActivationBatchTopK, 0, 0.01},
	} {
		once, _ := requireSameTraining(t, v.name, &recomputePre, items, func(dir string) Config {
			cfg := testConfig(dir)
			cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 1
			cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef, cfg.ContrastWeight = 1024, 32, 1, 1
			cfg.Contrast, cfg.Activation, cfg.WeightDecay, cfg.GradClip = v.contrast, v.activation, v.wd, v.clip
			cfg.CheckpointEvery = 5
			return cfg
		})
		require.Greater(t, once.Steps, 20, v.name)
		if v.activation == ActivationTopK {
			require.Greater(t, once.AuxLoss, 0.0, "latents die: the AuxK term trains")
		}
	}
}

// TestContrastOffSameSAE: a run without a contrastive term (ContrastWeight 0) trains the same
// SAE, moments and metrics, to the bit, whether or not autodiff differentiates that zero-weighted
// term (contrastGradAlways): the statistics of the pairs are still reported. Both contrasts,
// and free decoder rows, which take the pre-activations' gradient by another path.
func TestContrastOffSameSAE(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.pairs(9, 2048, 3)
	for _, v := range []struct{ name, contrast, decoderNorm string }{
		{"hinge", ContrastHinge, DecoderNormUnit}, {"supcon", ContrastSupCon, DecoderNormUnit}, {"hinge, free rows", ContrastHinge, DecoderNormFree},
	} {
		off, _ := requireSameTraining(t, v.name, &contrastGradAlways, items, func(dir string) Config {
			cfg := testConfig(dir)
			cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 0
			cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef, cfg.ContrastWeight = 1024, 32, 1, 0
			cfg.Contrast, cfg.DecoderNorm, cfg.CheckpointEvery = v.contrast, v.decoderNorm, 5
			return cfg
		})
		require.Greater(t, off.Steps, 20, v.name)
		require.Greater(t, off.Metrics[len(off.Metrics)-1].Pairs, int64(0), "%s: the pairs' statistics are reported", v.name)
	}
}

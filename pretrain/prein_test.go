package pretrain

import (
	"context"
	"os"
	"path/filepath"
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
	type variant struct {
		name, contrast, activation string
		wd, clip                   float64
	}
	run := func(recompute bool, v variant) (sae, ckpt []byte, res *Result) {
		recomputePre = recompute
		defer func() { recomputePre = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 1
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef, cfg.ContrastWeight = 1024, 32, 1, 1
		cfg.Contrast, cfg.Activation, cfg.WeightDecay, cfg.GradClip = v.contrast, v.activation, v.wd, v.clip
		cfg.CheckpointEvery = 5
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		ckpt, err = os.ReadFile(filepath.Join(cfg.WorkDir, CheckpointFile))
		require.NoError(t, err)
		return saeBytes(t, cfg.OutDir), ckpt, res
	}
	for _, v := range []variant{
		{"topk, hinge", ContrastHinge, ActivationTopK, 0, 1},
		{"supcon, decay", ContrastSupCon, ActivationTopK, 1e-2, 1},
		{"batchtopk, clipped", ContrastHinge, ActivationBatchTopK, 0, 0.01},
	} {
		once, oCkpt, oRes := run(false, v)
		twice, tCkpt, tRes := run(true, v)
		require.Equal(t, twice, once, v.name)
		require.Equal(t, tCkpt, oCkpt, "%s: checkpoint (moments)", v.name)
		require.Equal(t, tRes.Metrics, oRes.Metrics, v.name)
		require.Greater(t, oRes.Steps, 20, v.name)
		if v.activation == ActivationTopK {
			require.Greater(t, tRes.AuxLoss, 0.0, "latents die: the AuxK term trains")
		}
	}
}

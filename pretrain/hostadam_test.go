package pretrain

import (
	"context"
	"os"
	"path/filepath"
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
	type variant struct {
		name       string
		tied       bool
		wd, clip   float64
		activation string
	}
	run := func(inGraph bool, v variant) (sae, ckpt []byte, res *Result) {
		inGraphAdam = inGraph
		defer func() { inGraphAdam = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 3, 1
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = 1024, 32, 1
		cfg.Tied, cfg.WeightDecay, cfg.GradClip, cfg.Activation = v.tied, v.wd, v.clip, v.activation
		cfg.CheckpointEvery = 7
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		ckpt, err = os.ReadFile(filepath.Join(cfg.WorkDir, CheckpointFile))
		require.NoError(t, err)
		return saeBytes(t, cfg.OutDir), ckpt, res
	}
	for _, v := range []variant{
		{"untied", false, 0, 1, ActivationTopK},
		{"tied, weight decay, no clip", true, 1e-2, 0, ActivationTopK},
		{"batchtopk, clipped", false, 1e-3, 0.01, ActivationBatchTopK},
	} {
		hSAE, hCkpt, hRes := run(false, v)
		gSAE, gCkpt, gRes := run(true, v)
		require.Equal(t, gSAE, hSAE, v.name)
		require.Equal(t, gCkpt, hCkpt, "%s: checkpoint (moments)", v.name)
		require.Equal(t, gRes.Metrics, hRes.Metrics, v.name)
		require.Greater(t, hRes.Steps, 30, v.name)
		if v.clip == 0.01 {
			require.Greater(t, hRes.Metrics[0].GradNorm, v.clip, "the clip factor is used")
		}
		if v.name == "untied" {
			require.Greater(t, gRes.AuxLoss, 0.0, "latents die: the AuxK term trains")
		}
	}
}

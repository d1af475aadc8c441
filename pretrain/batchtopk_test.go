package pretrain

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// A BatchTopK SAE keeps k latents per line on average over a batch, not on every line; its
// threshold (calibrated after training for a mean of k on the b_pre sample) makes inference per
// line, and Go's Encode equals the graph's encoder.
func TestBatchTopK(t *testing.T) {
	p := newPlanted(11, 48, 96)
	cfg := testConfig(t.TempDir())
	cfg.Latents, cfg.K, cfg.Epochs, cfg.ContrastWeight = 96, 6, 2, 0 // trainSmall's settings
	cfg.BPreInit = BPreMean
	cfg.Activation = ActivationBatchTopK
	_, err := TrainOn(context.Background(), cfg, &SliceSource{Items: p.lines(12, 2048, 3), Meta: SourceInfo{Hook: "blocks.3.resid_post", Layer: 3, ModelID: "test"}}, nil)
	require.NoError(t, err)
	s, err := Load(cfg.OutDir)
	require.NoError(t, err)
	require.Equal(t, ActivationBatchTopK, s.Config.Architecture)
	require.Positive(t, s.Config.Threshold, "a learned inference threshold")

	xs := vectors(p.lines(13, 256, 3))
	backend, err := models.NewBackend("")
	require.NoError(t, err)
	graph, err := s.EncodeOn(backend, xs)
	require.NoError(t, err)
	goZ := s.EncodeBatch(xs)
	l0 := map[int]int{}
	total := 0
	for n := range xs {
		active := 0
		for j := range goZ[n] {
			require.InDelta(t, graph[n][j], goZ[n][j], 1e-5, "line %d latent %d", n, j)
			if goZ[n][j] != 0 {
				require.GreaterOrEqual(t, goZ[n][j], s.Config.Threshold)
				active++
			}
		}
		l0[active]++
		total += active
	}
	mean := float64(total) / float64(len(xs))
	t.Logf("threshold %.4f, mean L0 %.2f (k %d), L0 histogram %v, FVU %.3f", s.Config.Threshold, mean, s.Config.K, l0, s.FVU(xs))
	require.Greater(t, len(l0), 1, "lines differ in how many latents fire")
	require.InDelta(t, float64(cfg.K), mean, 0.5*float64(cfg.K), "about k per line on average")
	top, err := Load(trainSmall(t, false)) // TopK, the same data and settings
	require.NoError(t, err)
	t.Logf("FVU: BatchTopK %.3f, TopK %.3f", s.FVU(xs), top.FVU(xs))
	require.Less(t, s.FVU(xs), top.FVU(xs)+0.05, "reconstructs about as well as TopK at the same mean L0")

	cfg.Activation = "relu"
	require.ErrorContains(t, cfg.Validate(), `activation must be "topk" or "batchtopk", got "relu"`)
}

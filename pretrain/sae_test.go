package pretrain

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// trainSmall trains a tiny SAE on planted data and returns its output directory.
func trainSmall(t *testing.T, tied bool) string {
	p := newPlanted(11, 48, 96)
	cfg := testConfig(t.TempDir())
	cfg.Latents, cfg.K, cfg.Epochs, cfg.Tied, cfg.ContrastWeight = 96, 6, 2, tied, 0
	cfg.BPreInit = BPreMean
	_, err := TrainOn(context.Background(), cfg, &SliceSource{Items: p.lines(12, 2048, 3), Meta: SourceInfo{Hook: "blocks.3.resid_post", Layer: 3, ModelID: "test"}}, nil)
	require.NoError(t, err)
	return cfg.OutDir
}

// Go's Encode equals the graph's encoder (the one training uses), tied or not.
func TestEncodeMatchesGraph(t *testing.T) {
	backend, err := models.NewBackend("")
	require.NoError(t, err)
	for _, tied := range []bool{false, true} {
		s, err := Load(trainSmall(t, tied))
		require.NoError(t, err)
		require.Equal(t, tied, s.Config.Tied)
		require.Equal(t, "blocks.3.resid_post", s.Config.HookName)
		require.Equal(t, 3, s.Config.HookLayer)
		require.Equal(t, NormLayerNorm, s.Config.Normalization)
		xs := vectors(newPlanted(11, 48, 96).lines(13, 64, 3))
		for i := range xs[0] { // raw states are not centred: shift and scale one
			xs[0][i] = 3*xs[0][i] + 1
		}
		graph, err := s.EncodeOn(backend, xs)
		require.NoError(t, err)
		goZ := s.EncodeBatch(xs)
		for n := range xs {
			active := 0
			for j := range goZ[n] {
				require.InDelta(t, graph[n][j], goZ[n][j], 1e-5, "line %d latent %d", n, j)
				if goZ[n][j] != 0 {
					active++
				}
			}
			require.LessOrEqual(t, active, s.Config.K)
		}
		rec := s.Decode(goZ[1])
		require.Len(t, rec, 48)
		require.False(t, math.IsNaN(s.FVU(xs)))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := trainSmall(t, false)
	_, err := Load(dir)
	require.NoError(t, err)
	for _, name := range []string{WeightsFile, ConfigFile, MetricsFile, CurvesFile} {
		require.FileExists(t, filepath.Join(dir, name))
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	good, err := os.ReadFile(cfgPath)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(cfgPath, good[:len(good)/2], 0o644))
	_, err = Load(dir)
	require.ErrorContains(t, err, cfgPath)
	require.ErrorContains(t, err, "malformed JSON")

	require.NoError(t, os.WriteFile(cfgPath, []byte(`{"architecture":"topk","d_in":48,"d_sae":96,"k":200,"normalization":"none"}`), 0o644))
	_, err = Load(dir)
	require.ErrorContains(t, err, "k (200) must be in [1, d_sae=96]")

	require.NoError(t, os.WriteFile(cfgPath, []byte(`{"architecture":"topk","d_in":40,"d_sae":96,"k":6,"normalization":"none"}`), 0o644))
	_, err = Load(dir)
	require.ErrorContains(t, err, "tensor W_enc has shape [48 96], cfg.json implies [40 96]")

	require.NoError(t, os.WriteFile(cfgPath, good, 0o644))
	wPath := filepath.Join(dir, WeightsFile)
	w, err := os.ReadFile(wPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wPath, w[:len(w)-10], 0o644))
	_, err = Load(dir)
	require.ErrorContains(t, err, wPath)

	require.NoError(t, os.Remove(cfgPath))
	_, err = Load(dir)
	require.ErrorContains(t, err, cfgPath)
}

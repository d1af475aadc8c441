package pretrain

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A run interrupted twice (once mid-epoch, once in the contrastive phase) and resumed reaches
// the same weights and metrics as an uninterrupted run with the same seed.
func TestResumeMatchesUninterrupted(t *testing.T) {
	p := newPlanted(9, 32, 64)
	items := p.pairs(10, 1500, 3)
	base := func(dir string) Config {
		cfg := testConfig(dir)
		cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.BatchSize, cfg.ShuffleBuffer = 64, 4, 3, 1, 64, 256
		cfg.EvalEvery, cfg.DeadAfterLines, cfg.AuxK = 7, 256, 16
		return cfg
	}
	ref := base(t.TempDir())
	refRes, err := TrainOn(context.Background(), ref, &SliceSource{Items: items}, nil)
	require.NoError(t, err)

	cfg := base(t.TempDir())
	for _, stopAt := range []int{17, 60} {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := trainOn(ctx, cfg, &SliceSource{Items: items}, nil, func(step int) {
			if step == stopAt {
				cancel()
			}
		})
		cancel()
		require.ErrorIs(t, err, context.Canceled)
		require.FileExists(t, filepath.Join(cfg.WorkDir, CheckpointFile))
	}
	res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	require.True(t, res.Resumed)
	require.Equal(t, refRes.Steps, res.Steps)
	require.Equal(t, refRes.Lines, res.Lines)
	require.Equal(t, refRes.Metrics, res.Metrics)

	a, err := Load(ref.OutDir)
	require.NoError(t, err)
	b, err := Load(cfg.OutDir)
	require.NoError(t, err)
	require.Equal(t, a.WDec, b.WDec)
	require.Equal(t, a.WEnc, b.WEnc)
	require.Equal(t, a.BEnc, b.BEnc)
	require.Equal(t, a.BDec, b.BDec)
	ma, _ := os.ReadFile(filepath.Join(ref.OutDir, MetricsFile))
	mb, _ := os.ReadFile(filepath.Join(cfg.OutDir, MetricsFile))
	require.Equal(t, string(ma), string(mb))

	// A rerun of a finished run only re-exports; other settings in the same work_dir are refused.
	again, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	require.Equal(t, res.Steps, again.Steps)
	other := cfg
	other.K = 8
	_, err = TrainOn(context.Background(), other, &SliceSource{Items: items}, nil)
	require.ErrorContains(t, err, "other settings")
}

package pretrain

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An output or work folder that cannot be written (here: a file stands where a parent folder
// should be) fails the run before any training step, naming the key and the folder; it used to
// train fully and fail when saving.
func TestUnwritableFoldersFailBeforeTraining(t *testing.T) {
	items := newPlanted(9, 32, 64).pairs(10, 200, 3)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, key := range []string{"out_dir", "work_dir"} {
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.BatchSize, cfg.ShuffleBuffer = 64, 4, 64, 256
		if key == "out_dir" {
			cfg.OutDir = filepath.Join(file, "out")
		} else {
			cfg.WorkDir = filepath.Join(file, "work")
		}
		var log strings.Builder
		steps := 0
		_, err := trainOn(context.Background(), cfg, &SliceSource{Items: items}, &log, func(int) { steps++ })
		require.ErrorContains(t, err, key+" "+filepath.Join(file, strings.TrimSuffix(key, "_dir")))
		require.ErrorContains(t, err, "cannot be written")
		require.Zero(t, steps, key)
		require.Empty(t, log.String(), "nothing started")
	}
}

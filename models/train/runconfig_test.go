package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShippedRunConfigLoads(t *testing.T) {
	cfg, err := LoadRunConfig(filepath.Join("..", "..", "experiments", "tinycoder.toml"))
	require.NoError(t, err)
	require.Equal(t, "tinycoder", cfg.Name)
	mc := cfg.ModelConfig(8192)
	require.InDelta(t, 6.5e6, float64(mc.NumParams()), 0.2e6, "5–20M parameters")
	require.GreaterOrEqual(t, mc.MaxPositions, 512)
}

func TestRunConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "c.toml")
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	_, err := LoadRunConfig(write("name = \"x\"\n[train]\nstepz = 3\n"))
	require.ErrorContains(t, err, "unknown key(s) train.stepz")
	_, err = LoadRunConfig(write("[train]\nbeta1 = 1.5\n"))
	require.ErrorContains(t, err, "train.beta1")
	_, err = LoadRunConfig(write("[model]\ncontext = 128\n"))
	require.ErrorContains(t, err, "model.context")
	_, err = LoadRunConfig(write("name = \n"))
	require.ErrorContains(t, err, "c.toml")
	_, err = LoadRunConfig(filepath.Join(dir, "missing.toml"))
	require.Error(t, err)
}

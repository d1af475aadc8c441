package experiments

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultConfig(t *testing.T) {
	cfg := Default()
	require.Equal(t, "default", cfg.Name)
	require.Equal(t, filepath.Join("results", "default"), cfg.OutDir)
	require.Equal(t, "mutation", cfg.Data.Format)
	require.Len(t, cfg.Data.Languages, 6)
	require.Equal(t, 128, cfg.Pretrain.Latents, "the paper's SAE size")
	require.Equal(t, 32, cfg.Pretrain.K)
	require.Equal(t, 4, cfg.Binding.Layers)
	require.Equal(t, 32, cfg.Binding.Hidden)
	require.NotEmpty(t, cfg.Eval.TrainTasks)
	require.NoError(t, cfg.Validate())

	// The file in the repository is the embedded one.
	disk, err := Load("default.toml")
	require.NoError(t, err)
	disk.path = ""
	cfg.path = ""
	require.Equal(t, cfg, disk)
}

func TestLoadErrorsNameKeyAndField(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "x.toml")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	_, err := Load(write("name = \"x\"\n[data]\nfiles_per_langauge = 3\n"))
	require.ErrorContains(t, err, "x.toml")
	require.ErrorContains(t, err, "data.files_per_langauge")

	_, err = Load(write("[data]\nformat = \"csv\"\n"))
	require.ErrorContains(t, err, `data.format: "csv"`)

	_, err = Load(write("[data]\nformat = \"debugbench\"\n"))
	require.ErrorContains(t, err, "data.path: empty")

	_, err = Load(write("[data]\nlanguages = [\"cobol\"]\n"))
	require.ErrorContains(t, err, "data.languages")

	_, err = Load(write("[eval]\nmatrix_metric = \"hit@2\"\nbaselines = [\"oracle\"]\n"))
	require.ErrorContains(t, err, `eval.matrix_metric: unknown metric "hit@2"`)
	require.ErrorContains(t, err, `eval.baselines: unknown baseline "oracle"`)

	_, err = Load(write("[binding]\nlayers = 0\n"))
	require.Error(t, err)

	cfg, err := Load(write("seed = 7\n"))
	require.NoError(t, err)
	require.Equal(t, "x", cfg.Name, "name defaults to the file name")
	require.Equal(t, uint64(7), cfg.Seed)
}

// Every shipped experiment file loads and validates.
func TestShippedExperimentsLoad(t *testing.T) {
	for _, name := range []string{"default.toml", "debugbench.toml", "humanevalpack.toml", "ablation_sae2048.toml"} {
		cfg, err := Load(name)
		require.NoError(t, err, name)
		require.NotEmpty(t, cfg.Name)
	}
}

// The embedded default assessor is the one the committed default results were made with, and it
// loads: the same cfg.json, binding and SAE bytes as results/default/assessor.
func TestShippedAssessorMatchesResults(t *testing.T) {
	dir, err := DefaultAssessorDir()
	require.NoError(t, err)
	for _, f := range []string{BundleConfigName, filepath.Join(BundleBindingDir, "binding.safetensors"), filepath.Join(BundleSAEDir, "sae.safetensors")} {
		shipped, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		committed, err := os.ReadFile(filepath.Join("..", "results", "default", AssessorDir, f))
		require.NoError(t, err, f)
		require.Equal(t, committed, shipped, "%s: run `just ship-assessor` after the default experiment", f)
	}
	a, err := LoadAssessor(dir)
	require.NoError(t, err)
	require.Equal(t, "default", a.Info.Experiment)
	require.Len(t, a.Examples, a.SAE.Config.DSAE)
}

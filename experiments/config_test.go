package experiments

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/internal/benchdata"
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

	_, err = Load(write("[eval]\ncross = [\"language\", \"subtype\", \"language\"]\nassessors = [\"\"]\n"))
	require.ErrorContains(t, err, `eval.cross: unknown field "subtype" (known: language, task, category)`)
	require.ErrorContains(t, err, `eval.cross: "language" given twice`)
	require.ErrorContains(t, err, "eval.assessors[0]: empty")

	_, err = Load(write("[[transfer]]\nname = \"a b\"\nsplit = \"train\"\nlanguages = [\"cobol\"]\n[transfer.data]\nformat = \"mutation\"\n" +
		"[[transfer]]\n[transfer.data]\nformat = \"debugbench\"\nval_fraction = 0.1\ntest_fraction = 0.2\n"))
	require.ErrorContains(t, err, `transfer[0].name: "a b"; use letters, digits`)
	require.ErrorContains(t, err, `transfer[0].split: "train"`)
	require.ErrorContains(t, err, `transfer[0].languages: datasets: unknown language "cobol"`)
	require.ErrorContains(t, err, `transfer[0].data.format: "mutation"`)
	require.ErrorContains(t, err, "transfer[1].name: empty")
	require.ErrorContains(t, err, "transfer[1].data.path: empty")

	cfg, err := Load(write("seed = 7\n"))
	require.NoError(t, err)
	require.Equal(t, "x", cfg.Name, "name defaults to the file name")
	require.Equal(t, uint64(7), cfg.Seed)
	require.Equal(t, DefaultWorkDir, cfg.WorkDir, "every experiment shares one work folder")
}

// The benchmark experiments read ../shared/benchmarks, and their stage 1 and transfer sets are
// the default experiment's data and the other benchmark's, so the shared work folder holds each
// once (equal keys).
func TestShippedBenchmarkExperimentsShareStages(t *testing.T) {
	def, err := Load("default.toml")
	require.NoError(t, err)
	db, err := Load("debugbench.toml")
	require.NoError(t, err)
	he, err := Load("humanevalpack.toml")
	require.NoError(t, err)
	require.Equal(t, "../shared/benchmarks/debugbench", db.Data.Path)
	require.Equal(t, "../shared/benchmarks/humanevalpack", he.Data.Path)
	roots := []string{"go dir /x"}
	key := func(d DataConfig) string {
		k, err := dataKey(d, 1, roots)
		require.NoError(t, err)
		return k
	}
	require.Equal(t, key(def.Data), key(db.PretrainData))
	require.Equal(t, key(def.Data), key(he.PretrainData))
	bench, err := benchdata.Dir()
	require.NoError(t, err)
	at := func(d DataConfig) DataConfig { // the paths are relative to the repository root
		d.Path = filepath.Join(bench, filepath.Base(d.Path))
		return d
	}
	require.Equal(t, key(at(db.Transfer[0].Data)), key(at(he.Data)), "DebugBench's transfer set is HumanEvalPack's [data]")
	require.Equal(t, key(at(he.Transfer[0].Data)), key(at(db.Data)), "HumanEvalPack's transfer set is DebugBench's [data]")
	require.Equal(t, db.Pretrain, def.Pretrain)
	require.Equal(t, he.Pretrain, def.Pretrain)
	// The SmolLM2 benchmark experiments pre-train on smollm2.toml's data (source trees, as
	// results/*_smollm2 were made), not on the pinned snippets their base files inherit.
	sm, err := Load("smollm2.toml")
	require.NoError(t, err)
	for _, name := range []string{"debugbench_smollm2.toml", "humanevalpack_smollm2.toml"} {
		c, err := Load(name)
		require.NoError(t, err)
		require.Empty(t, c.PretrainData.Pinned, name)
		require.Equal(t, key(sm.Data), key(c.PretrainData), name)
	}
	// The key of imported data follows the content, not the path.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.json"), []byte("[]"), 0o644))
	d := DataConfig{Format: "debugbench", Path: dir, ValFraction: 0.1, TestFraction: 0.2, MaxCodeBytes: 100}
	k1 := key(d)
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "a.json"), []byte("[]"), 0o644))
	d.Path = other
	require.Equal(t, k1, key(d))
	require.NoError(t, os.WriteFile(filepath.Join(other, "a.json"), []byte("[ ]"), 0o644))
	require.NotEqual(t, k1, key(d))
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

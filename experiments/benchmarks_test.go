package experiments

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/benchdata"
)

// sampleBenchmarks writes a small deterministic sample of the real benchmarks at
// ../shared/benchmarks, in their own layouts, below dir: the DebugBench records of the problems
// (slugs) with the smallest hashes, from every file, and of each HumanEvalPack bug type the
// tasks with the smallest hashes, in every language. It fails, not skips, when the benchmarks
// are missing.
func sampleBenchmarks(t *testing.T, dir string, slugs, tasksPerType int) (debugbench, humanevalpack string) {
	t.Helper()
	src, err := benchdata.Dir()
	require.NoError(t, err, "the benchmark-path test reads DebugBench and HumanEvalPack from ../shared/benchmarks")
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return string(sum[:8]) }
	smallest := func(ids []string, n int) map[string]bool {
		slices.SortFunc(ids, func(a, b string) int { return strings.Compare(hash(a), hash(b)) })
		out := map[string]bool{}
		for _, id := range ids[:min(n, len(ids))] {
			out[id] = true
		}
		return out
	}

	// DebugBench: JSON arrays per <language>_<subtype>.json.
	files, err := filepath.Glob(filepath.Join(src, benchdata.DebugBench, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 51)
	records := map[string][]map[string]any{}
	var all []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var recs []map[string]any
		require.NoError(t, json.Unmarshal(data, &recs), f)
		records[f] = recs
		for _, r := range recs {
			if s := r["slug"].(string); !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	keep := smallest(all, slugs)
	debugbench = filepath.Join(dir, "debugbench")
	require.NoError(t, os.MkdirAll(debugbench, 0o755))
	for f, recs := range records {
		recs = slices.DeleteFunc(recs, func(r map[string]any) bool { return !keep[r["slug"].(string)] })
		if len(recs) == 0 {
			continue
		}
		data, err := json.Marshal(recs)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(debugbench, filepath.Base(f)), data, 0o644))
	}

	// HumanEvalPack: <lang>/humanevalpack.jsonl, the same tasks in every language.
	humanevalpack = filepath.Join(dir, "humanevalpack")
	byType := map[string][]string{} // bug type -> task numbers (the same in every language)
	py, err := os.ReadFile(filepath.Join(src, benchdata.HumanEvalPack, "python", "humanevalpack.jsonl"))
	require.NoError(t, err)
	for i, line := range strings.Split(strings.TrimSpace(string(py)), "\n") {
		var r struct {
			BugType string `json:"bug_type"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		byType[r.BugType] = append(byType[r.BugType], strconv.Itoa(i))
	}
	require.Len(t, byType, 6)
	pick := map[int]bool{}
	for _, ids := range byType {
		for k := range smallest(ids, tasksPerType) {
			i, _ := strconv.Atoi(k)
			pick[i] = true
		}
	}
	langs, err := os.ReadDir(filepath.Join(src, benchdata.HumanEvalPack))
	require.NoError(t, err)
	n := 0
	for _, l := range langs {
		if !l.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(src, benchdata.HumanEvalPack, l.Name(), "humanevalpack.jsonl"))
		require.NoError(t, err)
		var out strings.Builder
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for i := 0; sc.Scan(); i++ {
			if pick[i] {
				out.WriteString(sc.Text() + "\n")
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
		require.NoError(t, os.MkdirAll(filepath.Join(humanevalpack, l.Name()), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(humanevalpack, l.Name(), "humanevalpack.jsonl"), []byte(out.String()), 0o644))
		n++
	}
	require.Equal(t, 6, n, "six HumanEvalPack languages")
	return debugbench, humanevalpack
}

// shrink cuts a shipped benchmark experiment down to a test's size: its data from the sample,
// a small stage 1, short trainings, few resamples. The work folder is shared by the runs.
func shrink(t *testing.T, file, work, out, debugbench, humanevalpack string) Config {
	t.Helper()
	cfg, err := Load(file)
	require.NoError(t, err)
	paths := map[string]string{"debugbench": debugbench, "humanevalpack": humanevalpack}
	cfg.Data.Path = paths[cfg.Data.Format]
	for i := range cfg.Transfer {
		cfg.Transfer[i].Data.Path = paths[cfg.Transfer[i].Data.Format]
	}
	cfg.OutDir, cfg.WorkDir = out, work
	cfg.PretrainData.Languages = []string{"python", "cpp"}
	cfg.PretrainData.FilesPerLanguage = 5
	cfg.PretrainData.MaxFileBytes = 2500
	cfg.PretrainData.LineMutantsPerFile, cfg.PretrainData.OperatorMutantsPerFile = 1, 2
	cfg.Pretrain.Epochs, cfg.Pretrain.ColdStartEpochs = 3, 1
	cfg.Binding.Epochs, cfg.Binding.Patience = 4, 2
	cfg.Eval.Bootstrap = 40
	cfg.Eval.RandomRepeats = 2
	cfg.Eval.MinTrainSnippets = 3
	require.NoError(t, cfg.Validate())
	return cfg
}

// The benchmark path end to end on real data: a sample of DebugBench and HumanEvalPack as
// published, imported, read by the embedded tinycoder, through both shipped benchmark
// experiments. Every table, matrix and method is there, and the second experiment reuses the
// first one's stage 1 and DebugBench states from the shared work folder.
func TestBenchmarkExperimentsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: skipped with -short")
	}
	dir := t.TempDir()
	debugbench, humanevalpack := sampleBenchmarks(t, filepath.Join(dir, "benchmarks"), 30, 4)
	work := filepath.Join(dir, "work")
	// DebugBench: main table, transfer to HumanEvalPack's cpp/java/python, three matrices.
	db := shrink(t, "debugbench.toml", work, filepath.Join(dir, "results", "debugbench"), debugbench, humanevalpack)
	require.True(t, db.Features.TokenStats, "the shipped benchmark files bind latents + token statistics (the default recipe)")
	// PtTrust with the default recipe, the paper's latents-only binding beside it, every
	// baseline with the raw-states probe also given the same extras, then the shipped assessor.
	wantMethods := []string{MethodPtTrust, MethodPtTrustLatents}
	for _, b := range AllBaselines {
		wantMethods = append(wantMethods, methodLabel[b])
		if b == "probe_raw" {
			wantMethods = append(wantMethods, methodLabel[b]+" +stats")
		}
	}
	wantMethods = append(wantMethods, "PtTrust, shipped default assessor (trained on mutants)")
	methods := func(rows []string) []string { return rows }
	var log strings.Builder
	res, err := Run(context.Background(), db, &log)
	require.NoError(t, err, log.String())
	require.Len(t, res.Main, 1)
	require.Len(t, res.Transfer, 1)
	for _, tab := range append(res.Main, res.Transfer...) {
		var got []string
		for _, r := range tab.Rows {
			got = append(got, r.Method)
		}
		require.Equal(t, wantMethods, methods(got), tab.Title)
		c, ok := tab.Cell(MethodPtTrust, "hit@3")
		require.True(t, ok)
		require.False(t, c.CI.Lo > c.Value || c.CI.Hi < c.Value, "%s: interval around the value", tab.Title)
	}
	require.Contains(t, res.Transfer[0].Title, "cpp, java, python")
	fields := map[string][]string{}
	for _, x := range res.Cross {
		fields[x.Field] = x.Matrix.Test
		require.NotEmpty(t, x.Matrix.Train, x.Field)
	}
	require.Equal(t, []string{"cpp", "java", "python"}, fields["language"])
	require.Equal(t, []string{"logic", "multiple", "reference", "syntax"}, fields["category"])
	require.GreaterOrEqual(t, len(fields["task"]), 12, "bug subtypes in the sample's test split: %v", fields["task"])
	for _, f := range []string{ResultsMarkdown, "heldout_problems.csv", "heldout_problems.png", "transfer_humanevalpack.csv",
		"transfer_humanevalpack.png", "cross_language.csv", "cross_category.csv", "cross_task.csv", filepath.Join(AssessorDir, BundleConfigName)} {
		_, err := os.Stat(filepath.Join(db.OutDir, f))
		require.NoError(t, err, f)
	}
	md := res.Markdown
	require.Contains(t, md, "Cross-category")
	require.Contains(t, md, "## Transfer")

	// Only buggy versions were imported; every problem has one split across languages.
	snips, err := datasets.ReadAllSnippets(res.Snippets)
	require.NoError(t, err)
	splitOf := map[string]datasets.Split{}
	for _, s := range snips {
		require.Equal(t, datasets.RoleBuggy, s.Role)
		if sp, ok := splitOf[s.Group]; ok {
			require.Equal(t, sp, s.Split, s.Group)
		}
		splitOf[s.Group] = s.Split
	}
	require.Len(t, splitOf, 30)

	// HumanEvalPack: 6 x 6 language and bug-type matrices, transfer to DebugBench; stage 1 and
	// the DebugBench states come from the first run.
	he := shrink(t, "humanevalpack.toml", work, filepath.Join(dir, "results", "humanevalpack"), debugbench, humanevalpack)
	log.Reset()
	res, err = Run(context.Background(), he, &log)
	require.NoError(t, err, log.String())
	cached := map[string]bool{}
	for _, st := range res.Stages {
		cached[st.Name] = st.Cached
	}
	for _, name := range []string{"pretrain-data", "pretrain-states", "sae", "transfer-debugbench-data", "transfer-debugbench-states", "data", "states"} {
		_, ok := cached[name]
		require.True(t, ok, "stage %s ran", name)
	}
	for _, name := range []string{"pretrain-states", "sae", "transfer-debugbench-states", "states"} {
		require.True(t, cached[name], "stage %s shared with the DebugBench run", name)
	}
	fields = map[string][]string{}
	for _, x := range res.Cross {
		fields[x.Field] = x.Matrix.Test
	}
	require.Equal(t, []string{"cpp", "go", "java", "javascript", "python", "rust"}, fields["language"])
	require.Len(t, fields["task"], 6, "six bug types")
	require.NotContains(t, fields, "category")
	require.Len(t, res.Transfer, 1)
	require.Contains(t, res.Transfer[0].Title, "tested on debugbench")
	for _, f := range []string{"heldout_problems.csv", "transfer_debugbench.csv", "cross_language.csv", "cross_task.csv"} {
		_, err := os.Stat(filepath.Join(he.OutDir, f))
		require.NoError(t, err, f)
	}
}

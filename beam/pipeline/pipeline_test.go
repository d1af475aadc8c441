package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"
	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models/tinycoder"
	"github.com/pttrust/pttrust/states/extract"
	"github.com/stretchr/testify/require"
)

// The pipeline runs on Prism in this process.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

var lines = []string{
	"func add(a, b int) int {", "\treturn a + b", "}", "", "for i := 0; i < n; i++ {", "\tsum += i * 2",
	"}", "x := map[string]int{}", "if err != nil {", "\treturn err", "}", "// comment é变量",
	"def add(a, b):", "    return a + b", "print(x)",
}

// corpus makes n small snippets, deterministic; snippet 3 is not UTF-8 (skipped with a problem,
// as `states extract` does).
func corpus(n int) []datasets.Snippet {
	out := make([]datasets.Snippet, n)
	for i := range out {
		k := 2 + (i*5)%6
		var b strings.Builder
		for j := range k {
			b.WriteString(lines[(i*3+j)%len(lines)] + "\n")
		}
		code := b.String()
		if i == 3 {
			code = "x\xff\n"
		}
		nl := datasets.LineCount(code)
		labels, orig := make([]int32, nl), make([]int32, nl)
		for j := range orig {
			orig[j] = int32(j)
		}
		if i%2 == 1 {
			labels[i%nl] = 1
		}
		out[i] = datasets.Snippet{ID: fmt.Sprintf("s%03d", i), PairID: fmt.Sprintf("p%03d", i/2), Language: datasets.Go,
			Source: "test", Task: "original", Role: datasets.RoleClean, Split: datasets.Train, Code: code,
			Labels: labels, OriginalLine: orig}
	}
	return out
}

// writeSnippets writes rows as they are (the invalid one included).
func writeSnippets(t *testing.T, path string, rows []datasets.Snippet) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w := parquet.NewGenericWriter[datasets.Snippet](f, parquet.MaxRowsPerRowGroup(3))
	_, err = w.Write(rows)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
}

// files reads every file of dir by name.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = data
	}
	return out
}

func names(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The pipeline on Prism writes the folder `pttrust states extract` (extract.Extract) writes for
// the same input, byte for byte, manifest included; a rerun in the same folder (every bundle
// retried) rewrites the same bytes and clears temporary leftovers; an input cut into two files
// gives the same shards.
func TestPipelineMatchesStatesExtract(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	snips := corpus(11)
	writeSnippets(t, data, snips)
	model, err := tinycoder.Dir() // what `pttrust states extract` runs without --model
	require.NoError(t, err)

	want := extract.DefaultConfig()
	want.ModelDir, want.DataPath, want.OutDir, want.ShardSnippets = model, data, filepath.Join(dir, "want"), 4
	res, err := extract.Extract(ctx, want, nil)
	require.NoError(t, err)
	require.Len(t, res.Manifest.Shards, 3)
	require.NotZero(t, res.Manifest.Problems)
	wantFiles := files(t, want.OutDir)

	cfg := Config{Config: want, Concurrency: 2}
	cfg.ModelDir, cfg.OutDir = "", filepath.Join(dir, "got") // the embedded default, resolved on the worker
	man, err := Run(ctx, cfg, "prism")
	require.NoError(t, err)
	require.True(t, man.Complete)
	got := files(t, cfg.OutDir)
	require.Equal(t, names(wantFiles), names(got))
	for name, b := range wantFiles {
		require.Equal(t, string(b), string(got[name]), name)
	}

	// A rerun overwrites: same files, same bytes, leftovers of an interrupted write removed.
	leftover := filepath.Join(cfg.OutDir, ".shard-00001.parquet.tmp-123")
	require.NoError(t, os.WriteFile(leftover, []byte("partial"), 0o644))
	_, err = Run(ctx, cfg, "prism")
	require.NoError(t, err)
	require.Equal(t, wantFiles, files(t, cfg.OutDir))

	// Two files read as one input: the same shards; the data identity is that of the files'
	// bytes concatenated.
	parts := filepath.Join(dir, "parts")
	require.NoError(t, os.Mkdir(parts, 0o755))
	writeSnippets(t, filepath.Join(parts, "a.parquet"), snips[:6])
	writeSnippets(t, filepath.Join(parts, "b.parquet"), snips[6:])
	multi := cfg
	multi.DataPath, multi.OutDir = filepath.Join(parts, "*.parquet"), filepath.Join(dir, "multi")
	man2, err := Run(ctx, multi, "prism")
	require.NoError(t, err)
	require.Equal(t, res.Manifest.Shards, man2.Shards)
	require.Equal(t, 11, man2.Settings.Data.Snippets)
	for _, sh := range man2.Shards {
		b, err := os.ReadFile(filepath.Join(multi.OutDir, sh.File))
		require.NoError(t, err)
		require.Equal(t, string(wantFiles[sh.File]), string(b), sh.File)
	}

	// Another setting into the same folder is refused.
	other := cfg
	other.Window = 64
	_, err = Run(ctx, other, "prism")
	require.ErrorContains(t, err, "holds a run with other settings")
}

// An input without snippets: no shards, and the manifest `states extract` writes.
func TestPipelineEmptyInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "empty.parquet")
	writeSnippets(t, data, nil)
	model, err := tinycoder.Dir()
	require.NoError(t, err)
	want := extract.DefaultConfig()
	want.ModelDir, want.DataPath, want.OutDir = model, data, filepath.Join(dir, "want")
	_, err = extract.Extract(ctx, want, nil)
	require.NoError(t, err)
	cfg := Config{Config: want}
	cfg.OutDir = filepath.Join(dir, "got")
	_, err = Run(ctx, cfg, "")
	require.NoError(t, err)
	require.Equal(t, files(t, want.OutDir), files(t, cfg.OutDir))
}

// Bad settings and inputs fail before the pipeline runs, naming the flag or the file.
func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	c := Config{Config: extract.DefaultConfig()}
	c.DataPath, c.OutDir = filepath.Join(dir, "none-*.parquet"), dir
	_, err := Build(c)
	require.ErrorContains(t, err, "none-*.parquet")
	c.Concurrency = -1
	_, err = Build(c)
	require.ErrorContains(t, err, "--concurrency")
	bad := filepath.Join(dir, "bad.parquet")
	require.NoError(t, os.WriteFile(bad, []byte("not parquet"), 0o644))
	c.Concurrency, c.DataPath = 0, bad
	_, err = Build(c)
	require.ErrorContains(t, err, bad)
}

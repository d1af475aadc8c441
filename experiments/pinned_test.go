package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
)

// The default study reads its pinned, embedded snippets: the same bytes on every machine, and
// the public-benchmark experiments pre-train on the same file (one stage 1 for all).
func TestDefaultDataIsPinned(t *testing.T) {
	d := Default().Data
	require.Equal(t, EmbeddedDefaultData, d.Pinned)
	sum := sha256.Sum256(defaultSnippets)
	require.Equal(t, hex.EncodeToString(sum[:]), d.PinnedSHA256)

	out := filepath.Join(t.TempDir(), "snippets.parquet")
	n, err := writePinned(d, out)
	require.NoError(t, err)
	require.Equal(t, 1518, n)
	snips, err := datasets.ReadAllSnippets(out)
	require.NoError(t, err)
	langs := map[datasets.Language]int{}
	for _, s := range snips {
		langs[s.Language]++
	}
	require.Len(t, langs, 6, "six languages: %v", langs)

	// The key is the file's: the settings that made it do not enter it.
	k1, err := dataKey(d, 1, nil)
	require.NoError(t, err)
	d2 := d
	d2.FilesPerLanguage = 7
	k2, err := dataKey(d2, 2, []string{"go dir /elsewhere"})
	require.NoError(t, err)
	require.Equal(t, k1, k2)
	for _, f := range []string{"debugbench.toml", "humanevalpack.toml"} {
		cfg, err := Load(f)
		require.NoError(t, err)
		k, err := dataKey(cfg.PretrainData, cfg.Seed, nil)
		require.NoError(t, err)
		require.Equal(t, k1, k, "%s pre-trains on the default study's snippets", f)
	}

	// The committed default results were made from these snippets (the tables `pttrust demo`
	// prints; a full run is `just demo-check`, too long for the suite).
	md, err := os.ReadFile(filepath.Join("..", "results", "default", ResultsMarkdown))
	require.NoError(t, err)
	require.True(t, strings.Contains(string(md), "pinned snippets embedded:default (sha256 "+d.PinnedSHA256+")"),
		"results/default/results.md does not name the pinned snippets: rerun `just default-results`")

}

// A pinned file is checked: its SHA-256, that it exists, that it holds snippets; and only
// mutation data is pinned.
func TestPinnedErrors(t *testing.T) {
	dir := t.TempDir()
	d := Default().Data
	d.PinnedSHA256 = strings.Repeat("0", 64)
	_, err := writePinned(d, filepath.Join(dir, "a.parquet"))
	require.ErrorContains(t, err, "pinned_sha256 says 0000")

	d.Pinned = filepath.Join(dir, "missing.parquet")
	_, err = writePinned(d, filepath.Join(dir, "a.parquet"))
	require.ErrorContains(t, err, "missing.parquet")

	bad := filepath.Join(dir, "bad.parquet")
	require.NoError(t, os.WriteFile(bad, []byte("not parquet"), 0o644))
	sum := sha256.Sum256([]byte("not parquet"))
	d.Pinned, d.PinnedSHA256 = bad, strings.ToUpper(hex.EncodeToString(sum[:]))
	out := filepath.Join(dir, "b.parquet")
	_, err = writePinned(d, out)
	require.ErrorContains(t, err, "data.pinned "+bad)
	_, statErr := os.Stat(out)
	require.True(t, os.IsNotExist(statErr), "no half-made snippets file is left")

	cfg := Default()
	cfg.Data.PinnedSHA256 = ""
	require.ErrorContains(t, cfg.Validate(), "data.pinned_sha256")
	cfg = Default()
	cfg.Data = DataConfig{Format: "debugbench", Path: "x", MaxCodeBytes: 100, ValFraction: 0.1, TestFraction: 0.1, Pinned: "y.parquet"}
	require.ErrorContains(t, cfg.Validate(), "data.pinned")
}

// A run that finds, in its work folder, data it made from other source trees says so.
func TestWarnOtherTrees(t *testing.T) {
	work := t.TempDir()
	old := filepath.Join(work, "data-0123")
	require.NoError(t, os.MkdirAll(old, 0o755))
	require.NoError(t, markDone(old, time.Now(), map[string]any{"made_by": "default", "source_trees": []string{"go dir /a", "python dir /p"}}))
	var log strings.Builder
	r := &runner{cfg: Config{Name: "default", WorkDir: work}, progress: &log, res: &Result{}}
	r.warnOtherTrees("data", []string{"go dir /a", "python dir /p"})
	require.Empty(t, log.String(), "the same trees: no warning")
	r.warnOtherTrees("data", []string{"go dir /b", "python dir /p"})
	require.Contains(t, log.String(), "warning: data: the source trees found differ from those of "+old)
	require.Contains(t, log.String(), "now go dir /b; before go dir /a")
	require.Contains(t, log.String(), "GOTOOLCHAIN")
	require.Len(t, r.res.Notes, 1, "and results.md says it")

	log.Reset()
	r.cfg.Name = "other"
	r.warnOtherTrees("data", []string{"go dir /b"})
	require.Empty(t, log.String(), "data another experiment made is not this one's")
}

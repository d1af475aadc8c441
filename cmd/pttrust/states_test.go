package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/states/extract"
)

func TestStatesExtract(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	code := "func f() int {\n\treturn 1 // é\n}\n\nx := f()"
	require.NoError(t, datasets.WriteSnippetSlice(data, []datasets.Snippet{{
		ID: "a#original", PairID: "a", Language: datasets.Go, Source: "test", Task: "original",
		Role: datasets.RoleClean, Split: datasets.Train, Code: code,
		Labels: []int32{0, 0, 0, 0, 0}, OriginalLine: []int32{0, 1, 2, 3, 4},
	}}))
	out := filepath.Join(dir, "states")
	_, stderr, err := run(t, "states", "extract", "--model", fixtureModel, "--data", data,
		"--hooks", "blocks.2.resid_post,embed", "--out", out, "--window", "64")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "wrote 3 rows in 1 shards")
	man, err := extract.ReadManifest(out)
	require.NoError(t, err)
	require.True(t, man.Complete)
	require.Equal(t, 2, man.Settings.AttentionLayer)
	require.Equal(t, "state_blocks_2_resid_post", man.Columns["blocks.2.resid_post"])

	// Default hook: the residual stream after the first quarter of the layers (3 layers: block 0).
	def := filepath.Join(dir, "default")
	_, stderr, err = run(t, "states", "extract", "--model", fixtureModel, "--data", data, "--out", def)
	require.NoError(t, err, stderr)
	man, err = extract.ReadManifest(def)
	require.NoError(t, err)
	require.Equal(t, []string{"blocks.0.resid_post"}, man.Settings.Hooks)

	_, _, err = run(t, "states", "extract", "--model", fixtureModel, "--data", data, "--hooks", "blocks.2.attn.pattern", "--out", out)
	require.ErrorContains(t, err, "no single state vector")
	_, _, err = run(t, "states", "extract", "--model", fixtureModel, "--hooks", "embed", "--out", out)
	require.ErrorContains(t, err, "DataPath (--data): empty")
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
)

const fixtures = "../../datasets/testdata"

func TestDatasetsImportAndMutate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pairs.parquet")
	stdout, _, err := run(t, "datasets", "import", "--format", "pairs",
		"--in", filepath.Join(fixtures, "pairs", "buggy"), "--fixed", filepath.Join(fixtures, "pairs", "fixed"), "--out", out)
	require.NoError(t, err)
	require.NotEmpty(t, stdout)
	rows, err := datasets.ReadAllSnippets(out)
	require.NoError(t, err)
	buggy := 0
	for _, r := range rows {
		if r.Role == "buggy" {
			buggy++
			require.Contains(t, r.Labels, int32(1), r.ID)
		}
	}
	require.Greater(t, buggy, 0)

	out = filepath.Join(dir, "mutants.parquet")
	_, _, err = run(t, "datasets", "mutate", "--src", filepath.Join(fixtures, "mutate"), "--lang", "go,python,java,c", "--seed", "7", "--out", out)
	require.NoError(t, err)
	rows, err = datasets.ReadAllSnippets(out)
	require.NoError(t, err)
	langs := map[datasets.Language]bool{}
	for _, r := range rows {
		langs[r.Language] = true
	}
	require.Len(t, langs, 4, "one program per language in the fixture")

	_, _, err = run(t, "datasets", "import", "--format", "nosuch", "--in", fixtures, "--out", out)
	require.Error(t, err)
}

// The pairs manifest through the command line: bug type and group per buggy file.
func TestDatasetsImportManifest(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "m.csv")
	require.NoError(t, os.WriteFile(manifest, []byte("file,bug_type,group\na.py,value misuse,p1\nb.go,operator misuse,p1\nsub/C.java,value misuse,p2\n"), 0o644))
	out := filepath.Join(dir, "pairs.parquet")
	_, _, err := run(t, "datasets", "import", "--format", "pairs", "--in", filepath.Join(fixtures, "pairs", "buggy"),
		"--fixed", filepath.Join(fixtures, "pairs", "fixed"), "--manifest", manifest, "--out", out)
	require.NoError(t, err)
	rows, err := datasets.ReadAllSnippets(out)
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range rows {
		got[r.ID] = r.Task + "|" + r.Group
	}
	require.Equal(t, "value misuse|p1", got["pairs:a.py#buggy"])
	require.Equal(t, "operator misuse|p1", got["pairs:b.go#fixed"])
	require.Equal(t, "value misuse|p2", got["pairs:sub/C.java#buggy"])
}

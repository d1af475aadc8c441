package main

import (
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

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/finetune"
)

// TestFinetuneCommand: states extracted with the fixture model, then the raw-state probe trained
// through `pttrust finetune --config`, saved, and loadable.
func TestFinetuneCommand(t *testing.T) {
	dir := t.TempDir()
	var snippets []datasets.Snippet
	for i := range 12 {
		split := datasets.Train
		if i >= 8 {
			split = datasets.Validation
		}
		bug := 1 + i%3
		code := fmt.Sprintf("func f%d(x int) int {\n\ty := x * %d\n\tz := y + x\n\tw := z - %d\n\treturn w\n}", i, i+2, i)
		labels := make([]int32, 6)
		labels[bug] = 1
		snippets = append(snippets, datasets.Snippet{ID: fmt.Sprintf("s%d#m", i), PairID: fmt.Sprintf("s%d", i),
			Language: datasets.Go, Source: "test", Task: "replace_line", Role: datasets.RoleBuggy, Split: split,
			Code: code, Labels: labels, OriginalLine: []int32{0, 1, 2, 3, 4, 5}})
	}
	data := filepath.Join(dir, "snippets.parquet")
	require.NoError(t, datasets.WriteSnippetSlice(data, snippets))
	states := filepath.Join(dir, "states")
	_, stderr, err := run(t, "states", "extract", "--model", fixtureModel, "--data", data,
		"--hooks", "blocks.1.resid_post", "--out", states, "--window", "64")
	require.NoError(t, err, stderr)

	cfgPath := filepath.Join(dir, "b.toml")
	out := filepath.Join(dir, "assessor")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`out_dir = %q
epochs = 3
[data]
states_dir = %q
hook = "blocks.1.resid_post"
`, out, states)), 0o644))
	_, stderr, err = run(t, "finetune", "--config", cfgPath)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "8 training and 4 validation snippets")
	a, err := finetune.Load(out)
	require.NoError(t, err)
	require.Equal(t, "raw:blocks.1.resid_post", a.Features)
	require.Equal(t, 3, a.EpochsRun)

	require.NoError(t, os.WriteFile(cfgPath, []byte("out_dir = \"x\"\nlayer = 3\n"), 0o644))
	_, _, err = run(t, "finetune", "--config", cfgPath)
	require.ErrorContains(t, err, "unknown key(s) layer")
	require.True(t, strings.Contains(err.Error(), cfgPath))

	require.NoError(t, os.WriteFile(cfgPath, []byte("out_dir = \"x\"\n"), 0o644))
	_, _, err = run(t, "finetune", "--config", cfgPath)
	require.ErrorContains(t, err, "data.states_dir")
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

func TestPretrainCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	var snips []datasets.Snippet
	for i, code := range []string{"x := 1\ny := x + 2\nz := y * 3\n", "a := f()\nb := a.g()\nreturn b\n", "s := \"hi\"\nfmt.Println(s)\nn := len(s)\n"} {
		id := string(rune('a' + i))
		snips = append(snips, datasets.Snippet{ID: id + "#original", PairID: id, Language: datasets.Go, Source: "test",
			Task: datasets.TaskOriginal, Role: datasets.RoleClean, Split: datasets.Train, Code: code,
			Labels: []int32{0, 0, 0}, OriginalLine: []int32{0, 1, 2}})
		lines := strings.SplitAfter(code, "\n")
		lines[1] = "q := 42\n"
		snips = append(snips, datasets.Snippet{ID: id + "#m", PairID: id, Language: datasets.Go, Source: "test",
			Task: datasets.TaskLineMixed, Role: datasets.RoleBuggy, Split: datasets.Train, Code: strings.Join(lines, ""),
			Labels: []int32{0, 1, 0}, OriginalLine: []int32{0, 1, 2}})
	}
	require.NoError(t, datasets.WriteSnippetSlice(data, snips))
	ec := extract.DefaultConfig()
	ec.ModelDir, ec.DataPath, ec.OutDir, ec.Hooks, ec.NoLookback = fixtureModel, data, filepath.Join(dir, "states"), []string{"blocks.1.resid_post"}, true
	_, err := extract.Extract(context.Background(), ec, nil)
	require.NoError(t, err)

	cfgPath := filepath.Join(dir, "sae.toml")
	out := filepath.Join(dir, "sae")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`states_dir = "`+ec.OutDir+`"
out_dir = "`+out+`"
work_dir = "`+filepath.Join(dir, "work")+`"
latents = 16
k = 4
batch_size = 8
shuffle_buffer = 32
epochs = 2
cold_start_epochs = 1
eval_every = 1
`), 0o644))
	_, stderr, err := run(t, "pretrain", "--config", cfgPath)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "contrast on")
	require.Contains(t, stderr, "pretrain: wrote "+out)
	s, err := pretrain.Load(out)
	require.NoError(t, err)
	require.Equal(t, "blocks.1.resid_post", s.Config.HookName)
	require.Equal(t, 64, s.Config.DIn)

	require.NoError(t, os.WriteFile(cfgPath, []byte("latens = 3\n"), 0o644))
	_, _, err = run(t, "pretrain", "--config", cfgPath)
	require.ErrorContains(t, err, "unknown key(s) latens")
}

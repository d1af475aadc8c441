package pretrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/states/extract"
)

const goldenQwen2 = "../models/testdata/golden/qwen2"

// writeStates extracts line states of a few programs and their mutants with the golden test
// model; it returns the states directory and the number of mutated lines that have an original.
func writeStates(t *testing.T) (string, int) {
	dir := t.TempDir()
	lines := []string{"x := 1", "y := x + 2", "if y > 2 {", "\treturn y", "}", "z := y * x", "fmt.Println(z)", "w := z - 1"}
	var snips []datasets.Snippet
	paired := 0
	for p := range 12 {
		n := 4 + p%4
		code := make([]string, n)
		for i := range code {
			code[i] = lines[(p+i)%len(lines)]
		}
		id := fmt.Sprintf("p%02d", p)
		split := datasets.Train
		if p%6 == 5 {
			split = datasets.Test
		}
		orig := make([]int32, n)
		for i := range orig {
			orig[i] = int32(i)
		}
		snips = append(snips, datasets.Snippet{ID: id + "#original", PairID: id, Language: datasets.Go, Source: "test",
			Task: datasets.TaskOriginal, Role: datasets.RoleClean, Split: split, Code: strings.Join(code, "\n") + "\n",
			Labels: make([]int32, n), OriginalLine: orig})
		for m := range 2 {
			mut := append([]string(nil), code...)
			at := (p + m) % n
			mut[at] = fmt.Sprintf("v%d := %d", m, p+m)
			labels := make([]int32, n)
			labels[at] = 1
			snips = append(snips, datasets.Snippet{ID: fmt.Sprintf("%s#m%d", id, m), PairID: id, Language: datasets.Go, Source: "test",
				Task: datasets.TaskLineMixed, Role: datasets.RoleBuggy, Split: split, Code: strings.Join(mut, "\n") + "\n",
				Labels: labels, OriginalLine: orig})
			if split == datasets.Train && strings.Trim(code[at], "{}() \t") != "" {
				paired++
			}
		}
	}
	data := filepath.Join(dir, "snippets.parquet")
	require.NoError(t, datasets.WriteSnippetSlice(data, snips))
	cfg := extract.DefaultConfig()
	cfg.ModelDir, cfg.DataPath, cfg.OutDir = goldenQwen2, data, filepath.Join(dir, "states")
	cfg.Hooks = []string{"blocks.1.resid_post", "embed"}
	cfg.ShardSnippets, cfg.Window, cfg.NoLookback = 9, 64, true
	_, err := extract.Extract(context.Background(), cfg, nil)
	require.NoError(t, err)
	return cfg.OutDir, paired
}

// Train reads the states shards, joins mutated lines to their originals, and records where the
// states came from in cfg.json.
func TestTrainFromStates(t *testing.T) {
	states, paired := writeStates(t)
	src, err := OpenStates(states, "", "train")
	require.NoError(t, err)
	require.Equal(t, "blocks.1.resid_post", src.Info().Hook)
	require.Equal(t, 1, src.Info().Layer)
	require.Equal(t, 64, src.Info().Dim)
	items, pairs := 0, 0
	require.NoError(t, src.Scan(context.Background(), func(it Item) error {
		items++
		pairs += len(it.Mutants)
		require.Len(t, it.Line, 64)
		return nil
	}))
	require.Equal(t, paired, pairs)
	require.Greater(t, items, pairs)

	out := t.TempDir()
	cfg := testConfig(out)
	cfg.StatesDir, cfg.Split = states, "train"
	cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.BatchSize, cfg.ShuffleBuffer, cfg.EvalEvery = 32, 4, 3, 1, 16, 64, 2
	var log strings.Builder
	res, err := Train(context.Background(), cfg, &log)
	require.NoError(t, err, log.String())
	require.Contains(t, log.String(), "contrast on")
	var seen int64
	for _, r := range res.Metrics {
		seen += r.Pairs
	}
	require.Equal(t, int64(3*paired), seen)
	s, err := Load(cfg.OutDir)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(states, extract.ManifestName))
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	require.Equal(t, hex.EncodeToString(sum[:]), s.Config.DataManifestSHA256)
	require.Equal(t, "blocks.1.resid_post", s.Config.HookName)
	require.Equal(t, 1, s.Config.HookLayer)
	require.NotEmpty(t, s.Config.ModelName)
	require.Equal(t, 32, s.Config.DSAE)

	cfg.Hook = "blocks.2.resid_post"
	_, err = Train(context.Background(), cfg, nil)
	require.ErrorContains(t, err, `hook "blocks.2.resid_post" is not in`)
	cfg.StatesDir = t.TempDir()
	_, err = Train(context.Background(), cfg, nil)
	require.ErrorContains(t, err, "run pttrust states extract first")
}

// A concatenated hook ("a+b") reads each part's column and joins them: the same items as the
// parts read one by one, end to end; a part that was not extracted is named.
func TestConcatenatedHook(t *testing.T) {
	states, _ := writeStates(t)
	read := func(hook string) [][]float32 {
		src, err := OpenStates(states, hook, "train")
		require.NoError(t, err)
		return scanVectors(t, src)
	}
	a, b, ab := read("blocks.1.resid_post"), read("embed"), read("blocks.1.resid_post+embed")
	require.Len(t, ab, len(a))
	for i := range ab {
		require.Equal(t, append(slices.Clone(a[i]), b[i]...), ab[i])
	}
	src, err := OpenStates(states, "blocks.1.resid_post+embed", "train")
	require.NoError(t, err)
	require.Equal(t, 128, src.Info().Dim)
	require.Equal(t, 1, src.Info().Layer)
	_, err = OpenStates(states, "blocks.1.resid_post+blocks.2.resid_post", "train")
	require.ErrorContains(t, err, `hook "blocks.2.resid_post" is not in`)
}

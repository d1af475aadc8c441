package extract

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/gctune"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
	"github.com/stretchr/testify/require"
)

// The benchmarks run with the GC settings of the pttrust binary (see internal/gctune).
var _, _ = gctune.Apply()

// benchModel is a model of the benchmarks with its snippet count.
type benchModel struct {
	name     string
	dir      string
	m        *models.Model
	tok      *tokenizer.Tokenizer
	snippets int
}

// benchModels returns the tiny golden Qwen2 (d_model 64, 3 layers: per-token bookkeeping weighs
// most against its forward pass) and a wider random Qwen2 (d_model 256, 4 layers, 8 heads,
// context 128; PTTRUST_BENCH_WIDE_LAYERS=N for N layers) saved with the golden byte-level
// tokenizer.
func benchModels(b *testing.B) []benchModel {
	m, tok := loadModel(b)
	cfg := *m.Config
	cfg.DModel, cfg.NumLayers, cfg.NumHeads, cfg.NumKVHeads, cfg.HeadDim, cfg.DMLP = 256, 4, 8, 4, 32, 704
	if v, err := strconv.Atoi(os.Getenv("PTTRUST_BENCH_WIDE_LAYERS")); err == nil && v > 0 {
		cfg.NumLayers = v // deeper models: the one non-fused attention layer weighs less
	}
	wide, err := models.NewRandom(&cfg, m.Backend, 1)
	require.NoError(b, err)
	dir := filepath.Join(b.TempDir(), "wide")
	require.NoError(b, wide.Save(dir, models.SaveOptions{}))
	tj, err := os.ReadFile(filepath.Join(goldenQwen2, models.TokenizerFile))
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, models.TokenizerFile), tj, 0o644))
	return []benchModel{{"tiny", goldenQwen2, m, tok, 256}, {"wide", dir, wide, tok, 64}}
}

// BenchmarkExtract measures whole extractions (read, tokenize, map lines, forward with the
// hooks, line statistics, Parquet shard, manifest) in input tokens per second. Compare with
// BenchmarkForwardSameData:
//
//	go test ./states/extract -run '^$' -bench 'Extract|Forward' -benchtime 4x
func BenchmarkExtract(b *testing.B) {
	for _, bm := range benchModels(b) {
		for _, noLookback := range []bool{false, true} {
			name := bm.name + "/lookback"
			if noLookback {
				name = bm.name + "/no_lookback"
			}
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				data := filepath.Join(dir, "snippets.parquet")
				require.NoError(b, datasets.WriteSnippetSlice(data, corpus(bm.snippets)))
				cfg := testConfig(data, filepath.Join(dir, "warm"))
				cfg.ModelDir, cfg.ShardSnippets, cfg.NoLookback = bm.dir, 0, noLookback
				res, err := extractWith(context.Background(), cfg, bm.m, bm.tok, nil) // compiles the graphs
				require.NoError(b, err)
				tokens := res.Manifest.Tokens
				var forward time.Duration
				b.ResetTimer()
				for i := range b.N {
					cfg.OutDir = filepath.Join(dir, fmt.Sprint(i))
					res, err := extractWith(context.Background(), cfg, bm.m, bm.tok, nil)
					if err != nil {
						b.Fatal(err)
					}
					forward += res.Forward
				}
				b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
				b.ReportMetric(forward.Seconds()/b.Elapsed().Seconds(), "forward_share")
			})
		}
	}
}

// BenchmarkForwardSameData runs only the forward passes of the same windows in the same batches:
// "plain" asks for token_logprob alone (the language-model pass), "hooks" for what extraction
// captures (state, log-prob, entropy, attention pattern), "hooks_no_pattern" for what it captures
// with NoLookback. Tokens/s counts the same input tokens
// as BenchmarkExtract.
func BenchmarkForwardSameData(b *testing.B) {
	for _, bm := range benchModels(b) {
		r, err := resolve(testConfig("x", "y"), bm.m)
		require.NoError(b, err)
		snips := corpus(bm.snippets)
		tokens := 0
		var batches [][][]int32
		for start := 0; start < len(snips); start += packSnippets {
			var items [][]int32
			for i, s := range snips[start:min(start+packSnippets, len(snips))] {
				w, _ := prepare(r, bm.tok, false, i, s)
				tokens += w.tokens
				for _, win := range w.wins {
					items = append(items, w.ids[win.start:win.end])
				}
			}
			slices.SortStableFunc(items, func(a, b []int32) int { return cmp.Compare(len(b), len(a)) })
			for len(items) > 0 {
				n := batchSize(len(items), len(items[0]), r.BatchTokens, bm.m.Config.NumHeads)
				batches = append(batches, items[:n])
				items = items[n:]
			}
		}
		for _, c := range []struct {
			name  string
			hooks []string
		}{
			{"plain", []string{models.HookTokenLogProb}},
			{"hooks", []string{testHook, models.HookTokenLogProb, models.HookTokenEntropy, models.AttnPattern(1)}},
			{"hooks_no_pattern", []string{testHook, models.HookTokenLogProb, models.HookTokenEntropy}},
		} {
			b.Run(bm.name+"/"+c.name, func(b *testing.B) {
				run := func() {
					for _, batch := range batches {
						if _, err := bm.m.Run(batch, models.Request{Hooks: c.hooks}); err != nil {
							b.Fatal(err)
						}
					}
				}
				run() // compiles the graphs
				b.ResetTimer()
				for range b.N {
					run()
				}
				b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

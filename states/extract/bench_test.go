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
// hooks, line statistics, Parquet shard, manifest) in input tokens per second, with the padding
// share and the number of compiled shapes. Compare with BenchmarkForwardSameData (on a shared
// machine, BenchmarkExtractOverhead compares them more reliably):
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
				b.ReportMetric(100*res.Padding, "padding_%")
				b.ReportMetric(float64(len(res.Shapes)), "shapes")
			})
		}
	}
}

// sameBatch is one forward pass of extraction: the windows, their lookback boundaries and the
// positions whose states are kept.
type sameBatch struct{ ids, start, keep [][]int32 }

// sameBatches packs the windows of the benchmark corpus as extraction does (groups of
// packSnippets, longest first, batchSize) and returns the batches and the input token count.
func sameBatches(b *testing.B, bm benchModel) ([]sameBatch, int) {
	r, err := resolve(testConfig("x", "y"), bm.m)
	require.NoError(b, err)
	snips := corpus(bm.snippets)
	tokens := 0
	var batches []sameBatch
	for start := 0; start < len(snips); start += packSnippets {
		var items []item
		for i, s := range snips[start:min(start+packSnippets, len(snips))] {
			w, _ := prepare(r, bm.tok, false, i, s)
			tokens += w.tokens
			for wi, win := range w.wins {
				items = append(items, item{w: w, win: wi, ids: w.ids[win.start:win.end]})
			}
		}
		slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(len(b.ids), len(a.ids)) })
		for len(items) > 0 {
			n := batchSize(len(items), len(items[0].ids), r.BatchTokens, bm.m.Config.NumHeads)
			var bt sameBatch
			for _, it := range items[:n] {
				bt.ids = append(bt.ids, it.ids)
				bt.start = append(bt.start, it.w.lookbackStart(it.win))
				bt.keep = append(bt.keep, it.w.statePositions(it.win))
			}
			batches = append(batches, bt)
			items = items[n:]
		}
	}
	return batches, tokens
}

// runBatches runs the batches with the hooks (and the lookback boundaries when lookback).
func runBatches(b *testing.B, m *models.Model, batches []sameBatch, hooks []string, lookback bool) {
	runBatchesKeep(b, m, batches, hooks, lookback, false)
}

// runBatchesKeep is runBatches that, when keep, keeps only the line-end states, as extraction
// does (models.Request.Positions).
func runBatchesKeep(b *testing.B, m *models.Model, batches []sameBatch, hooks []string, lookback, keep bool) {
	for _, bt := range batches {
		req := models.Request{Hooks: hooks}
		if lookback {
			req.LookbackStart = bt.start
		}
		if keep {
			req.Positions = bt.keep
		}
		if _, err := m.Run(bt.ids, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForwardSameData runs only the forward passes of the same windows in the same batches:
// "plain" asks for token_logprob alone (the language-model pass), "hooks" for what extraction
// captures (state, log-prob, entropy, attention lookback), "hooks_no_lookback" for what it
// captures with NoLookback. Tokens/s counts the same input tokens as BenchmarkExtract.
func BenchmarkForwardSameData(b *testing.B) {
	for _, bm := range benchModels(b) {
		batches, tokens := sameBatches(b, bm)
		for _, c := range []struct {
			name     string
			hooks    []string
			lookback bool
		}{
			{"plain", []string{models.HookTokenLogProb}, false},
			{"hooks", []string{testHook, models.HookTokenLogProb, models.HookTokenEntropy, models.AttnLookback(1)}, true},
			{"hooks_no_lookback", []string{testHook, models.HookTokenLogProb, models.HookTokenEntropy}, false},
		} {
			b.Run(bm.name+"/"+c.name, func(b *testing.B) {
				runBatches(b, bm.m, batches, c.hooks, c.lookback) // compiles the graphs
				b.ResetTimer()
				for range b.N {
					runBatches(b, bm.m, batches, c.hooks, c.lookback)
				}
				b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// BenchmarkExtractOverhead is the acceptance measure: each iteration runs a whole
// extraction with the lookback ratio, one without it, and the plain forward pass (token_logprob
// alone) over the same windows in the same batches, one after the other in a rotating order, so
// that all three see the same load on a shared machine. overhead_% is
// 100 * (1 - extraction tokens/s / plain tokens/s) over all iterations.
//
//	go test ./states/extract -run '^$' -bench ExtractOverhead -benchtime 8x
func BenchmarkExtractOverhead(b *testing.B) {
	for _, bm := range benchModels(b) {
		b.Run(bm.name, func(b *testing.B) {
			batches, tokens := sameBatches(b, bm)
			plain := []string{models.HookTokenLogProb}
			dir := b.TempDir()
			data := filepath.Join(dir, "snippets.parquet")
			require.NoError(b, datasets.WriteSnippetSlice(data, corpus(bm.snippets)))
			cfg := testConfig(data, "")
			cfg.ModelDir, cfg.ShardSnippets = bm.dir, 0
			var inForward, inTotal time.Duration // of the extractions with lookback
			extract := func(noLookback bool, out string) {
				cfg.NoLookback, cfg.OutDir = noLookback, filepath.Join(dir, out)
				res, err := extractWith(context.Background(), cfg, bm.m, bm.tok, nil)
				if err != nil {
					b.Fatal(err)
				}
				if !noLookback {
					inForward += res.Forward
					inTotal += res.Total
				}
				if res.Manifest.Tokens != tokens {
					b.Fatalf("extraction ran %d tokens, the forward batches %d", res.Manifest.Tokens, tokens)
				}
			}
			extract(false, "warm") // compiles the graphs
			extract(true, "warm-no-lookback")
			runBatches(b, bm.m, batches, plain, false)
			var look, noLook, fwd time.Duration
			steps := []struct {
				run func(i int)
				sum *time.Duration
			}{
				{func(i int) { extract(false, fmt.Sprint(i)) }, &look},
				{func(i int) { extract(true, fmt.Sprint(i, "-no-lookback")) }, &noLook},
				{func(int) { runBatches(b, bm.m, batches, plain, false) }, &fwd},
			}
			inForward, inTotal = 0, 0
			b.ResetTimer()
			for i := range b.N {
				for j := range steps {
					st := steps[(i+j)%len(steps)]
					t0 := time.Now()
					st.run(i)
					*st.sum += time.Since(t0)
				}
			}
			rate := func(d time.Duration) float64 { return float64(tokens*b.N) / d.Seconds() }
			b.ReportMetric(rate(fwd), "forward_tok/s")
			b.ReportMetric(rate(look), "extract_tok/s")
			b.ReportMetric(100*(1-fwd.Seconds()/look.Seconds()), "overhead_%")
			b.ReportMetric(rate(noLook), "no_lookback_tok/s")
			b.ReportMetric(100*(1-fwd.Seconds()/noLook.Seconds()), "no_lookback_overhead_%")
			// Where extraction's time goes: its forward passes (hooks for the states, both token
			// statistics and the lookback) versus the rest (tokenizing, planning, line statistics,
			// Parquet).
			b.ReportMetric(100*inForward.Seconds()/inTotal.Seconds(), "extract_in_forward_%")
		})
	}
}

// BenchmarkHookCost prices what extraction asks of a pass beyond the plain forward (token
// log-probs): the entropy, the state hook (every token's vector, or only the line ends' as
// extraction keeps them) and the lookback, added one at a time over the same batches, each
// reported as its extra time in % of the plain pass.
func BenchmarkHookCost(b *testing.B) {
	for _, bm := range benchModels(b) {
		b.Run(bm.name, func(b *testing.B) {
			batches, _ := sameBatches(b, bm)
			state := DefaultHook(bm.m.Config.NumLayers)
			look := models.AttnLookback(bm.m.Config.NumLayers / 4)
			sets := []struct {
				name           string
				hooks          []string
				lookback, keep bool
			}{
				{"logprob", []string{models.HookTokenLogProb}, false, false},
				{"+entropy", []string{models.HookTokenLogProb, models.HookTokenEntropy}, false, false},
				{"+state_all_tokens", []string{state, models.HookTokenLogProb, models.HookTokenEntropy}, false, false},
				{"+state_line_ends", []string{state, models.HookTokenLogProb, models.HookTokenEntropy}, false, true},
				{"+lookback", []string{state, models.HookTokenLogProb, models.HookTokenEntropy, look}, true, true},
			}
			for _, s := range sets { // compile
				runBatchesKeep(b, bm.m, batches, s.hooks, s.lookback, s.keep)
			}
			sums := make([]time.Duration, len(sets))
			b.ResetTimer()
			for i := range b.N {
				for j := range sets {
					k := (i + j) % len(sets)
					t0 := time.Now()
					runBatchesKeep(b, bm.m, batches, sets[k].hooks, sets[k].lookback, sets[k].keep)
					sums[k] += time.Since(t0)
				}
			}
			for j, s := range sets[1:] {
				b.ReportMetric(100*(sums[j+1].Seconds()/sums[0].Seconds()-1), s.name+"_%")
			}
		})
	}
}

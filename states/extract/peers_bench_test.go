package extract

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/smollm2"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// The peer benchmarks of `just bench-peers` (scripts/peers/run.sh) run extraction on the real
// SmolLM2 and the shard writer and reader on its rows, and export what the Python peers need to
// do the same work: the forward batches extraction ran and the shard file. They are skipped
// unless $PTTRUST_PEERS_DATA (a snippets Parquet file, for BenchmarkPeerExtract) and
// $PTTRUST_PEERS_OUT (the folder they write into) are set.

// peersOut returns $PTTRUST_PEERS_OUT or skips.
func peersOut(b *testing.B) string {
	out := os.Getenv("PTTRUST_PEERS_OUT")
	if out == "" {
		b.Skip("PTTRUST_PEERS_OUT not set: run by scripts/peers/run.sh (just bench-peers)")
	}
	require.NoError(b, os.MkdirAll(out, 0o755))
	return out
}

// peerHook is the state the peers read: SmolLM2's early layer (8 of 30 blocks), as stage 1 does.
const peerHook = "blocks.7.resid_post"

// peerBatches is one extraction's forward passes, as the Python peer reads them: each batch's
// windows (token ids, unpadded) and the positions whose states are kept.
type peerBatches struct {
	Variant string      `json:"variant"`
	Hook    string      `json:"hook"`
	Layer   int         `json:"layer"`
	Logits  bool        `json:"logits"`
	Tokens  int         `json:"tokens"`
	Rows    int         `json:"rows"`
	Batches []peerBatch `json:"batches"`
}

type peerBatch struct {
	IDs  [][]int32 `json:"ids"`
	Keep [][]int32 `json:"keep"`
}

// BenchmarkPeerExtract runs `states extract` on SmolLM2 over $PTTRUST_PEERS_DATA with the hook
// blocks.7.resid_post: "full" is the command's default pass (token log-prob and entropy: all
// 30 blocks and the logits; lookback ratio), "states7" is --no-token-stats (8 blocks, no logits;
// lookback ratio). The first extraction (into $PTTRUST_PEERS_OUT/states-VARIANT, kept for the
// other peer benchmarks) compiles the graphs and gives cold_tokens/s; the timed ones rerun it into
// fresh folders. Extraction's batches are written to $PTTRUST_PEERS_OUT/batches-VARIANT.json.
func BenchmarkPeerExtract(b *testing.B) {
	out := peersOut(b)
	data := os.Getenv("PTTRUST_PEERS_DATA")
	if data == "" {
		b.Skip("PTTRUST_PEERS_DATA not set")
	}
	path := smollm2.ForTest(b)
	backend, err := models.NewBackend("")
	require.NoError(b, err)
	m, tok, err := models.LoadWithTokenizer(path, backend)
	require.NoError(b, err)
	for _, variant := range []string{"states7", "full"} {
		b.Run(variant, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.ModelDir, cfg.DataPath, cfg.Hooks = path, data, []string{peerHook}
			cfg.NoTokenStats = variant == "states7"
			cfg.OutDir = filepath.Join(out, "states-"+variant)
			require.NoError(b, os.RemoveAll(cfg.OutDir))
			t0 := time.Now()
			res, err := extractWith(context.Background(), cfg, m, tok, nil) // compiles the graphs
			require.NoError(b, err)
			cold := time.Since(t0)
			tokens := res.Manifest.Tokens
			pb := exportBatches(b, cfg, m, tok, res)
			pb.Variant, pb.Logits = variant, !cfg.NoTokenStats
			js, err := json.Marshal(pb)
			require.NoError(b, err)
			require.NoError(b, os.WriteFile(filepath.Join(out, "batches-"+variant+".json"), js, 0o644))
			dir := b.TempDir()
			b.ResetTimer()
			for i := range b.N {
				cfg.OutDir = filepath.Join(dir, strconv.Itoa(i))
				if _, err := extractWith(context.Background(), cfg, m, tok, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(float64(tokens)/cold.Seconds(), "cold_tokens/s")
			b.ReportMetric(float64(tokens), "tokens")
			b.ReportMetric(float64(res.Manifest.Rows), "rows")
			b.ReportMetric(float64(len(pb.Batches)), "batches")
			b.ReportMetric(100*res.Padding, "padding_%")
		})
		m.ResetCompiled()
	}
}

// exportBatches rebuilds the forward batches of an extraction as the runner packs them (groups
// of packSnippets input snippets, windows longest first, batchSize) and checks them against the
// run's token count and passes.
func exportBatches(b *testing.B, cfg Config, m *models.Model, tok *tokenizer.Tokenizer, res *Result) peerBatches {
	r, err := resolve(cfg, m)
	require.NoError(b, err)
	withTemplate := len(tok.EncodeWithSpecial("")) > 0
	heads := m.Config.NumHeads
	if r.attnLayer < 0 {
		heads = 0
	}
	var snips []datasets.Snippet
	require.NoError(b, datasets.ScanSnippets(cfg.DataPath, 0, func(_ int, s datasets.Snippet) error {
		snips = append(snips, s)
		return nil
	}))
	pb := peerBatches{Hook: peerHook, Layer: 7, Rows: res.Manifest.Rows}
	for start := 0; start < len(snips); start += packSnippets {
		var items []item
		for i, s := range snips[start:min(start+packSnippets, len(snips))] {
			w, _ := prepare(r, tok, withTemplate, start+i, s)
			if w == nil {
				continue
			}
			pb.Tokens += w.tokens
			for wi, win := range w.wins {
				items = append(items, item{w: w, win: wi, ids: w.ids[win.start:win.end]})
			}
		}
		slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(len(b.ids), len(a.ids)) })
		for len(items) > 0 {
			n := batchSize(len(items), len(items[0].ids), r.BatchTokens, heads)
			var bt peerBatch
			for _, it := range items[:n] {
				bt.IDs = append(bt.IDs, it.ids)
				bt.Keep = append(bt.Keep, it.w.statePositions(it.win))
			}
			pb.Batches = append(pb.Batches, bt)
			items = items[n:]
		}
	}
	passes := 0
	for _, n := range res.Shapes {
		passes += n
	}
	if pb.Tokens != res.Manifest.Tokens || len(pb.Batches) != passes {
		b.Fatalf("rebuilt %d batches of %d tokens; the extraction ran %d passes of %d tokens", len(pb.Batches), pb.Tokens, passes, res.Manifest.Tokens)
	}
	return pb
}

// BenchmarkPeerShard writes the rows of the "states7" extraction of BenchmarkPeerExtract as one
// shard with the shard writer (zstd, row groups of 4096, SHA-256 while writing, atomic rename)
// into $PTTRUST_PEERS_OUT/shard/shard-00000.parquet, and reads it back with the shard reader
// (SHA-256 check, then every row decoded). MB/s counts the shard file's bytes.
func BenchmarkPeerShard(b *testing.B) {
	out := peersOut(b)
	all, err := ReadRows(filepath.Join(out, "states-states7"), []string{peerHook})
	if err != nil {
		b.Skipf("no states7 extraction in %s (run BenchmarkPeerExtract first): %v", out, err)
	}
	require.NoError(b, os.MkdirAll(filepath.Join(out, "shard"), 0o755))
	path := filepath.Join(out, "shard", ShardName(0))
	columns, hooks := []string{StateColumn(peerHook)}, []string{peerHook}
	var info ShardInfo
	report := func(b *testing.B) {
		b.ReportMetric(float64(info.Bytes)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
		b.ReportMetric(float64(len(all)*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(info.Bytes)/1e6, "file_MB")
		b.ReportMetric(float64(len(all)), "rows")
	}
	b.Run("write", func(b *testing.B) {
		for range b.N {
			sum, size, err := writeShard(path, columns, hooks, all)
			if err != nil {
				b.Fatal(err)
			}
			info = ShardInfo{File: ShardName(0), Rows: len(all), SHA256: sum, Bytes: size}
		}
		report(b)
	})
	b.Run("read", func(b *testing.B) {
		for range b.N {
			n := 0
			if err := scanShard(path, info, columns, func(r Row) error { n += len(r.States[0]); return nil }); err != nil {
				b.Fatal(err)
			}
			if n != len(all)*len(all[0].States[0]) {
				b.Fatalf("read %d values, want %d", n, len(all)*len(all[0].States[0]))
			}
		}
		report(b)
	})
}

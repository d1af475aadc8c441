package models

import (
	"fmt"
	"github.com/pttrust/pttrust/internal/gctune"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// qwen05BConfig has the shape of Qwen2.5-Coder-0.5B (random weights are used in benchmarks).
func qwen05BConfig() *Config {
	return &Config{ModelType: "qwen2", Family: FamilyLlama, VocabSize: 151936, DModel: 896, NumLayers: 24,
		NumHeads: 14, NumKVHeads: 2, HeadDim: 64, DMLP: 4864, MaxPositions: 32768, NormEps: 1e-6,
		Activation: "silu", Rotary: true, RopeTheta: 1e6, QKVBias: true, TiedEmbeddings: true}
}

// tinyBenchConfig is a small Llama-style model, like the shipped tiny code LM.
func tinyBenchConfig() *Config {
	return &Config{ModelType: "llama", Family: FamilyLlama, VocabSize: 8192, DModel: 256, NumLayers: 6,
		NumHeads: 8, NumKVHeads: 4, HeadDim: 32, DMLP: 704, MaxPositions: 1024, NormEps: 1e-5,
		Activation: "silu", Rotary: true, RopeTheta: 10000, TiedEmbeddings: true}
}

// forwardFLOPs counts the multiply-adds (×2) of the blocks a pass runs: the projections and MLP,
// plus the two dense attention matmuls over the scores computed (scorePairs), plus the output
// projection when logits are asked for.
func forwardFLOPs(c *Config, batch, seq, layers int, logits bool) float64 {
	d, q, kv, f := float64(c.DModel), float64(c.NumHeads*c.HeadDim), float64(c.NumKVHeads*c.HeadDim), float64(c.DMLP)
	perTok := 2 * (d*q + 2*d*kv + q*d)
	if c.Family == FamilyLlama {
		perTok += 2 * 3 * d * f
	} else {
		perTok += 2 * 2 * d * f
	}
	attn := 2 * 2 * scorePairs(c, batch, seq) * q // per sequence per layer
	total := float64(layers) * (perTok*float64(batch*seq) + attn*float64(batch))
	if logits {
		total += 2 * d * float64(c.VocabSize) * float64(batch*seq)
	}
	return total
}

// scorePairs is the number of (query, key) scores an attention layer of the pure-Go backend's
// inference pass computes per sequence: the whole seq × seq square, or, computed a block of
// queries at a time (blockedCausal), the blocks' rows up to their last query.
func scorePairs(c *Config, batch, seq int) float64 {
	window := c.SlidingWindow > 0 && seq > c.SlidingWindow
	if window || !blockedCausal(batch*c.NumKVHeads, c.NumHeads/c.NumKVHeads, c.HeadDim, seq) {
		return float64(seq) * float64(seq)
	}
	n := 0
	for _, b := range causalBlocks(seq) {
		n += (b.hi - b.lo) * b.hi
	}
	return float64(n)
}

// The benchmarks run with the GC settings of the pttrust binary (see internal/gctune).
var _, _ = gctune.Apply()

var matmulRate = sync.OnceValues(func() (float64, error) {
	backend, err := NewBackend("")
	if err != nil {
		return 0, err
	}
	return MatMulRate(backend, 512, 896, 4864, 5)
})

func BenchmarkMatMul(b *testing.B) {
	for _, s := range [][3]int{{512, 896, 4864}, {1024, 1024, 1024}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) {
			var rate float64
			for range b.N {
				backend, err := NewBackend("")
				if err != nil {
					b.Fatal(err)
				}
				r, err := MatMulRate(backend, s[0], s[1], s[2], 3)
				if err != nil {
					b.Fatal(err)
				}
				rate = r
			}
			b.ReportMetric(rate, "GFLOP/s")
		})
	}
}

func benchForward(b *testing.B, cfg *Config, batch, seq int, req Request, layers int, logits bool) {
	backend, err := NewBackend("")
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewRandom(cfg, backend, 1)
	if err != nil {
		b.Fatal(err)
	}
	benchModel(b, m, batch, seq, req, layers, logits)
}

// benchModel times passes of m over random tokens and reports tokens/s and the model FLOP/s as a
// share of the matmul rate measured in the same run.
func benchModel(b *testing.B, m *Model, batch, seq int, req Request, layers int, logits bool) {
	cfg := m.Config
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([][]int32, batch)
	for i := range ids {
		ids[i] = make([]int32, seq)
		for t := range ids[i] {
			ids[i][t] = int32(rng.IntN(cfg.VocabSize))
		}
	}
	if _, err := m.Run(ids, req); err != nil { // compile + warm up
		b.Fatal(err)
	}
	mm, err := matmulRate()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := m.Run(ids, req); err != nil {
			b.Fatal(err)
		}
	}
	sec := time.Since(start).Seconds() / float64(b.N)
	gflops := forwardFLOPs(cfg, batch, seq, layers, logits) / sec / 1e9
	b.ReportMetric(float64(batch*seq)/sec, "tokens/s")
	b.ReportMetric(gflops, "GFLOP/s")
	b.ReportMetric(mm, "matmul_GFLOP/s")
	b.ReportMetric(gflops/mm, "frac_of_matmul")
}

func BenchmarkForwardTiny(b *testing.B) {
	cfg := tinyBenchConfig()
	last := ResidPost(cfg.NumLayers - 1)
	b.Run("states/b8xs256", func(b *testing.B) {
		benchForward(b, cfg, 8, 256, Request{Hooks: []string{last}}, cfg.NumLayers, false)
	})
	b.Run("logprobs/b8xs256", func(b *testing.B) {
		benchForward(b, cfg, 8, 256, Request{Hooks: []string{HookTokenLogProb, HookTokenEntropy}}, cfg.NumLayers, true)
	})
}

func BenchmarkForwardQwen05B(b *testing.B) {
	if testing.Short() {
		b.Skip("the 0.5B-shaped benchmark needs ~3 GB of memory and minutes; run without -short")
	}
	cfg := qwen05BConfig()
	b.Run("all24/s512", func(b *testing.B) {
		benchForward(b, cfg, 1, 512, Request{Hooks: []string{ResidPost(23)}}, 24, false)
	})
	b.Run("stop6/s512", func(b *testing.B) {
		benchForward(b, cfg, 1, 512, Request{Hooks: []string{ResidPost(5)}, StopAtLayer: 6}, 6, false)
	})
}

// BenchmarkLookback compares a pass with attn.lookback of one layer, and one with its
// attn.pattern, against the same pass without either, on a model shaped like the
// states/extract benchmark's wide model:
//
//	go test ./models -run '^$' -bench Lookback
func BenchmarkLookback(b *testing.B) {
	cfg := tinyBenchConfig()
	cfg.NumLayers, cfg.MaxPositions = 4, 128
	const batch, seq = 32, 128
	start := make([][]int32, batch)
	for i := range start {
		start[i] = make([]int32, seq)
		for t := range start[i] {
			start[i][t] = int32(t / 16 * 16) // lines of 16 tokens
		}
	}
	base := []string{ResidPost(1), HookTokenLogProb, HookTokenEntropy}
	for _, c := range []struct {
		name string
		req  Request
	}{
		{"none", Request{Hooks: base}},
		{"lookback", Request{Hooks: append(slices.Clone(base), AttnLookback(1)), LookbackStart: start}},
		{"pattern", Request{Hooks: append(slices.Clone(base), AttnPattern(1))}},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchForward(b, cfg, batch, seq, c.req, cfg.NumLayers, true)
		})
	}
}

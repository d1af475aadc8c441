package models

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pttrust/pttrust/internal/smollm2"
)

// BenchmarkSmolLM2 runs the real SmolLM2-135M (the GGUF of scripts/models/smollm2.sh; skipped
// without it) at sequence 512: the early-layer states pass that extraction uses for stage 1
// (blocks.7.resid_post: 8 of 30 blocks, no logits) and the full pass with token log-probs and
// entropy (30 blocks and the 576×49152 output projection), batch 1 and 8, beside the matmul rate
// of the same run:
//
//	go test ./models -run '^$' -bench SmolLM2 -benchtime 3x
func BenchmarkSmolLM2(b *testing.B) {
	path, ok := smollm2.Path()
	if !ok {
		b.Skip("SmolLM2 GGUF not found: run `bash scripts/models/smollm2.sh`")
	}
	backend, err := NewBackend("")
	if err != nil {
		b.Fatal(err)
	}
	m, err := LoadGGUF(path, backend)
	if err != nil {
		b.Fatal(err)
	}
	L := m.Config.NumLayers
	for _, batch := range []int{1, 8} {
		bs := "b" + strconv.Itoa(batch)
		b.Run("states7/"+bs+"xs512", func(b *testing.B) {
			benchModel(b, m, batch, 512, Request{Hooks: []string{ResidPost(7)}}, 8, false)
		})
		// extraction's stage-1 pass keeps the line ends (1 position in 16 here), its last block
		// run on them alone or, "unpruned", on every position
		keep := make([][]int32, batch)
		for i := range keep {
			for p := int32(15); p < 512; p += 16 {
				keep[i] = append(keep[i], p)
			}
		}
		for _, prune := range []bool{true, false} {
			name := "states7keep/" + bs + "xs512"
			if !prune {
				name = "states7keep-unpruned/" + bs + "xs512"
			}
			b.Run(name, func(b *testing.B) {
				pruneLastBlock = prune
				defer func() { pruneLastBlock = true }()
				benchModel(b, m, batch, 512, Request{Hooks: []string{ResidPost(7)}, Positions: keep}, 8, false)
			})
		}
		b.Run("full/"+bs+"xs512", func(b *testing.B) {
			benchModel(b, m, batch, 512, Request{Hooks: []string{HookTokenLogProb, HookTokenEntropy}}, L, true)
		})
		m.ResetCompiled()
	}
}

// BenchmarkSmolLM2Load measures loading the GGUF (parse, dequantize Q4_1/Q8_0 to float32, build
// the variable store): seconds per load, the float32 weights' bytes, and the growth of the
// process's resident set over the load.
func BenchmarkSmolLM2Load(b *testing.B) {
	path, ok := smollm2.Path()
	if !ok {
		b.Skip("SmolLM2 GGUF not found: run `bash scripts/models/smollm2.sh`")
	}
	var m *Model
	runtime.GC()
	before := rssBytes()
	start := time.Now()
	for range b.N {
		var err error
		if m, err = LoadGGUF(path, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/load")
	runtime.GC()
	b.ReportMetric(float64(4*m.Config.NumParams())/(1<<20), "weights_MiB")
	b.ReportMetric(float64(rssBytes()-before)/(1<<20), "rss_growth_MiB")
	runtime.KeepAlive(m)
}

// rssBytes reads VmRSS from /proc/self/status (0 where there is none).
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

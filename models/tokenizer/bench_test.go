package tokenizer

import (
	"strings"
	"testing"
)

// BenchmarkEncode measures Encode throughput (MB/s) over the whole corpus per fixture, with
// the word cache warm (as in a long run) and cleared before every pass.
func BenchmarkEncode(b *testing.B) {
	var sb strings.Builder
	for _, f := range corpus(b) {
		sb.WriteString(f.text)
	}
	text := sb.String()
	for _, name := range fixtureNames {
		tk := fixture(b, name)
		b.Run(name+"/warm", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			tk.Encode(text)
			b.ResetTimer()
			for b.Loop() {
				tk.Encode(text)
			}
		})
		b.Run(name+"/cold", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tk.model.cache = newWordCache(wordCacheCapacity)
				tk.Encode(text)
			}
		})
	}
}

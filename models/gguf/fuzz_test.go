package gguf

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic nor allocate past the input's
// size; whatever it accepts must keep the format's invariants: every tensor's data inside the
// file and aligned, and every supported tensor dequantizable to exactly Elements() values.
// The corpus is kept in testdata/fuzz/FuzzParse (seeded below with valid and broken files).
func FuzzParse(f *testing.F) {
	f.Add(small().bytes())
	f.Add(newBuilder().bytes())
	f.Add(newBuilder().tensor("q", TypeQ4_K, make([]byte, 144), 256).tensor("r", TypeQ6_K, make([]byte, 210), 256).bytes())
	f.Add(newBuilder().tensor("q", TypeQ5_1, make([]byte, 24), 32).add("general.alignment", valU32(64)).bytes())
	f.Add(newTokBuilder().bytes())
	if data, err := os.ReadFile("testdata/types.gguf"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(bytes.NewReader(data), int64(len(data)), "fuzz.gguf")
		if err != nil {
			return
		}
		for _, ti := range g.Tensors {
			if ti.Offset < g.DataOffset || ti.Offset+ti.Bytes > int64(len(data)) || (ti.Offset-g.DataOffset)%g.Alignment != 0 {
				t.Fatalf("tensor %s accepted outside the data section: offset %d, %d bytes, file %d", ti.Name, ti.Offset, ti.Bytes, len(data))
			}
			if !ti.Type.Supported() {
				continue
			}
			x, err := g.Float32(ti.Name)
			if err != nil {
				t.Fatalf("accepted tensor %s cannot be read: %v", ti.Name, err)
			}
			if int64(len(x)) != ti.Elements() {
				t.Fatalf("tensor %s: %d values for %d elements", ti.Name, len(x), ti.Elements())
			}
		}
		_, _, _ = g.TokenizerJSON() // must not panic on any metadata
	})
}

package gguf

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models/safetensors"
)

// TestDequantizeMatchesGGUFPy: testdata/types.gguf holds a [3, 256] tensor of every supported
// type, written by llama.cpp's gguf-py (scripts/ref/gguf_fixtures.py: the legacy quants
// quantized from random data, the K-quants random blocks with finite scales), and
// types_ref.safetensors gguf-py's dequantization of each. Go must equal it bit for bit.
func TestDequantizeMatchesGGUFPy(t *testing.T) {
	f, err := Open("testdata/types.gguf")
	require.NoError(t, err)
	defer f.Close()
	ref, err := safetensors.Open("testdata/types_ref.safetensors")
	require.NoError(t, err)
	defer ref.Close()
	seen := map[Type]bool{}
	for _, ti := range f.Tensors {
		want, shape, err := ref.Float32(ti.Name)
		require.NoError(t, err)
		require.Equal(t, shape, ti.Shape, ti.Name)
		got, err := f.Float32(ti.Name)
		require.NoError(t, err, ti.Name)
		require.Len(t, got, len(want))
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s (%s) [%d]: Go %g (%#x), gguf-py %g (%#x)", ti.Name, ti.Type, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
		seen[ti.Type] = true
	}
	for _, typ := range SupportedTypes() {
		require.True(t, seen[typ], "no fixture tensor of type %s", typ)
	}
}

// TestDequantizeHandValues checks single blocks against values worked out by hand from ggml's
// block layouts.
func TestDequantizeHandValues(t *testing.T) {
	half := func(v float32) []byte { h := safetensors.Float16Bits(v); return []byte{byte(h), byte(h >> 8)} }
	// Q8_0: d = 0.5, q = -128..? : x = q·d.
	q8 := append(half(0.5), make([]byte, 32)...)
	q8[2], q8[3], q8[33] = 0x80, 3, 0xff // -128, 3, ..., -1
	x, err := Dequantize(TypeQ8_0, q8, 32)
	require.NoError(t, err)
	require.Equal(t, float32(-64), x[0])
	require.Equal(t, float32(1.5), x[1])
	require.Equal(t, float32(-0.5), x[31])
	// Q4_0: low nibbles are elements 0..15, high nibbles 16..31, offset 8.
	q4 := append(half(2), make([]byte, 16)...)
	q4[2] = 0xF0 // element 0: 0-8 = -8 → -16; element 16: 15-8 = 7 → 14
	x, err = Dequantize(TypeQ4_0, q4, 32)
	require.NoError(t, err)
	require.Equal(t, float32(-16), x[0])
	require.Equal(t, float32(14), x[16])
	require.Equal(t, float32(-16), x[1]) // nibble 0
	// Q4_1: x = q·d + m.
	q41 := append(append(half(0.25), half(-1)...), make([]byte, 16)...)
	q41[4] = 0x4A // element 0: 10 → 1.5; element 16: 4 → 0
	x, err = Dequantize(TypeQ4_1, q41, 32)
	require.NoError(t, err)
	require.Equal(t, float32(1.5), x[0])
	require.Equal(t, float32(0), x[16])
	// Q5_0: the 5th bit of element j is bit j of qh (elements 16..31: bits 16..31).
	q5 := append(append(half(1), 0x01, 0, 1, 0), make([]byte, 16)...) // qh bits 0 and 16
	x, err = Dequantize(TypeQ5_0, q5, 32)
	require.NoError(t, err)
	require.Equal(t, float32(0), x[0])   // 16 - 16
	require.Equal(t, float32(0), x[16])  // 16 - 16
	require.Equal(t, float32(-16), x[1]) // 0 - 16
	// Wrong sizes are errors, not panics.
	_, err = Dequantize(TypeQ8_0, q8[:33], 32)
	require.ErrorContains(t, err, "take 34 bytes, got 33")
	_, err = Dequantize(TypeQ8_0, q8, 31)
	require.ErrorContains(t, err, "not a whole number")
	_, err = Dequantize(TypeIQ2_XXS, nil, 0)
	require.ErrorContains(t, err, "IQ2_XXS is not supported")
}

package gguf

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestParseSmall(t *testing.T) {
	p := writeTemp(t, "small.gguf", small().bytes())
	f, err := Open(p)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, uint32(3), f.Version)
	require.Equal(t, []string{"general.architecture", "general.alignment", "x.count", "x.eps", "x.flag", "x.words", "x.ints"}, f.Metadata.Keys())
	s, err := f.Metadata.String("general.architecture")
	require.NoError(t, err)
	require.Equal(t, "llama", s)
	n, err := f.Metadata.Int("x.count")
	require.NoError(t, err)
	require.Equal(t, int64(7), n)
	eps, err := f.Metadata.Float("x.eps")
	require.NoError(t, err)
	require.InDelta(t, 1e-5, eps, 1e-12)
	flag, err := f.Metadata.Bool("x.flag", false)
	require.NoError(t, err)
	require.True(t, flag)
	words, err := f.Metadata.Strings("x.words")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "bc", ""}, words)
	ints, err := f.Metadata.Ints("x.ints")
	require.NoError(t, err)
	require.Equal(t, []int64{1, -2, 3}, ints)

	w, ok := f.Tensor("w")
	require.True(t, ok)
	require.Equal(t, []int64{3, 2}, w.Dims)
	require.Equal(t, []int{2, 3}, w.Shape, "Shape is Dims reversed (row-major)")
	require.Equal(t, int64(24), w.Bytes)
	require.Zero(t, (w.Offset-f.DataOffset)%32)
	x, err := f.Float32("w")
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2, 3, 4, 5, 6}, x)
	v, err := f.Float32("v")
	require.NoError(t, err)
	require.Equal(t, []float32{-1, 0.5}, v)

	// Typed getters name the file and the key.
	_, err = f.Metadata.String("x.count")
	require.ErrorContains(t, err, p)
	require.ErrorContains(t, err, "metadata key x.count is a uint32, want a string")
	_, err = f.Metadata.Int("missing.key")
	require.ErrorContains(t, err, "metadata key missing.key is missing")
	_, err = f.Float32("nope")
	require.ErrorContains(t, err, "no tensor named nope")
}

// TestMalformed: each broken file gives an error naming the file and the problem, never a panic.
func TestMalformed(t *testing.T) {
	huge := func(b []byte, at int, v uint64) []byte {
		binary.LittleEndian.PutUint64(b[at:], v)
		return b
	}
	valid := small().bytes()
	cases := []struct {
		name string
		data func() []byte
		want string
	}{
		{"empty", func() []byte { return nil }, "truncated"},
		{"bad magic", func() []byte { return append([]byte("GGUX"), valid[4:]...) }, `not a GGUF file (magic "GGUX"`},
		{"version 1", func() []byte { b := newBuilder(); b.version = 1; return b.bytes() }, "GGUF version 1 is not supported"},
		{"big endian", func() []byte { b := newBuilder(); b.version = 3 << 24; return b.bytes() }, "big-endian GGUF files are not supported"},
		{"unknown version", func() []byte { b := newBuilder(); b.version = 9; return b.bytes() }, "unknown GGUF version 9"},
		{"huge tensor count", func() []byte { return huge(bytes.Clone(valid), 8, 1<<60) }, "tensor count 1152921504606846976 does not fit"},
		{"huge metadata count", func() []byte { return huge(bytes.Clone(valid), 16, 1<<62) }, "metadata count 4611686018427387904 does not fit"},
		{"huge string length", func() []byte {
			return newBuilder().add("k", append(le32(uint32(ValString)), le64(1<<50)...)).bytes()
		}, "metadata key k: length 1125899906842624"},
		{"huge array", func() []byte {
			raw := append(le32(uint32(ValArray)), le32(uint32(ValUint32))...)
			return newBuilder().add("arr", append(raw, le64(1<<40)...)).bytes()
		}, "metadata key arr: array of 1099511627776 uint32 elements does not fit"},
		{"bad metadata type", func() []byte { return newBuilder().add("k", append(le32(99), 0, 0, 0, 0)).bytes() }, "metadata key k: unknown value type 99"},
		{"bad array element type", func() []byte {
			raw := append(le32(uint32(ValArray)), le32(77)...)
			return newBuilder().add("k", append(raw, le64(1)...)).bytes()
		}, "metadata key k: unknown array element type 77"},
		{"nested array", func() []byte {
			raw := append(le32(uint32(ValArray)), le32(uint32(ValArray))...)
			return newBuilder().add("k", append(raw, le64(0)...)).bytes()
		}, "arrays of arrays are not supported"},
		{"bad bool", func() []byte { return newBuilder().add("b", append(le32(uint32(ValBool)), 7)).bytes() }, "bool byte is 7"},
		{"duplicate key", func() []byte { return newBuilder().add("k", valU32(1)).add("k", valU32(2)).bytes() }, "metadata key k appears twice"},
		{"alignment not a power of two", func() []byte { return newBuilder().add("general.alignment", valU32(24)).bytes() }, "general.alignment = 24 is not a power of two"},
		{"alignment wrong type", func() []byte { return newBuilder().add("general.alignment", valStr("32")).bytes() }, "general.alignment is a string, want a uint32"},
		{"unknown tensor type", func() []byte { return newBuilder().tensor("w", Type(200), make([]byte, 8), 2).bytes() }, "tensor w: unknown tensor type 200"},
		{"too many dims", func() []byte { return newBuilder().tensor("w", TypeF32, make([]byte, 4), 1, 1, 1, 1, 1).bytes() }, "tensor w: 5 dimensions"},
		{"no dims", func() []byte { return newBuilder().tensor("w", TypeF32, nil).bytes() }, "tensor w: 0 dimensions"},
		{"row not whole blocks", func() []byte { return newBuilder().tensor("w", TypeQ8_0, make([]byte, 34), 16, 2).bytes() }, "tensor w: row length 16 is not a multiple of Q8_0's block size 32"},
		{"element overflow", func() []byte { return newBuilder().tensor("w", TypeF32, nil, 1<<21, 1<<21).bytes() }, "has more than 2^40 elements"},
		{"data past the end", func() []byte { return newBuilder().tensor("w", TypeF32, make([]byte, 8), 4).bytes() }, "tensor w: data"},
		{"offset past the end", func() []byte {
			b := newBuilder().tensor("w", TypeF32, f32bytes(1), 1)
			b.tensors[0].offset = 1 << 40
			return b.bytes()
		}, "tensor w: offset 1099511627776 is past the end"},
		{"misaligned offset", func() []byte {
			b := newBuilder().tensor("w", TypeF32, f32bytes(1, 2), 2)
			b.tensors[0].offset = 4
			return append(b.bytes(), make([]byte, 8)...)
		}, "tensor w: offset 4 is not a multiple of the alignment 32"},
		{"overlap", func() []byte {
			b := newBuilder().tensor("a", TypeF32, f32bytes(1, 2, 3, 4, 5, 6, 7, 8, 9), 9).tensor("b", TypeF32, f32bytes(1), 1)
			b.tensors[1].offset = 0
			return b.bytes()
		}, "tensors a and b overlap"},
		{"duplicate tensor", func() []byte {
			return newBuilder().tensor("w", TypeF32, f32bytes(1), 1).tensor("w", TypeF32, f32bytes(2), 1).bytes()
		}, "tensor w appears twice"},
		{"empty key", func() []byte { return newBuilder().add("", valU32(1)).bytes() }, "is empty or not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "bad model.gguf", c.data())
			_, err := Open(p)
			require.Error(t, err)
			require.ErrorContains(t, err, p, "the error names the file")
			require.ErrorContains(t, err, c.want)
		})
	}
}

// TestEveryTruncationFails cuts a valid file at every byte: each prefix is an error naming the
// file, never a panic or a file that looks whole.
func TestEveryTruncationFails(t *testing.T) {
	full := small().bytes()
	for n := 0; n < len(full); n++ {
		_, err := Parse(bytes.NewReader(full[:n]), int64(n), "cut.gguf")
		require.Error(t, err, "prefix of %d bytes accepted", n)
		require.True(t, strings.HasPrefix(err.Error(), "gguf: cut.gguf: "), "prefix %d: %v", n, err)
	}
	_, err := Parse(bytes.NewReader(full), int64(len(full)), "whole.gguf")
	require.NoError(t, err)
}

func TestUnsupportedTypeRefusedByName(t *testing.T) {
	p := writeTemp(t, "k.gguf", newBuilder().tensor("q2", TypeQ2_K, make([]byte, 84), 256).bytes())
	f, err := Open(p) // metadata and infos of any ggml type can be read
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Float32("q2")
	require.ErrorContains(t, err, "tensor q2 has type Q2_K, which is not supported")
	require.ErrorContains(t, err, p)
	require.False(t, TypeIQ4_XS.Supported())
	require.Equal(t, "IQ4_XS", TypeIQ4_XS.String())
	require.Equal(t, "type(99)", Type(99).String())
}

func TestDirectoryAndMissingFile(t *testing.T) {
	_, err := Open(t.TempDir())
	require.ErrorContains(t, err, "is a directory, not a GGUF file")
	_, err = Open(filepath.Join(t.TempDir(), "none.gguf"))
	require.ErrorContains(t, err, "none.gguf")
}

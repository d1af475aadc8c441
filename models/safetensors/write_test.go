package safetensors

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteGolden checks WriteFile byte for byte against what the reference library
// (safetensors.numpy.save_file / safetensors.torch.save_file) writes for the same dict:
// tensors ordered by decreasing dtype alignment and then by name, "__metadata__" first,
// compact JSON, spaces up to a multiple of 8.
func TestWriteGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "golden.safetensors")
	tensors := []Tensor{
		BF16Tensor("bias", []int{2}, []float32{1.0, 3.14159}),
		F32Tensor("weight", []int{2}, []float32{1.0, -2.0}),
		I64Tensor("step", []int{}, []int64{7}),
	}
	require.NoError(t, WriteFile(path, tensors, map[string]string{"format": "pt"}))

	// I64 (8-byte) first, then F32, then BF16; offsets follow that order.
	header := `{"__metadata__":{"format":"pt"},` +
		`"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"weight":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},` +
		`"bias":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}`
	require.Len(t, header, 205) // 205 = 8·25 + 5, so 3 spaces of padding make N = 208 = 0xd0
	want := []byte{0xd0, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, header+"   "...)
	want = append(want, 7, 0, 0, 0, 0, 0, 0, 0) // step = 7
	want = append(want, 0, 0, 0x80, 0x3f)       // 1.0f
	want = append(want, 0, 0, 0, 0xc0)          // -2.0f
	want = append(want, 0x80, 0x3f, 0x49, 0x40) // bf16 1.0, bf16 3.14159 (0x4049)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// testdata/golden.safetensors holds the same bytes, produced independently with Python's
	// struct module from the header text above.
	golden, err := os.ReadFile("testdata/golden.safetensors")
	require.NoError(t, err)
	assert.Equal(t, golden, got)
	f, err := Open("testdata/golden.safetensors")
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{"bias", "step", "weight"}, f.Names())
	assert.Equal(t, map[string]string{"format": "pt"}, f.Metadata)
	bias, _, err := f.Float32("bias")
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 3.140625}, bias)
	info, ok := f.Info("weight")
	require.True(t, ok)
	assert.Equal(t, TensorInfo{Name: "weight", DType: F32, Shape: []int{2}, Begin: 8 + 208 + 8, End: 8 + 208 + 16}, info)
}

// TestWriteReferenceVectors reproduces the byte strings of the reference implementation's own
// serialization tests (safetensors/src/tensor.rs: test_serialization, test_empty,
// test_serialization_forced_alignement).
func TestWriteReferenceVectors(t *testing.T) {
	data := le32(0, 1, 2, 3, 4, 5)
	cases := []struct {
		name     string
		tensors  []Tensor
		metadata map[string]string
		n        byte
		header   string
	}{
		{"attn.0", []Tensor{{"attn.0", F32, []int{1, 2, 3}, data}}, nil,
			64, `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`},
		{"forced alignment", []Tensor{{"attn0", F32, []int{1, 1, 2, 3}, data}}, nil,
			72, `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `},
		{"empty", nil, nil, 8, `{}      `},
		{"empty with metadata", nil, map[string]string{"framework": "pt"},
			40, `{"__metadata__":{"framework":"pt"}}     `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.safetensors")
			require.NoError(t, WriteFile(path, c.tensors, c.metadata))
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			want := append([]byte{c.n, 0, 0, 0, 0, 0, 0, 0}, c.header...)
			for _, tt := range c.tensors {
				want = append(want, tt.Data...)
			}
			assert.Equal(t, want, got)
			f, err := Open(path)
			require.NoError(t, err)
			defer f.Close()
			assert.Len(t, f.Names(), len(c.tensors))
		})
	}
}

// TestWriteOrderAndEscaping checks the ordering rule across dtypes of equal alignment (by the
// reference's enum order, then by name) and serde_json-style string escaping.
func TestWriteOrderAndEscaping(t *testing.T) {
	tensors := []Tensor{
		{"b", BF16, []int{1}, []byte{0, 0}},
		{"a", F16, []int{1}, []byte{0, 0}},
		{"c", U16, []int{1}, []byte{0, 0}},
		{"z", U8, []int{1}, []byte{1}},
		{"y", BOOL, []int{1}, []byte{1}},
		{"q\"<&>\u2028\n\x01é", I8, []int{}, []byte{0xff}},
	}
	order := writeOrder(tensors)
	var names []string
	for _, o := range order {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"b", "a", "c", "q\"<&>\u2028\n\x01é", "z", "y"}, names)

	path := filepath.Join(t.TempDir(), "esc.safetensors")
	require.NoError(t, WriteFile(path, tensors, map[string]string{"k\t": "v\\"}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `{"__metadata__":{"k\t":"v\\"},"b":{"dtype":"BF16"`)
	assert.Contains(t, string(raw), `"q\"<&>`+"\u2028"+`\n\u0001é":{"dtype":"I8","shape":[],"data_offsets":[6,7]}`)
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, map[string]string{"k\t": "v\\"}, f.Metadata)
	info, ok := f.Info("q\"<&>\u2028\n\x01é")
	require.True(t, ok)
	assert.Equal(t, I8, info.DType)
}

// TestRoundTripAllDTypes writes one tensor of every dtype with hand-computed bytes and reads
// them back: raw bytes, dtype, shape, and float32 values for the float types.
func TestRoundTripAllDTypes(t *testing.T) {
	cases := []struct {
		tensor Tensor
		bytes  []byte
		floats []float32 // nil: not convertible
	}{
		{F32Tensor("f32", []int{2}, []float32{1.0, -2.5}), []byte{0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0}, []float32{1, -2.5}},
		{Tensor{"f64", F64, []int{1}, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}}, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, []float32{1}},
		{F16Tensor("f16", []int{2, 2}, []float32{1.0, 65504, 5.9604644775390625e-08, float32(math.Copysign(0, -1))}),
			[]byte{0x00, 0x3c, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80}, []float32{1, 65504, 5.9604644775390625e-08, float32(math.Copysign(0, -1))}},
		{BF16Tensor("bf16", []int{2}, []float32{1.0, 3.14159}), []byte{0x80, 0x3f, 0x49, 0x40}, []float32{1, 3.140625}},
		{Tensor{"f8e4m3", F8E4M3, []int{2}, []byte{0x38, 0xc0}}, []byte{0x38, 0xc0}, []float32{1, -2}},
		{Tensor{"f8e5m2", F8E5M2, []int{2}, []byte{0x3c, 0xc0}}, []byte{0x3c, 0xc0}, []float32{1, -2}},
		{I64Tensor("i64", []int{2}, []int64{-1, 2}), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0, 0, 0}, nil},
		{I32Tensor("i32", []int{1, 1}, []int32{-2}), []byte{0xfe, 0xff, 0xff, 0xff}, nil},
		{Tensor{"i16", I16, []int{1}, []byte{0x02, 0x01}}, []byte{0x02, 0x01}, nil},
		{Tensor{"i8", I8, []int{1}, []byte{0xff}}, []byte{0xff}, nil},
		{Tensor{"u64", U64, []int{1}, []byte{1, 2, 3, 4, 5, 6, 7, 8}}, []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil},
		{Tensor{"u32", U32, []int{1}, []byte{1, 2, 3, 4}}, []byte{1, 2, 3, 4}, nil},
		{Tensor{"u16", U16, []int{1}, []byte{1, 2}}, []byte{1, 2}, nil},
		{Tensor{"u8", U8, []int{3}, []byte{200, 0, 1}}, []byte{200, 0, 1}, nil},
		{Tensor{"bool", BOOL, []int{2}, []byte{1, 0}}, []byte{1, 0}, nil},
		{Tensor{"empty", F32, []int{0, 3}, nil}, []byte{}, []float32{}},
	}
	var tensors []Tensor
	for _, c := range cases {
		assert.Equalf(t, c.bytes, []byte(append([]byte{}, c.tensor.Data...)), "encoding of %s", c.tensor.Name)
		tensors = append(tensors, c.tensor)
	}
	path := filepath.Join(t.TempDir(), "all.safetensors")
	require.NoError(t, WriteFile(path, tensors, nil))
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.Nil(t, f.Metadata)
	assert.Len(t, f.Names(), len(cases))
	for _, c := range cases {
		name := c.tensor.Name
		info, ok := f.Info(name)
		require.True(t, ok, name)
		assert.Equal(t, c.tensor.DType, info.DType, name)
		assert.Equal(t, c.tensor.Shape, info.Shape, name)
		raw, info2, err := f.Bytes(name)
		require.NoError(t, err, name)
		assert.Equal(t, c.bytes, raw, name)
		assert.Equal(t, info, info2, name)
		vals, shape, err := f.Float32(name)
		if c.floats == nil {
			require.ErrorIs(t, err, ErrDType, name)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), `"`+name+`"`)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, c.tensor.Shape, shape, name)
		assert.Equal(t, len(c.floats), len(vals), name)
		for i := range c.floats {
			assert.Equal(t, math.Float32bits(c.floats[i]), math.Float32bits(vals[i]), "%s[%d]", name, i)
		}
	}
	_, _, err = f.Float32("nope")
	require.ErrorIs(t, err, ErrMissing)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `"nope"`)
}

// TestFloat32Large reads tensors bigger than the conversion chunk, in every float dtype.
func TestFloat32Large(t *testing.T) {
	n := 700_000 // > 1 MiB / 2 bytes, so F16/BF16 take several chunks
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%2048) - 1024 // integers below 2048 are exact in f16
	}
	small := make([]float32, n)
	for i := range small {
		small[i] = float32(i%256) - 128 // exact in bf16 and f16
	}
	path := filepath.Join(t.TempDir(), "big.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{
		F32Tensor("f32", []int{n}, vals),
		F16Tensor("f16", []int{n}, vals),
		BF16Tensor("bf16", []int{n / 1000, 1000}, small),
	}, nil))
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	got, _, err := f.Float32("f32")
	require.NoError(t, err)
	assert.Equal(t, vals, got)
	got, _, err = f.Float32("f16")
	require.NoError(t, err)
	assert.Equal(t, vals, got)
	got, shape, err := f.Float32("bf16")
	require.NoError(t, err)
	assert.Equal(t, []int{n / 1000, 1000}, shape)
	assert.Equal(t, small, got)

	// Concurrent readers share the file (ReadAt); run with -race.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			got, _, err := f.Float32("f16")
			assert.NoError(t, err)
			assert.Equal(t, vals, got)
		})
	}
	wg.Wait()
	require.NoError(t, f.Close())
	_, _, err = f.Float32("f32")
	require.ErrorIs(t, err, os.ErrClosed)
	require.NoError(t, f.Close())
}

// TestWriteValidation checks that invalid tensors are refused before anything is written, with
// the sentinel, the path and the tensor name in the error.
func TestWriteValidation(t *testing.T) {
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    error
		tensor  string
	}{
		{"shape mismatch", []Tensor{F32Tensor("w", []int{3}, []float32{1, 2})}, nil, ErrShape, "w"},
		{"negative dim", []Tensor{{"w", F32, []int{-1}, nil}}, nil, ErrShape, "w"},
		{"overflow", []Tensor{{"w", F32, []int{1 << 62, 1 << 62}, nil}}, nil, ErrShape, "w"},
		{"unknown dtype", []Tensor{{"w", "F12", []int{1}, []byte{0}}}, nil, ErrDType, "w"},
		{"duplicate", []Tensor{F32Tensor("w", []int{1}, []float32{1}), F32Tensor("w", []int{1}, []float32{2})}, nil, ErrDuplicate, "w"},
		{"empty name", []Tensor{F32Tensor("", []int{1}, []float32{1})}, nil, ErrBadHeader, ""},
		{"reserved name", []Tensor{F32Tensor("__metadata__", []int{1}, []float32{1})}, nil, ErrBadHeader, "__metadata__"},
		{"bad utf8 name", []Tensor{F32Tensor("w\xff", []int{1}, []float32{1})}, nil, ErrBadHeader, ""},
		{"bad utf8 metadata", nil, map[string]string{"k": "\xff"}, ErrBadHeader, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.safetensors")
			require.NoError(t, os.WriteFile(path, []byte("previous"), 0o644))
			err := WriteFile(path, c.tensors, c.meta)
			require.ErrorIs(t, err, c.want)
			assert.Contains(t, err.Error(), path)
			if c.tensor != "" {
				assert.Contains(t, err.Error(), `"`+c.tensor+`"`)
			}
			got, _ := os.ReadFile(path)
			assert.Equal(t, "previous", string(got), "target replaced on error")
			assert.Equal(t, []string{"model.safetensors"}, dirNames(t, dir), "temporary file left behind")

			err = WriteSharded(filepath.Join(dir, "sharded"), c.tensors, c.meta, 4)
			require.ErrorIs(t, err, c.want)
			assert.NoDirExists(t, filepath.Join(dir, "sharded"))
		})
	}
}

// TestWriteAtomic checks that a successful write leaves exactly the target, that an overwrite
// replaces it, and that a failed rename leaves neither a changed target nor a temporary file.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{F32Tensor("a", []int{1}, []float32{1})}, nil))
	require.NoError(t, WriteFile(path, []Tensor{F32Tensor("b", []int{1}, []float32{2})}, nil))
	assert.Equal(t, []string{"w.safetensors"}, dirNames(t, dir))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	f, err := Open(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, f.Names())
	require.NoError(t, f.Close())

	// The target is a non-empty directory: the rename fails after the data is written.
	target := filepath.Join(dir, "busy")
	require.NoError(t, os.MkdirAll(filepath.Join(target, "child"), 0o755))
	err = WriteFile(target, []Tensor{F32Tensor("a", []int{1}, []float32{1})}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), target)
	assert.Equal(t, []string{"busy", "w.safetensors"}, dirNames(t, dir))
	assert.DirExists(t, filepath.Join(target, "child"))

	// Missing directory.
	err = WriteFile(filepath.Join(dir, "no", "such", "x.safetensors"), nil, nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist), err)
	assert.False(t, strings.Contains(strings.Join(dirNames(t, dir), " "), ".tmp"))
}

// TestReadAfterTruncation reports a file cut short after Open with ErrTruncated, the path and
// the tensor.
func TestReadAfterTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.safetensors")
	require.NoError(t, WriteFile(path, []Tensor{F32Tensor("w", []int{4}, []float32{1, 2, 3, 4})}, nil))
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, st.Size()-2))
	_, _, err = f.Float32("w")
	require.ErrorIs(t, err, ErrTruncated)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `"w"`)
	_, _, err = f.Bytes("w")
	require.ErrorIs(t, err, ErrTruncated)
}

package safetensors

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testTensors returns tensors of 40, 24, 8, 100 and 16 data bytes, in model order.
func testTensors() ([]Tensor, map[string][]float32) {
	vals := map[string][]float32{}
	mk := func(name string, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(len(name) + i) // small integers: exact in bf16 and f16
		}
		vals[name] = v
		return v
	}
	return []Tensor{
		F32Tensor("embed.weight", []int{2, 5}, mk("embed.weight", 10)),
		F32Tensor("blocks.0.w", []int{6}, mk("blocks.0.w", 6)),
		BF16Tensor("blocks.0.b", []int{4}, mk("blocks.0.b", 4)),
		F32Tensor("blocks.1.w", []int{5, 5}, mk("blocks.1.w", 25)),
		F16Tensor("lm_head.weight", []int{2, 4}, mk("lm_head.weight", 8)),
	}, vals
}

func TestWriteShardedRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	tensors, vals := testTensors()
	require.NoError(t, WriteSharded(dir, tensors, map[string]string{"format": "pt"}, 64))

	// 40+24 = 64 fits; 8 opens shard 2; 100 > 64 gets its own shard 3; 16 opens shard 4.
	assert.ElementsMatch(t, []string{
		"model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
		"model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", IndexFileName,
	}, dirNames(t, dir))

	raw, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	require.NoError(t, err)
	var idx struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	require.NoError(t, json.Unmarshal(raw, &idx))
	assert.Equal(t, map[string]any{"format": "pt", "total_size": float64(40 + 24 + 8 + 100 + 16)}, idx.Metadata)
	assert.Equal(t, map[string]string{
		"embed.weight":   "model-00001-of-00004.safetensors",
		"blocks.0.w":     "model-00001-of-00004.safetensors",
		"blocks.0.b":     "model-00002-of-00004.safetensors",
		"blocks.1.w":     "model-00003-of-00004.safetensors",
		"lm_head.weight": "model-00004-of-00004.safetensors",
	}, idx.WeightMap)

	c, err := OpenDir(dir)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, []string{"blocks.0.b", "blocks.0.w", "blocks.1.w", "embed.weight", "lm_head.weight"}, c.Names())
	assert.Equal(t, filepath.Join(dir, IndexFileName), c.IndexPath)
	assert.Equal(t, "pt", c.IndexMetadata["format"])
	require.Len(t, c.Files(), 4)
	for _, f := range c.Files() {
		assert.Equal(t, map[string]string{"format": "pt"}, f.Metadata)
	}
	for _, tt := range tensors {
		info, path, ok := c.Info(tt.Name)
		require.True(t, ok)
		assert.Equal(t, filepath.Join(dir, idx.WeightMap[tt.Name]), path)
		assert.Equal(t, tt.Shape, info.Shape)
		got, shape, err := c.Float32(tt.Name)
		require.NoError(t, err)
		assert.Equal(t, tt.Shape, shape)
		assert.Equal(t, vals[tt.Name], got, tt.Name) // all values are exact in bf16/f16
		b, _, err := c.Bytes(tt.Name)
		require.NoError(t, err)
		assert.Equal(t, tt.Data, b)
	}
	_, _, err = c.Float32("missing")
	require.ErrorIs(t, err, ErrMissing)
	assert.Contains(t, err.Error(), `"missing"`)
	_, _, ok := c.Info("missing")
	assert.False(t, ok)
}

func TestWriteShardedSingleAndStaleFiles(t *testing.T) {
	dir := t.TempDir()
	tensors, _ := testTensors()

	// Sharded first, then everything fits: the index and its shards go away.
	require.NoError(t, writeRawStray(dir))
	require.NoError(t, WriteSharded(dir, tensors, nil, 64))
	require.NoError(t, WriteSharded(dir, tensors, nil, 0))
	assert.ElementsMatch(t, []string{SingleFileName, "notes.txt"}, dirNames(t, dir))
	c, err := OpenDir(dir)
	require.NoError(t, err)
	assert.Empty(t, c.IndexPath)
	assert.Len(t, c.Names(), len(tensors))
	require.NoError(t, c.Close())

	// Single, then sharded: model.safetensors goes away.
	require.NoError(t, WriteSharded(dir, tensors, nil, 100))
	assert.ElementsMatch(t, []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
		"model-00003-of-00003.safetensors", IndexFileName, "notes.txt"}, dirNames(t, dir))
	// Fewer shards than before: the unused old shard goes away.
	require.NoError(t, WriteSharded(dir, tensors, nil, 120))
	assert.ElementsMatch(t, []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
		IndexFileName, "notes.txt"}, dirNames(t, dir))
	c, err = OpenDir(dir)
	require.NoError(t, err)
	assert.Len(t, c.Names(), len(tensors))
	require.NoError(t, c.Close())

	// Large enough limit: one file.
	require.NoError(t, WriteSharded(dir, tensors, nil, 1<<20))
	assert.ElementsMatch(t, []string{SingleFileName, "notes.txt"}, dirNames(t, dir))

	// No tensors at all: an empty model.safetensors.
	require.NoError(t, WriteSharded(dir, nil, nil, 10))
	c, err = OpenDir(dir)
	require.NoError(t, err)
	assert.Empty(t, c.Names())
	require.NoError(t, c.Close())
}

func writeRawStray(dir string) error {
	return os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o644)
}

// shardedFixture writes a valid 2-shard checkpoint (a, b in shard 1; c in shard 2) and returns
// its directory.
func shardedFixture(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, WriteSharded(dir, []Tensor{
		F32Tensor("a", []int{2}, []float32{1, 2}),
		F32Tensor("b", []int{1}, []float32{3}),
		F32Tensor("c", []int{3}, []float32{4, 5, 6}),
	}, nil, 12))
	require.FileExists(t, filepath.Join(dir, "model-00002-of-00002.safetensors"))
	return dir
}

func writeIndex(t *testing.T, dir, text string) string {
	return writeRaw(t, dir, IndexFileName, []byte(text))
}

func TestOpenDirMalformed(t *testing.T) {
	const s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []error
		names []string // substrings the error must contain
	}{
		{"index not json", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":`) },
			[]error{ErrBadIndex}, []string{IndexFileName}},
		{"index not an object", func(t *testing.T, dir string) { writeIndex(t, dir, `[]`) },
			[]error{ErrBadIndex}, []string{IndexFileName}},
		{"index trailing data", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":{}} {}`) },
			[]error{ErrBadIndex}, nil},
		{"no weight_map", func(t *testing.T, dir string) { writeIndex(t, dir, `{"metadata":{}}`) },
			[]error{ErrBadIndex}, []string{"weight_map"}},
		{"weight_map not strings", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":{"a":1}}`) },
			[]error{ErrBadIndex}, []string{`"a"`}},
		{"weight_map escapes dir", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":{"a":"../x.safetensors"}}`) },
			[]error{ErrBadIndex}, []string{`"a"`, "../x.safetensors"}},
		{"weight_map absolute", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":{"a":"/etc/passwd"}}`) },
			[]error{ErrBadIndex}, []string{`"a"`}},
		{"duplicate weight_map key", func(t *testing.T, dir string) {
			writeIndex(t, dir, `{"weight_map":{"a":"`+s1+`","b":"`+s1+`","c":"`+s2+`","a":"`+s2+`"}}`)
		}, []error{ErrBadIndex, ErrDuplicate}, []string{`"a"`}},
		{"duplicate top-level key", func(t *testing.T, dir string) { writeIndex(t, dir, `{"weight_map":{},"weight_map":{}}`) },
			[]error{ErrBadIndex, ErrDuplicate}, nil},
		{"missing shard file", func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, s2))) },
			[]error{ErrMissing}, []string{s2, `"c"`}},
		{"listed but not in shard", func(t *testing.T, dir string) {
			writeIndex(t, dir, `{"weight_map":{"a":"`+s1+`","b":"`+s1+`","c":"`+s2+`","d":"`+s2+`"}}`)
		}, []error{ErrMissing}, []string{`"d"`, s2}},
		{"in shard but not listed", func(t *testing.T, dir string) {
			writeIndex(t, dir, `{"weight_map":{"a":"`+s1+`","c":"`+s2+`"}}`)
		}, []error{ErrUnexpected}, []string{`"b"`, s1}},
		{"listed in the wrong shard", func(t *testing.T, dir string) {
			writeIndex(t, dir, `{"weight_map":{"a":"`+s1+`","b":"`+s2+`","c":"`+s2+`"}}`)
		}, []error{ErrMissing}, []string{`"b"`, s1, s2}},
		{"same name in two shards", func(t *testing.T, dir string) {
			require.NoError(t, WriteFile(filepath.Join(dir, s2), []Tensor{
				F32Tensor("a", []int{2}, []float32{1, 2}), F32Tensor("c", []int{3}, []float32{4, 5, 6}),
			}, nil))
		}, []error{ErrDuplicate}, []string{`"a"`, s1, s2}},
		{"bad shard header", func(t *testing.T, dir string) { writeRaw(t, dir, s2, []byte{1, 2, 3}) },
			[]error{ErrTruncated}, []string{s2}},
		{"several problems at once", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, s2)))
			writeIndex(t, dir, `{"weight_map":{"a":"`+s1+`","x":"`+s1+`","c":"`+s2+`"}}`)
		}, []error{ErrMissing, ErrUnexpected}, []string{`"b"`, `"x"`, s2, "3 problem(s)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := shardedFixture(t)
			c.setup(t, dir)
			ck, err := OpenDir(dir)
			require.Error(t, err)
			assert.Nil(t, ck)
			for _, w := range c.want {
				assert.Truef(t, errors.Is(err, w), "want %v in: %v", w, err)
			}
			for _, s := range c.names {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestOpenDirSingleFileFallback(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenDir(dir)
	require.ErrorIs(t, err, ErrMissing)
	assert.Contains(t, err.Error(), dir)

	// A lone shard is never taken for a whole checkpoint.
	require.NoError(t, WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), nil, nil))
	_, err = OpenDir(dir)
	require.ErrorIs(t, err, ErrMissing)

	require.NoError(t, WriteFile(filepath.Join(dir, "sae.safetensors"), []Tensor{F32Tensor("w", []int{1}, []float32{1})}, nil))
	c, err := OpenDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"w"}, c.Names())
	require.NoError(t, c.Close())

	require.NoError(t, WriteFile(filepath.Join(dir, "other.safetensors"), nil, nil))
	_, err = OpenDir(dir)
	require.ErrorIs(t, err, ErrMissing)
	assert.Contains(t, err.Error(), "sae.safetensors")
	assert.Contains(t, err.Error(), "other.safetensors")

	// model.safetensors wins over the others; a bad one is reported with its path.
	path := writeRaw(t, dir, SingleFileName, rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, nil))
	_, err = OpenDir(dir)
	require.ErrorIs(t, err, ErrOffsets)
	assert.Contains(t, err.Error(), path)
}

func TestCheckExpected(t *testing.T) {
	dir := shardedFixture(t)
	c, err := OpenDir(dir)
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.CheckExpected(map[string][]int{"a": {2}, "b": {1}, "c": {3}}))

	err = c.CheckExpected(map[string][]int{"a": {2}, "b": {1, 1}, "c": {1, 3}, "lm_head": {4}, "norm": {2}})
	require.Error(t, err)
	var me *MismatchError
	require.True(t, errors.As(err, &me))
	assert.Equal(t, []string{"lm_head", "norm"}, me.Missing)
	assert.Equal(t, []ShapeMismatch{{"b", []int{1, 1}, []int{1}}, {"c", []int{1, 3}, []int{3}}}, me.Shapes)
	assert.Empty(t, me.Unexpected)
	assert.ErrorIs(t, err, ErrMissing)
	assert.ErrorIs(t, err, ErrShape)
	assert.False(t, errors.Is(err, ErrUnexpected))
	msg := err.Error()
	for _, s := range []string{dir, "2 missing: lm_head, norm", "b (want [1 1], got [1])", "c (want [1 3], got [3])"} {
		assert.Contains(t, msg, s)
	}

	err = c.CheckExpected(map[string][]int{"a": {2}})
	require.ErrorIs(t, err, ErrUnexpected)
	assert.True(t, strings.HasSuffix(err.Error(), "2 unexpected: b, c"), err.Error())
}

package safetensors

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// malformedCase is a file that must be refused with a given sentinel; tensor, when set, must be
// named in the error.
type malformedCase struct {
	name   string
	file   []byte
	want   error
	tensor string
}

// entryJSON renders one tensor entry of a header.
func entryJSON(name, dtype, shape string, begin, end int) string {
	return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` + strconv.Itoa(begin) + `,` + strconv.Itoa(end) + `]}`
}

func malformedCases() []malformedCase {
	zeros := func(n int) []byte { return make([]byte, n) }
	hdr := func(entries ...string) string { return "{" + strings.Join(entries, ",") + "}" }
	withLen := func(n uint64, rest string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, n)
		return append(b, rest...)
	}
	return []malformedCase{
		{"empty file", nil, ErrTruncated, ""},
		{"shorter than 8 bytes", []byte{1, 0, 0}, ErrTruncated, ""},
		{"header longer than file", withLen(100, `{"a":1}`), ErrTruncated, ""},
		{"header length absurd", withLen(200_000_000, "{}"), ErrBadHeader, ""},
		{"header length huge", withLen(1<<63+5, "{}"), ErrBadHeader, ""},
		{"zero-length header", withLen(0, ""), ErrBadHeader, ""},
		{"not json", rawFile(`{"a":`, nil), ErrBadHeader, ""},
		{"array", rawFile(`[1,2,3]`, nil), ErrBadHeader, ""},
		{"string", rawFile(`"abc"`, nil), ErrBadHeader, ""},
		{"leading space", rawFile(` {}`, nil), ErrBadHeader, ""},
		{"invalid utf8", rawFile("{\"a\xff\":{}}", nil), ErrBadHeader, ""},
		{"trailing garbage", rawFile(`{}x`, nil), ErrBadHeader, ""},
		{"two objects", rawFile(`{}{}`, nil), ErrBadHeader, ""},
		{"NUL padding", rawFile("{}\x00\x00", nil), ErrBadHeader, ""},
		{"entry not an object", rawFile(`{"w":5}`, nil), ErrBadHeader, "w"},
		{"entry null", rawFile(`{"w":null}`, nil), ErrBadHeader, "w"},
		{"missing data_offsets", rawFile(`{"w":{"dtype":"F32","shape":[1]}}`, zeros(4)), ErrBadHeader, "w"},
		{"missing dtype", rawFile(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), ErrBadHeader, "w"},
		{"missing shape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, zeros(4)), ErrBadHeader, "w"},
		{"extra field", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}`, zeros(4)), ErrBadHeader, "w"},
		{"unknown dtype", rawFile(hdr(entryJSON("w", "F12", "[1]", 0, 4)), zeros(4)), ErrDType, "w"},
		{"lowercase dtype", rawFile(hdr(entryJSON("w", "f32", "[1]", 0, 4)), zeros(4)), ErrDType, "w"},
		{"dtype not a string", rawFile(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), ErrDType, "w"},
		{"negative dim", rawFile(hdr(entryJSON("w", "F32", "[-1]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"fractional dim", rawFile(hdr(entryJSON("w", "F32", "[1.0]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"exponent dim", rawFile(hdr(entryJSON("w", "F32", "[1e0]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"huge dim", rawFile(hdr(entryJSON("w", "F32", "[100000000000000000000]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"shape not array", rawFile(hdr(entryJSON("w", "F32", "4", 0, 4)), zeros(4)), ErrShape, "w"},
		{"shape of strings", rawFile(hdr(entryJSON("w", "F32", `["1"]`, 0, 4)), zeros(4)), ErrShape, "w"},
		{"shape overflow", rawFile(hdr(entryJSON("w", "F32", "[4611686018427387904,4611686018427387904]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"size mismatch", rawFile(hdr(entryJSON("w", "F32", "[2]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"size mismatch dtype", rawFile(hdr(entryJSON("w", "F16", "[1]", 0, 4)), zeros(4)), ErrShape, "w"},
		{"begin after end", rawFile(hdr(entryJSON("w", "F32", "[0]", 4, 0)), zeros(4)), ErrOffsets, "w"},
		{"past the end", rawFile(hdr(entryJSON("w", "F32", "[2]", 0, 8)), zeros(4)), ErrOffsets, "w"},
		{"negative offset", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, zeros(4)), ErrOffsets, "w"},
		{"one offset", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, zeros(4)), ErrOffsets, "w"},
		{"three offsets", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, zeros(4)), ErrOffsets, "w"},
		{"offsets not array", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":{}}}`, zeros(4)), ErrOffsets, "w"},
		{"overlap", rawFile(hdr(entryJSON("a", "F32", "[2]", 0, 8), entryJSON("b", "F32", "[2]", 4, 12)), zeros(12)), ErrOffsets, "b"},
		{"same range twice", rawFile(hdr(entryJSON("a", "F32", "[1]", 0, 4), entryJSON("b", "F32", "[1]", 0, 4)), zeros(4)), ErrOffsets, "b"},
		{"empty tensor inside another", rawFile(hdr(entryJSON("a", "F32", "[2]", 0, 8), entryJSON("e", "F32", "[0]", 4, 4)), zeros(8)), ErrOffsets, "e"},
		{"gap", rawFile(hdr(entryJSON("a", "F32", "[1]", 0, 4), entryJSON("b", "F32", "[1]", 8, 12)), zeros(12)), ErrOffsets, "b"},
		{"gap at start", rawFile(hdr(entryJSON("a", "F32", "[1]", 4, 8)), zeros(8)), ErrOffsets, "a"},
		{"trailing bytes", rawFile(hdr(entryJSON("a", "F32", "[1]", 0, 4)), zeros(6)), ErrOffsets, ""},
		{"data without tensors", rawFile(`{}`, zeros(1)), ErrOffsets, ""},
		{"duplicate tensor", rawFile(hdr(entryJSON("w", "F32", "[1]", 0, 4), entryJSON("w", "F32", "[1]", 4, 8)), zeros(8)), ErrDuplicate, "w"},
		{"duplicate via escape", rawFile(hdr(entryJSON("w", "F32", "[1]", 0, 4), entryJSON(`\u0077`, "F32", "[1]", 4, 8)), zeros(8)), ErrDuplicate, "w"},
		{"duplicate field", rawFile(`{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), ErrDuplicate, "w"},
		{"duplicate metadata", rawFile(`{"__metadata__":{"a":"1"},"__metadata__":{"a":"1"}}`, nil), ErrDuplicate, ""},
		{"duplicate metadata key", rawFile(`{"__metadata__":{"a":"1","a":"2"}}`, nil), ErrDuplicate, ""},
		{"metadata number", rawFile(`{"__metadata__":{"a":1}}`, nil), ErrBadHeader, ""},
		{"metadata nested", rawFile(`{"__metadata__":{"a":{"b":"c"}}}`, nil), ErrBadHeader, ""},
		{"metadata array", rawFile(`{"__metadata__":["a"]}`, nil), ErrBadHeader, ""},
		{"metadata string", rawFile(`{"__metadata__":"a"}`, nil), ErrBadHeader, ""},
	}
}

func TestParseHeaderMalformed(t *testing.T) {
	for _, c := range malformedCases() {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseHeader(c.file, int64(len(c.file)))
			require.Error(t, err)
			require.Truef(t, errors.Is(err, c.want), "want %v, got: %v", c.want, err)
			if c.tensor != "" {
				assert.Contains(t, err.Error(), `"`+c.tensor+`"`)
			}
		})
	}
}

func TestOpenMalformedNamesFile(t *testing.T) {
	dir := t.TempDir()
	for i, c := range malformedCases() {
		t.Run(c.name, func(t *testing.T) {
			path := writeRaw(t, dir, "case"+strconv.Itoa(i)+".safetensors", c.file)
			f, err := Open(path)
			require.Error(t, err)
			assert.Nil(t, f)
			require.Truef(t, errors.Is(err, c.want), "want %v, got: %v", c.want, err)
			assert.Contains(t, err.Error(), path)
			if c.tensor != "" {
				assert.Contains(t, err.Error(), `"`+c.tensor+`"`)
			}
		})
	}
	_, err := Open(dir + "/does-not-exist.safetensors")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does-not-exist.safetensors")
	_, err = Open(dir)
	require.ErrorIs(t, err, ErrBadHeader)
}

// TestParseHeaderAccepts covers valid but unusual headers.
func TestParseHeaderAccepts(t *testing.T) {
	zeros := make([]byte, 12)
	cases := []struct {
		name   string
		header string
		data   []byte
		check  func(t *testing.T, h map[string]TensorInfo, m map[string]string, start int64)
	}{
		{"empty", "{}", nil, func(t *testing.T, h map[string]TensorInfo, m map[string]string, _ int64) {
			assert.Empty(t, h)
			assert.Nil(t, m)
		}},
		{"null metadata", `{"__metadata__":null}`, nil, func(t *testing.T, h map[string]TensorInfo, m map[string]string, _ int64) {
			assert.Nil(t, m)
		}},
		{"empty metadata", `{"__metadata__":{}}`, nil, func(t *testing.T, h map[string]TensorInfo, m map[string]string, _ int64) {
			assert.Equal(t, map[string]string{}, m)
		}},
		{"whitespace padding and any order", "{ \"b\" : {\"data_offsets\":[4,12],\"shape\":[2],\"dtype\":\"F32\"},\n\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}, \"__metadata__\":{\"k\":\"v\"} }\n\r\t  ", zeros,
			func(t *testing.T, h map[string]TensorInfo, m map[string]string, start int64) {
				assert.Equal(t, TensorInfo{Name: "a", DType: I32, Shape: []int{}, Begin: start, End: start + 4}, h["a"])
				assert.Equal(t, TensorInfo{Name: "b", DType: F32, Shape: []int{2}, Begin: start + 4, End: start + 12}, h["b"])
				assert.Equal(t, map[string]string{"k": "v"}, m)
			}},
		{"zero-size tensors share offsets", "{" + entryJSON("e1", "F32", "[0]", 0, 0) + "," + entryJSON("e2", "BF16", "[3,0]", 0, 0) + "," +
			entryJSON("a", "U8", "[4]", 0, 4) + "," + entryJSON("e3", "F64", "[0]", 4, 4) + "}", zeros[:4],
			func(t *testing.T, h map[string]TensorInfo, _ map[string]string, start int64) {
				assert.Len(t, h, 4)
				assert.Equal(t, start+4, h["e3"].Begin)
			}},
		{"zero dim before overflow", "{" + entryJSON("e", "F32", "[0,4611686018427387904,4611686018427387904]", 0, 0) + "}", nil,
			func(t *testing.T, h map[string]TensorInfo, _ map[string]string, _ int64) {
				assert.Equal(t, 0, h["e"].NumElements())
			}},
		{"escaped names", `{"\u00e9\n":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}`, zeros[:1],
			func(t *testing.T, h map[string]TensorInfo, _ map[string]string, _ int64) {
				assert.Contains(t, h, "é\n")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := rawFile(c.header, c.data)
			h, m, err := ParseHeader(file, int64(len(file)))
			require.NoError(t, err)
			c.check(t, h, m, int64(8+len(c.header)))
		})
	}

	// Only the prefix and header are needed; fileSize stands for the rest.
	file := rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, nil)
	h, _, err := ParseHeader(file, int64(len(file))+8)
	require.NoError(t, err)
	assert.Equal(t, int64(len(file))+8, h["a"].End)
	_, _, err = ParseHeader(file[:20], int64(len(file))+8)
	require.ErrorIs(t, err, ErrTruncated)
}

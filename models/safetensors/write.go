package safetensors

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Tensor is a tensor to write: its name, dtype, shape and raw little-endian data, row-major.
// len(Data) must equal the product of Shape times DType.Size().
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32Tensor encodes data as an F32 tensor.
func F32Tensor(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: F32, Shape: slices.Clone(shape), Data: b}
}

// BF16Tensor encodes data as a BF16 tensor, rounding each value to nearest-even (BFloat16Bits).
func BF16Tensor(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], BFloat16Bits(v))
	}
	return Tensor{Name: name, DType: BF16, Shape: slices.Clone(shape), Data: b}
}

// F16Tensor encodes data as an F16 tensor, rounding each value to nearest-even (Float16Bits).
func F16Tensor(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], Float16Bits(v))
	}
	return Tensor{Name: name, DType: F16, Shape: slices.Clone(shape), Data: b}
}

// I64Tensor encodes data as an I64 tensor.
func I64Tensor(name string, shape []int, data []int64) Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return Tensor{Name: name, DType: I64, Shape: slices.Clone(shape), Data: b}
}

// I32Tensor encodes data as an I32 tensor.
func I32Tensor(name string, shape []int, data []int32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return Tensor{Name: name, DType: I32, Shape: slices.Clone(shape), Data: b}
}

// WriteFile writes tensors and metadata to path as one safetensors file, byte for byte as the
// reference library writes them: tensors ordered by decreasing dtype alignment and then by name,
// "__metadata__" first in the header (its keys sorted; omitted when metadata is empty), the header
// padded with spaces to a multiple of 8 bytes. The write is atomic (temporary file in the same
// directory, fsync, rename): on any error the target is left as it was and no temporary file
// remains. Tensors are validated first; errors name path and tensor.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	if err := validateTensors(tensors, metadata); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	order := writeOrder(tensors)
	layout := make([]entry, len(order))
	var offset int64
	for i, t := range order {
		layout[i] = entry{name: t.Name, dtype: t.DType, shape: t.Shape, begin: offset, end: offset + int64(len(t.Data))}
		offset += int64(len(t.Data))
	}
	header := encodeHeader(layout, metadata)
	err := atomicWrite(path, func(w *bufio.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
		w.Write(n[:])
		w.Write(header)
		for _, t := range order {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// validateTensors checks what the header parser would refuse, plus empty names, before anything
// is written.
func validateTensors(tensors []Tensor, metadata map[string]string) error {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return fmt.Errorf("%w: a tensor has an empty name", ErrBadHeader)
		case t.Name == metadataKey:
			return fmt.Errorf("%w: tensor %q: the name is reserved for metadata", ErrBadHeader, t.Name)
		case !utf8.ValidString(t.Name):
			return fmt.Errorf("%w: tensor %q: the name is not valid UTF-8", ErrBadHeader, t.Name)
		case seen[t.Name]:
			return fmt.Errorf("%w: tensor %q is given twice", ErrDuplicate, t.Name)
		case !t.DType.Valid():
			return fmt.Errorf("%w: tensor %q: unknown dtype %q", ErrDType, t.Name, t.DType)
		}
		seen[t.Name] = true
		size, ok := byteSize(t.DType, t.Shape)
		if !ok {
			return fmt.Errorf("%w: tensor %q: shape %v is negative or overflows", ErrShape, t.Name, t.Shape)
		}
		if size != int64(len(t.Data)) {
			return fmt.Errorf("%w: tensor %q: shape %v of %s needs %d bytes, data has %d", ErrShape, t.Name, t.Shape, t.DType, size, len(t.Data))
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: metadata entry %q is not valid UTF-8", ErrBadHeader, k)
		}
	}
	return nil
}

// writeOrder sorts a copy of tensors as the reference does: decreasing dtype rank (alignment),
// then increasing name (byte order).
func writeOrder(tensors []Tensor) []Tensor {
	order := slices.Clone(tensors)
	slices.SortFunc(order, func(a, b Tensor) int {
		if c := cmp.Compare(dtypes[b.DType].rank, dtypes[a.DType].rank); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return order
}

// encodeHeader renders the JSON header as serde_json does for the reference's Metadata
// (compact, "__metadata__" first, entries in layout order, fields dtype/shape/data_offsets) and
// pads it with spaces to a multiple of 8 bytes.
func encodeHeader(layout []entry, metadata map[string]string) []byte {
	b := []byte{'{'}
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = appendJSONString(b, metadataKey)
		b = append(b, ":{"...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, metadata[k])
		}
		b = append(b, '}')
	}
	for i, e := range layout {
		if i > 0 || len(metadata) > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, e.name)
		b = append(b, `:{"dtype":`...)
		b = appendJSONString(b, string(e.dtype))
		b = append(b, `,"shape":[`...)
		for j, d := range e.shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, e.begin, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, e.end, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	return b
}

// appendJSONString appends s as a JSON string escaped the way serde_json escapes: only '"', '\\'
// and control characters below 0x20 (\b \t \n \f \r by name, others as \u00xx); everything else,
// including '<', '>', '&', U+2028 and U+2029, is written as is. s must be valid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

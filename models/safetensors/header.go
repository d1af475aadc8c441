package safetensors

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes (the reference's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the header key that holds the string→string metadata instead of a tensor.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file: its dtype, its shape and the absolute byte range
// [Begin, End) of its data within the file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	Begin int64 // absolute offset of the first byte in the file
	End   int64 // absolute offset one past the last byte in the file
}

// NumElements returns the number of elements, the product of Shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n, _ := numElements(t.Shape)
	return int(n)
}

// ParseHeader parses and validates the header of a safetensors file. data holds the start of the
// file: the 8-byte length prefix and at least the header it announces (further bytes are
// ignored); fileSize is the size of the whole file, which the tensors must cover exactly. It
// returns the tensors by name, with absolute offsets, and the "__metadata__" map (nil when
// absent). Errors wrap ErrTruncated, ErrBadHeader, ErrDuplicate, ErrDType, ErrShape or ErrOffsets
// and name the tensor involved; the caller adds the file name.
func ParseHeader(data []byte, fileSize int64) (header map[string]TensorInfo, metadata map[string]string, err error) {
	if len(data) < 8 || fileSize < 8 {
		return nil, nil, fmt.Errorf("%w: %d bytes, less than the 8-byte header length", ErrTruncated, min(int64(len(data)), fileSize))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header length %d exceeds the limit of %d bytes", ErrBadHeader, n, MaxHeaderSize)
	}
	headerEnd := 8 + int64(n)
	if fileSize < headerEnd {
		return nil, nil, fmt.Errorf("%w: header length %d runs past the end of the %d-byte file", ErrTruncated, n, fileSize)
	}
	if int64(len(data)) < headerEnd {
		return nil, nil, fmt.Errorf("%w: only %d of the %d header bytes given", ErrTruncated, len(data)-8, n)
	}
	entries, metadata, err := parseHeaderJSON(data[8:headerEnd])
	if err != nil {
		return nil, nil, err
	}
	if err := checkLayout(entries, fileSize-headerEnd); err != nil {
		return nil, nil, err
	}
	header = make(map[string]TensorInfo, len(entries))
	for _, e := range entries {
		header[e.name] = TensorInfo{Name: e.name, DType: e.dtype, Shape: e.shape, Begin: headerEnd + e.begin, End: headerEnd + e.end}
	}
	return header, metadata, nil
}

// checkLayout validates each entry's offsets against its dtype and shape and the data buffer of
// dataLen bytes, then checks that the entries cover the buffer exactly, without overlaps or gaps,
// as the reference requires.
func checkLayout(entries []entry, dataLen int64) error {
	for _, e := range entries {
		if e.begin > e.end {
			return fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] are reversed", ErrOffsets, e.name, e.begin, e.end)
		}
		if e.end > dataLen {
			return fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] run past the end of the %d-byte data buffer", ErrOffsets, e.name, e.begin, e.end, dataLen)
		}
		size, ok := byteSize(e.dtype, e.shape)
		if !ok {
			return fmt.Errorf("%w: tensor %q: shape %v of %s overflows", ErrShape, e.name, e.shape, e.dtype)
		}
		if size != e.end-e.begin {
			return fmt.Errorf("%w: tensor %q: shape %v of %s needs %d bytes but data_offsets [%d, %d] hold %d", ErrShape, e.name, e.shape, e.dtype, size, e.begin, e.end, e.end-e.begin)
		}
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b entry) int {
		if a.begin != b.begin {
			return cmp.Compare(a.begin, b.begin)
		}
		return cmp.Compare(a.end, b.end)
	})
	var cursor int64
	prev := ""
	for _, e := range sorted {
		if e.begin < cursor {
			return fmt.Errorf("%w: tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", ErrOffsets, e.name, e.begin, e.end, prev, cursor)
		}
		if e.begin > cursor {
			return fmt.Errorf("%w: tensor %q: gap of %d bytes in the data buffer before its data_offsets [%d, %d]", ErrOffsets, e.name, e.begin-cursor, e.begin, e.end)
		}
		cursor = e.end
		prev = e.name
	}
	if cursor != dataLen {
		return fmt.Errorf("%w: %d trailing bytes of the %d-byte data buffer belong to no tensor", ErrOffsets, dataLen-cursor, dataLen)
	}
	return nil
}

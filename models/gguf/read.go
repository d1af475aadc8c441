package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"unicode/utf8"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the alignment of tensor data when general.alignment is absent.
const DefaultAlignment = 32

// maxDims is ggml's GGML_MAX_DIMS.
const maxDims = 4

// maxKeyBytes bounds a metadata key (gguf keys are short dotted names).
const maxKeyBytes = 1 << 16

// maxElements bounds a tensor's element count (2^40, far past any model tensor), so sizes
// computed from it never overflow.
const maxElements = int64(1) << 40

// File is an open GGUF file: its header, metadata and tensor infos, read and checked at Open.
// Tensor data is read on demand. Close releases the file.
type File struct {
	// Path is the file's path, used in every error.
	Path string
	// Version is the GGUF version (2 or 3).
	Version uint32
	// Metadata is the key/value section.
	Metadata *Metadata
	// Tensors are the tensor infos in file order.
	Tensors []TensorInfo
	// Alignment is the alignment of tensor data (general.alignment, default 32).
	Alignment int64
	// DataOffset is where the tensor data section starts.
	DataOffset int64
	// Size is the file's size in bytes.
	Size int64

	r      io.ReaderAt
	closer io.Closer
	byName map[string]int
}

// TensorInfo describes one tensor.
type TensorInfo struct {
	// Name is the tensor's GGUF name ("blk.0.attn_q.weight").
	Name string
	// Dims are the dimensions as stored, fastest-varying first (ggml's ne).
	Dims []int64
	// Shape is Dims reversed: row-major, as PyTorch and safetensors write it.
	Shape []int
	// Type is the ggml type of the data.
	Type Type
	// Offset is the absolute file offset of the data.
	Offset int64
	// Bytes is the size of the data.
	Bytes int64
}

// Elements is the number of elements.
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Open reads and checks the header, metadata and tensor infos of a GGUF file. Errors name the
// file and what is wrong.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("gguf: %s is a directory, not a GGUF file", path)
	}
	g, err := Parse(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	g.closer = f
	return g, nil
}

// IsGGUF reports whether the file at path starts with the GGUF magic.
func IsGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == Magic
}

// Close releases the file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// Parse reads a GGUF file of the given size from r; name is used in errors.
func Parse(r io.ReaderAt, size int64, name string) (*File, error) {
	c := &cursor{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size, file: name}
	g, err := parse(c)
	if err != nil {
		return nil, err
	}
	g.r, g.Size = r, size
	return g, nil
}

func parse(c *cursor) (*File, error) {
	magic := c.bytes(4, "the magic")
	if c.err == nil && string(magic) != Magic {
		return nil, c.fail("not a GGUF file (magic %q, want %q)", magic, Magic)
	}
	version := c.u32("the version")
	if c.err != nil {
		return nil, c.err
	}
	switch {
	case version == 1:
		return nil, c.fail("GGUF version 1 is not supported (only 2 and 3); convert the file with a current llama.cpp")
	case version == 2 || version == 3:
	case bits.ReverseBytes32(version) == 2 || bits.ReverseBytes32(version) == 3:
		return nil, c.fail("big-endian GGUF files are not supported")
	default:
		return nil, c.fail("unknown GGUF version %d (supported: 2, 3)", version)
	}
	nTensors := c.u64("the tensor count")
	nKV := c.u64("the metadata count")
	if c.err != nil {
		return nil, c.err
	}
	// Each metadata pair takes at least 13 bytes (key length, an empty key, a tag, a 1-byte
	// value); each tensor info at least 24 (name length, n_dims, type, offset).
	if nKV > uint64(c.left())/13 {
		return nil, c.fail("metadata count %d does not fit in the file's %d bytes", nKV, c.size)
	}
	if nTensors > uint64(c.left())/24 {
		return nil, c.fail("tensor count %d does not fit in the file's %d bytes", nTensors, c.size)
	}
	md := &Metadata{values: make(map[string]Value, nKV), file: c.file}
	for i := uint64(0); i < nKV; i++ {
		key := c.str(fmt.Sprintf("metadata key #%d", i), maxKeyBytes)
		if c.err != nil {
			return nil, c.err
		}
		if !utf8.ValidString(key) || key == "" {
			return nil, c.fail("metadata key #%d (%q) is empty or not valid UTF-8", i, key)
		}
		if _, dup := md.values[key]; dup {
			return nil, c.fail("metadata key %s appears twice", key)
		}
		v := c.value(key)
		if c.err != nil {
			return nil, c.err
		}
		md.keys = append(md.keys, key)
		md.values[key] = v
	}
	g := &File{Path: c.file, Version: version, Metadata: md, Alignment: DefaultAlignment, byName: map[string]int{}}
	if v, ok := md.Get("general.alignment"); ok {
		a, isU32 := v.V.(uint32)
		if !isU32 {
			return nil, c.fail("metadata key general.alignment is a %s, want a uint32", v.describe())
		}
		if a == 0 || a&(a-1) != 0 {
			return nil, c.fail("metadata key general.alignment = %d is not a power of two", a)
		}
		g.Alignment = int64(a)
	}
	g.Tensors = make([]TensorInfo, 0, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		t, err := c.tensorInfo(i)
		if err != nil {
			return nil, err
		}
		if _, dup := g.byName[t.Name]; dup {
			return nil, c.fail("tensor %s appears twice", t.Name)
		}
		g.byName[t.Name] = len(g.Tensors)
		g.Tensors = append(g.Tensors, t)
	}
	g.DataOffset = alignUp(c.pos, g.Alignment)
	if g.DataOffset > c.size && len(g.Tensors) > 0 {
		return nil, c.fail("file ends at byte %d, before its tensor data (byte %d): truncated", c.size, g.DataOffset)
	}
	return g, checkTensorData(g, c)
}

// checkTensorData makes tensor offsets absolute and checks that each tensor's data is aligned,
// lies inside the file, and overlaps no other tensor.
func checkTensorData(g *File, c *cursor) error {
	for i := range g.Tensors {
		t := &g.Tensors[i]
		rel := t.Offset
		if rel%g.Alignment != 0 {
			return c.fail("tensor %s: offset %d is not a multiple of the alignment %d", t.Name, rel, g.Alignment)
		}
		if rel > c.size || g.DataOffset+rel > c.size-t.Bytes {
			return c.fail("tensor %s: data [%d, %d) runs past the end of the file (%d bytes): truncated or bad offset",
				t.Name, g.DataOffset+rel, g.DataOffset+rel+t.Bytes, c.size)
		}
		t.Offset = g.DataOffset + rel
	}
	order := make([]int, len(g.Tensors))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return g.Tensors[order[a]].Offset < g.Tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		prev, cur := g.Tensors[order[k-1]], g.Tensors[order[k]]
		if prev.Offset+prev.Bytes > cur.Offset {
			return c.fail("tensors %s and %s overlap in the file", prev.Name, cur.Name)
		}
	}
	return nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// cursor reads the header sequentially, checking every length against the file's size. The
// first error sticks; later reads return zero values.
type cursor struct {
	r    *bufio.Reader
	pos  int64
	size int64
	file string
	err  error
}

func (c *cursor) left() int64 { return c.size - c.pos }

func (c *cursor) fail(format string, args ...any) error {
	if c.err == nil {
		c.err = fmt.Errorf("gguf: %s: %s", c.file, fmt.Sprintf(format, args...))
	}
	return c.err
}

// bytes reads n bytes; what names the field in the error of a truncated file.
func (c *cursor) bytes(n int64, what string) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > c.left() {
		c.fail("file ends at byte %d while reading %s (%d bytes at byte %d): truncated", c.size, what, n, c.pos)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			c.fail("file ends while reading %s at byte %d: truncated", what, c.pos)
		} else {
			c.fail("reading %s at byte %d: %v", what, c.pos, err)
		}
		return nil
	}
	c.pos += n
	return b
}

func (c *cursor) u32(what string) uint32 {
	b := c.bytes(4, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (c *cursor) u64(what string) uint64 {
	b := c.bytes(8, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// str reads a length-prefixed string of at most limit bytes.
func (c *cursor) str(what string, limit int64) string {
	n := c.u64(what + " (length)")
	if c.err != nil {
		return ""
	}
	if n > uint64(limit) || int64(n) > c.left() {
		c.fail("%s: length %d at byte %d is past the end of the file or the %d-byte limit", what, n, c.pos-8, limit)
		return ""
	}
	return string(c.bytes(int64(n), what))
}

// value reads a tagged metadata value.
func (c *cursor) value(key string) Value {
	tag := ValueType(c.u32("the type of metadata key " + key))
	if c.err != nil {
		return Value{}
	}
	if tag == ValArray {
		elem := ValueType(c.u32("the element type of metadata key " + key))
		n := c.u64("the length of metadata key " + key)
		if c.err != nil {
			return Value{}
		}
		if elem == ValArray {
			c.fail("metadata key %s: arrays of arrays are not supported", key)
			return Value{}
		}
		min := uint64(elem.scalarSize())
		if elem == ValString {
			min = 8
		}
		if min == 0 {
			c.fail("metadata key %s: unknown array element type %d", key, uint32(elem))
			return Value{}
		}
		if n > uint64(c.left())/min {
			c.fail("metadata key %s: array of %d %s elements does not fit in the file's remaining %d bytes", key, n, elem, c.left())
			return Value{}
		}
		return Value{Type: ValArray, Elem: elem, V: c.array(key, elem, int(n))}
	}
	if tag == ValString {
		return Value{Type: tag, V: c.str("metadata key "+key, c.size)}
	}
	sz := tag.scalarSize()
	if sz == 0 {
		c.fail("metadata key %s: unknown value type %d", key, uint32(tag))
		return Value{}
	}
	b := c.bytes(int64(sz), "metadata key "+key)
	if b == nil {
		return Value{}
	}
	v, err := scalar(tag, b)
	if err != nil {
		c.fail("metadata key %s: %v", key, err)
	}
	return Value{Type: tag, V: v}
}

// scalar decodes one fixed-size value.
func scalar(tag ValueType, b []byte) (any, error) {
	le := binary.LittleEndian
	switch tag {
	case ValUint8:
		return b[0], nil
	case ValInt8:
		return int8(b[0]), nil
	case ValBool:
		if b[0] > 1 {
			return nil, fmt.Errorf("bool byte is %d, want 0 or 1", b[0])
		}
		return b[0] == 1, nil
	case ValUint16:
		return le.Uint16(b), nil
	case ValInt16:
		return int16(le.Uint16(b)), nil
	case ValUint32:
		return le.Uint32(b), nil
	case ValInt32:
		return int32(le.Uint32(b)), nil
	case ValFloat32:
		return math.Float32frombits(le.Uint32(b)), nil
	case ValUint64:
		return le.Uint64(b), nil
	case ValInt64:
		return int64(le.Uint64(b)), nil
	case ValFloat64:
		return math.Float64frombits(le.Uint64(b)), nil
	}
	return nil, fmt.Errorf("unknown value type %d", uint32(tag))
}

// array reads n elements of one tag into a typed slice.
func (c *cursor) array(key string, elem ValueType, n int) any {
	if elem == ValString {
		out := make([]string, n)
		for i := range out {
			out[i] = c.str(fmt.Sprintf("metadata key %s[%d]", key, i), c.size)
			if c.err != nil {
				return nil
			}
		}
		return out
	}
	raw := c.bytes(int64(n*elem.scalarSize()), "metadata key "+key)
	if raw == nil {
		return nil
	}
	sz := elem.scalarSize()
	var out any
	switch elem {
	case ValUint8:
		out = raw
	case ValInt8:
		out = decodeArr(raw, sz, func(b []byte) int8 { return int8(b[0]) })
	case ValBool:
		bs := make([]bool, n)
		for i, b := range raw {
			if b > 1 {
				c.fail("metadata key %s[%d]: bool byte is %d, want 0 or 1", key, i, b)
				return nil
			}
			bs[i] = b == 1
		}
		out = bs
	case ValUint16:
		out = decodeArr(raw, sz, binary.LittleEndian.Uint16)
	case ValInt16:
		out = decodeArr(raw, sz, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) })
	case ValUint32:
		out = decodeArr(raw, sz, binary.LittleEndian.Uint32)
	case ValInt32:
		out = decodeArr(raw, sz, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
	case ValFloat32:
		out = decodeArr(raw, sz, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
	case ValUint64:
		out = decodeArr(raw, sz, binary.LittleEndian.Uint64)
	case ValInt64:
		out = decodeArr(raw, sz, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
	case ValFloat64:
		out = decodeArr(raw, sz, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
	}
	return out
}

func decodeArr[T any](raw []byte, sz int, dec func([]byte) T) []T {
	out := make([]T, len(raw)/sz)
	for i := range out {
		out[i] = dec(raw[i*sz : (i+1)*sz])
	}
	return out
}

// tensorInfo reads and checks one tensor info (its offset is still relative to the data
// section).
func (c *cursor) tensorInfo(i uint64) (TensorInfo, error) {
	name := c.str(fmt.Sprintf("the name of tensor #%d", i), maxKeyBytes)
	if c.err != nil {
		return TensorInfo{}, c.err
	}
	if name == "" || !utf8.ValidString(name) {
		return TensorInfo{}, c.fail("tensor #%d: name %q is empty or not valid UTF-8", i, name)
	}
	nd := c.u32("the dimension count of tensor " + name)
	if c.err != nil {
		return TensorInfo{}, c.err
	}
	if nd == 0 || nd > maxDims {
		return TensorInfo{}, c.fail("tensor %s: %d dimensions (want 1 to %d)", name, nd, maxDims)
	}
	t := TensorInfo{Name: name, Dims: make([]int64, nd), Shape: make([]int, nd)}
	n := int64(1)
	for d := range t.Dims {
		v := c.u64(fmt.Sprintf("dimension %d of tensor %s", d, name))
		if c.err != nil {
			return TensorInfo{}, c.err
		}
		if v > uint64(maxElements) || (v > 0 && n > maxElements/int64(v)) {
			return TensorInfo{}, c.fail("tensor %s: shape %v... has more than 2^40 elements", name, t.Dims[:d+1])
		}
		t.Dims[d] = int64(v)
		n *= int64(v)
	}
	for d := range t.Dims {
		t.Shape[len(t.Dims)-1-d] = int(t.Dims[d])
	}
	t.Type = Type(c.u32("the type of tensor " + name))
	rel := c.u64("the offset of tensor " + name)
	if c.err != nil {
		return TensorInfo{}, c.err
	}
	if !t.Type.Known() {
		return TensorInfo{}, c.fail("tensor %s: unknown tensor type %d", name, uint32(t.Type))
	}
	bs := int64(t.Type.BlockSize())
	if t.Dims[0]%bs != 0 {
		return TensorInfo{}, c.fail("tensor %s: row length %d is not a multiple of %s's block size %d", name, t.Dims[0], t.Type, bs)
	}
	if rel > uint64(c.size) {
		return TensorInfo{}, c.fail("tensor %s: offset %d is past the end of the file (%d bytes)", name, rel, c.size)
	}
	t.Offset = int64(rel)
	t.Bytes = n / bs * int64(t.Type.TypeSize())
	return t, nil
}

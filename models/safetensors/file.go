package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"unsafe"
)

// File is one open safetensors file. Its header is parsed and validated by Open; tensor data is
// read on demand with ReadAt, so reads may run concurrently (but not concurrently with Close).
type File struct {
	// Path is the path the file was opened with.
	Path string
	// Metadata is the header's "__metadata__" map (nil when the header has none).
	Metadata map[string]string

	f       *os.File
	size    int64
	tensors map[string]TensorInfo
	names   []string
}

// Open opens a safetensors file and validates its header (see ParseHeader). Errors name the path.
func Open(path string) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	f, err := open(osf, path)
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	return f, nil
}

func open(osf *os.File, path string) (*File, error) {
	st, err := osf.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file (%s)", ErrBadHeader, st.Mode().Type())
	}
	size := st.Size()
	var prefix [8]byte
	data := prefix[:min(size, 8)]
	if _, err := osf.ReadAt(data, 0); err != nil {
		return nil, err
	}
	// Read the header only once its length has passed the checks ParseHeader makes first, so a
	// corrupt length never triggers a huge allocation.
	if len(data) == 8 {
		if n := binary.LittleEndian.Uint64(data); n <= MaxHeaderSize && 8+int64(n) <= size {
			data = make([]byte, 8+n)
			copy(data, prefix[:])
			if _, err := osf.ReadAt(data[8:], 8); err != nil {
				return nil, err
			}
		}
	}
	tensors, metadata, err := ParseHeader(data, size)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return &File{Path: path, Metadata: metadata, f: osf, size: size, tensors: tensors, names: names}, nil
}

// Close closes the underlying file. Calling it again is harmless.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// Names returns the tensor names, sorted.
func (f *File) Names() []string {
	return slices.Clone(f.names)
}

// Info returns the description of the named tensor (with a copy of its shape).
func (f *File) Info(name string) (TensorInfo, bool) {
	info, ok := f.tensors[name]
	info.Shape = slices.Clone(info.Shape)
	return info, ok
}

// Bytes returns the raw little-endian bytes of the named tensor and its description.
func (f *File) Bytes(name string) ([]byte, TensorInfo, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, info, err
	}
	buf := make([]byte, info.End-info.Begin)
	if err := f.readAt(buf, info.Begin, name); err != nil {
		return nil, info, err
	}
	return buf, info, nil
}

// Float32 reads the named tensor and converts it to float32. F32 is read as is; F16, BF16 and the
// F8 types convert exactly; F64 rounds to nearest. Other dtypes give an error wrapping ErrDType.
// It returns the values in row-major order and a copy of the shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if !info.DType.IsFloat() {
		return nil, nil, fmt.Errorf("safetensors %s: %w: tensor %q has dtype %s, which does not convert to float32", f.Path, ErrDType, name, info.DType)
	}
	out := make([]float32, info.NumElements())
	if len(out) == 0 {
		return out, info.Shape, nil
	}
	if info.DType == F32 && littleEndianHost {
		// Read straight into the result: no second copy of the tensor in memory.
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*len(out))
		if err := f.readAt(raw, info.Begin, name); err != nil {
			return nil, nil, err
		}
		return out, info.Shape, nil
	}
	// Convert chunk by chunk through a bounded buffer.
	elem := int64(info.DType.Size())
	chunkElems := max(1, (1<<20)/elem)
	buf := make([]byte, min(int64(len(out)), chunkElems)*elem)
	for done := int64(0); done < int64(len(out)); {
		n := min(int64(len(out))-done, chunkElems)
		b := buf[:n*elem]
		if err := f.readAt(b, info.Begin+done*elem, name); err != nil {
			return nil, nil, err
		}
		decodeFloats(out[done:done+n], b, info.DType)
		done += n
	}
	return out, info.Shape, nil
}

// lookup finds a tensor's description (shape copied) or returns an ErrMissing error.
func (f *File) lookup(name string) (TensorInfo, error) {
	info, ok := f.Info(name)
	if !ok {
		return info, fmt.Errorf("safetensors %s: %w: no tensor %q", f.Path, ErrMissing, name)
	}
	return info, nil
}

// readAt fills buf from offset off, naming the file and tensor on failure.
func (f *File) readAt(buf []byte, off int64, name string) error {
	if f.f == nil {
		return fmt.Errorf("safetensors %s: tensor %q: %w", f.Path, name, os.ErrClosed)
	}
	if _, err := f.f.ReadAt(buf, off); err != nil {
		if err == io.EOF {
			err = fmt.Errorf("%w: file shrank after it was opened", ErrTruncated)
		}
		return fmt.Errorf("safetensors %s: tensor %q: %w", f.Path, name, err)
	}
	return nil
}

// littleEndianHost reports whether the machine stores integers little-endian, in which case F32
// data can be read straight into a []float32.
var littleEndianHost = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

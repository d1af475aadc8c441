package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
)

// builder writes GGUF files for tests, correct by default; its fields can be bent to make
// malformed files.
type builder struct {
	version   uint32
	alignment int64
	kvs       []kv
	tensors   []tensorSpec
}

type kv struct {
	key string
	// raw is the encoded tag and value (see the val* helpers).
	raw []byte
}

type tensorSpec struct {
	name string
	dims []uint64 // ggml order
	typ  Type
	data []byte
	// offset, when >= 0, overrides the computed relative offset.
	offset int64
}

func newBuilder() *builder { return &builder{version: 3, alignment: DefaultAlignment} }

func (b *builder) add(key string, raw []byte) *builder {
	b.kvs = append(b.kvs, kv{key, raw})
	return b
}

func (b *builder) tensor(name string, typ Type, data []byte, dims ...uint64) *builder {
	b.tensors = append(b.tensors, tensorSpec{name: name, dims: dims, typ: typ, data: data, offset: -1})
	return b
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func gstr(s string) []byte { return append(le64(uint64(len(s))), s...) }

func valU32(v uint32) []byte  { return append(le32(uint32(ValUint32)), le32(v)...) }
func valF32(v float32) []byte { return append(le32(uint32(ValFloat32)), le32(math.Float32bits(v))...) }
func valBool(v bool) []byte {
	b := byte(0)
	if v {
		b = 1
	}
	return append(le32(uint32(ValBool)), b)
}
func valStr(s string) []byte { return append(le32(uint32(ValString)), gstr(s)...) }
func valStrs(ss ...string) []byte {
	out := append(le32(uint32(ValArray)), le32(uint32(ValString))...)
	out = append(out, le64(uint64(len(ss)))...)
	for _, s := range ss {
		out = append(out, gstr(s)...)
	}
	return out
}
func valI32s(vs ...int32) []byte {
	out := append(le32(uint32(ValArray)), le32(uint32(ValInt32))...)
	out = append(out, le64(uint64(len(vs)))...)
	for _, v := range vs {
		out = append(out, le32(uint32(v))...)
	}
	return out
}

// bytes encodes the file.
func (b *builder) bytes() []byte {
	var w bytes.Buffer
	w.WriteString(Magic)
	w.Write(le32(b.version))
	w.Write(le64(uint64(len(b.tensors))))
	w.Write(le64(uint64(len(b.kvs))))
	for _, e := range b.kvs {
		w.Write(gstr(e.key))
		w.Write(e.raw)
	}
	rel := int64(0)
	offsets := make([]int64, len(b.tensors))
	for i, t := range b.tensors {
		offsets[i] = rel
		if t.offset >= 0 {
			offsets[i] = t.offset
		}
		rel = alignUp(rel+int64(len(t.data)), b.alignment)
		w.Write(gstr(t.name))
		w.Write(le32(uint32(len(t.dims))))
		for _, d := range t.dims {
			w.Write(le64(d))
		}
		w.Write(le32(uint32(t.typ)))
		w.Write(le64(uint64(offsets[i])))
	}
	for int64(w.Len())%b.alignment != 0 {
		w.WriteByte(0)
	}
	start := int64(w.Len())
	for i, t := range b.tensors {
		for int64(w.Len()) < start+offsets[i] && offsets[i] < 1<<20 { // bent offsets far out are not padded
			w.WriteByte(0)
		}
		if int64(w.Len()) == start+offsets[i] {
			w.Write(t.data)
		}
	}
	return w.Bytes()
}

// f32bytes encodes float32 values.
func f32bytes(vs ...float32) []byte {
	out := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// small is a valid file with metadata of several types and two tensors.
func small() *builder {
	return newBuilder().
		add("general.architecture", valStr("llama")).
		add("general.alignment", valU32(32)).
		add("x.count", valU32(7)).
		add("x.eps", valF32(1e-5)).
		add("x.flag", valBool(true)).
		add("x.words", valStrs("a", "bc", "")).
		add("x.ints", valI32s(1, -2, 3)).
		tensor("w", TypeF32, f32bytes(1, 2, 3, 4, 5, 6), 3, 2).
		tensor("v", TypeF32, f32bytes(-1, 0.5), 2)
}

package gguf

import "fmt"

// Type is a ggml tensor type (the numbering of ggml.h's enum ggml_type).
type Type uint32

// The ggml tensor types. Only those with a dequantizer (see Supported) can be read.
const (
	TypeF32     Type = 0
	TypeF16     Type = 1
	TypeQ4_0    Type = 2
	TypeQ4_1    Type = 3
	TypeQ5_0    Type = 6
	TypeQ5_1    Type = 7
	TypeQ8_0    Type = 8
	TypeQ8_1    Type = 9
	TypeQ2_K    Type = 10
	TypeQ3_K    Type = 11
	TypeQ4_K    Type = 12
	TypeQ5_K    Type = 13
	TypeQ6_K    Type = 14
	TypeQ8_K    Type = 15
	TypeIQ2_XXS Type = 16
	TypeIQ2_XS  Type = 17
	TypeIQ3_XXS Type = 18
	TypeIQ1_S   Type = 19
	TypeIQ4_NL  Type = 20
	TypeIQ3_S   Type = 21
	TypeIQ2_S   Type = 22
	TypeIQ4_XS  Type = 23
	TypeI8      Type = 24
	TypeI16     Type = 25
	TypeI32     Type = 26
	TypeI64     Type = 27
	TypeF64     Type = 28
	TypeIQ1_M   Type = 29
	TypeBF16    Type = 30
	TypeTQ1_0   Type = 34
	TypeTQ2_0   Type = 35
	TypeMXFP4   Type = 39
)

// qk is the number of weights in a block of the legacy quantizations; qkK of the K-quants.
const (
	qk  = 32
	qkK = 256
)

// layout is a type's block: how many elements, in how many bytes.
type layout struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// layouts lists every type ggml defines, so that an unsupported one is named in errors; the
// block sizes are those of ggml.c's type_traits.
var layouts = map[Type]layout{
	TypeF32: {"F32", 1, 4}, TypeF16: {"F16", 1, 2}, TypeBF16: {"BF16", 1, 2},
	TypeQ4_0: {"Q4_0", qk, 2 + qk/2}, TypeQ4_1: {"Q4_1", qk, 4 + qk/2},
	TypeQ5_0: {"Q5_0", qk, 2 + 4 + qk/2}, TypeQ5_1: {"Q5_1", qk, 4 + 4 + qk/2},
	TypeQ8_0: {"Q8_0", qk, 2 + qk}, TypeQ8_1: {"Q8_1", qk, 4 + qk},
	TypeQ2_K: {"Q2_K", qkK, qkK/16 + qkK/4 + 4}, TypeQ3_K: {"Q3_K", qkK, qkK/8 + qkK/4 + 12 + 2},
	TypeQ4_K: {"Q4_K", qkK, 4 + 12 + qkK/2}, TypeQ5_K: {"Q5_K", qkK, 4 + 12 + qkK/8 + qkK/2},
	TypeQ6_K: {"Q6_K", qkK, qkK/2 + qkK/4 + qkK/16 + 2}, TypeQ8_K: {"Q8_K", qkK, 4 + qkK + qkK/8},
	TypeIQ2_XXS: {"IQ2_XXS", qkK, 2 + qkK/4}, TypeIQ2_XS: {"IQ2_XS", qkK, 2 + qkK/4 + qkK/32},
	TypeIQ3_XXS: {"IQ3_XXS", qkK, 2 + 3*qkK/8}, TypeIQ1_S: {"IQ1_S", qkK, 2 + qkK/8 + qkK/16},
	TypeIQ4_NL: {"IQ4_NL", qk, 2 + qk/2}, TypeIQ3_S: {"IQ3_S", qkK, 2 + qkK/4 + qkK/8 + qkK/32 + 4},
	TypeIQ2_S: {"IQ2_S", qkK, 2 + qkK/4 + qkK/16}, TypeIQ4_XS: {"IQ4_XS", qkK, 2 + 2 + qkK/2 + qkK/64},
	TypeI8: {"I8", 1, 1}, TypeI16: {"I16", 1, 2}, TypeI32: {"I32", 1, 4}, TypeI64: {"I64", 1, 8},
	TypeF64: {"F64", 1, 8}, TypeIQ1_M: {"IQ1_M", qkK, qkK/8 + qkK/16 + qkK/32},
	TypeTQ1_0: {"TQ1_0", qkK, 2 + 4*13}, TypeTQ2_0: {"TQ2_0", qkK, 2 + 64}, TypeMXFP4: {"MXFP4", qk, 1 + qk/2},
}

// String is the type's ggml name ("Q4_K"), or "type(N)" for a number ggml does not define.
func (t Type) String() string {
	if l, ok := layouts[t]; ok {
		return l.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Known reports whether ggml defines the type (whether or not this package can dequantize it).
func (t Type) Known() bool { _, ok := layouts[t]; return ok }

// Supported reports whether Float32 can dequantize tensors of this type.
func (t Type) Supported() bool { _, ok := dequantizers[t]; return ok }

// BlockSize is the number of elements in one block (1 for plain floats); 0 for unknown types.
func (t Type) BlockSize() int { return layouts[t].blockSize }

// TypeSize is the number of bytes of one block; 0 for unknown types.
func (t Type) TypeSize() int { return layouts[t].typeSize }

// SupportedTypes lists the types Float32 reads, in ggml's order.
func SupportedTypes() []Type {
	return []Type{TypeF32, TypeF16, TypeQ4_0, TypeQ4_1, TypeQ5_0, TypeQ5_1, TypeQ8_0,
		TypeQ4_K, TypeQ5_K, TypeQ6_K, TypeBF16}
}

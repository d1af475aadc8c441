package safetensors

// DType is a tensor element type, spelled as in the safetensors header ("F32", "BF16", ...).
type DType string

// The element types this package knows. Names and sizes follow the reference implementation.
const (
	F64    DType = "F64"     // IEEE 754 binary64.
	F32    DType = "F32"     // IEEE 754 binary32.
	F16    DType = "F16"     // IEEE 754 binary16.
	BF16   DType = "BF16"    // bfloat16: the upper half of a binary32.
	F8E4M3 DType = "F8_E4M3" // 8-bit float, 4 exponent bits, 3 mantissa bits, no infinities (E4M3FN).
	F8E5M2 DType = "F8_E5M2" // 8-bit float, 5 exponent bits, 2 mantissa bits (the top byte of a binary16).
	I64    DType = "I64"     // Signed 64-bit integer.
	I32    DType = "I32"     // Signed 32-bit integer.
	I16    DType = "I16"     // Signed 16-bit integer.
	I8     DType = "I8"      // Signed 8-bit integer.
	U64    DType = "U64"     // Unsigned 64-bit integer.
	U32    DType = "U32"     // Unsigned 32-bit integer.
	U16    DType = "U16"     // Unsigned 16-bit integer.
	U8     DType = "U8"      // Unsigned 8-bit integer.
	BOOL   DType = "BOOL"    // Boolean, one byte per element (0 or 1).
)

// dtypeProps holds the size of one element in bytes and the dtype's rank in the reference
// implementation's Dtype enum, which is declared in increasing alignment order; the writer sorts
// tensors by decreasing rank, then by name, as the reference does.
type dtypeProps struct {
	size  int
	rank  int
	float bool
}

var dtypes = map[DType]dtypeProps{
	BOOL:   {1, 0, false},
	U8:     {1, 1, false},
	I8:     {1, 2, false},
	F8E5M2: {1, 3, true},
	F8E4M3: {1, 4, true},
	I16:    {2, 5, false},
	U16:    {2, 6, false},
	F16:    {2, 7, true},
	BF16:   {2, 8, true},
	I32:    {4, 9, false},
	U32:    {4, 10, false},
	F32:    {4, 11, true},
	F64:    {8, 12, true},
	I64:    {8, 13, false},
	U64:    {8, 14, false},
}

// Valid reports whether d is a dtype this package knows.
func (d DType) Valid() bool {
	_, ok := dtypes[d]
	return ok
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	return dtypes[d].size
}

// IsFloat reports whether d is a floating-point dtype, which Float32 can convert.
func (d DType) IsFloat() bool {
	return dtypes[d].float
}

// numElements returns the product of shape, or ok=false when a dimension is negative or the
// product overflows int64 (checked at every step, like the reference's checked_mul).
func numElements(shape []int) (n int64, ok bool) {
	n = 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > (1<<63-1)/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// byteSize returns the number of bytes a tensor of this dtype and shape occupies, or ok=false on
// an unknown dtype, a negative dimension or an overflow.
func byteSize(d DType, shape []int) (int64, bool) {
	size := int64(d.Size())
	if size == 0 {
		return 0, false
	}
	n, ok := numElements(shape)
	if !ok || n > (1<<63-1)/size {
		return 0, false
	}
	return n * size, true
}

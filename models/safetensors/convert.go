package safetensors

import (
	"encoding/binary"
	"math"
)

// BFloat16Bits converts f to bfloat16 bits with round-to-nearest-even, as PyTorch does. NaNs stay
// NaN (quiet, sign kept); values past the largest bfloat16 round to infinity.
func BFloat16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign and top mantissa bits, force quiet.
		return uint16(b>>16) | 0x0040
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BFloat16ToFloat32 converts bfloat16 bits to float32 (exactly).
func BFloat16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// Float16Bits converts f to IEEE binary16 bits with round-to-nearest-even, including subnormal
// results. NaNs stay NaN (quiet, sign kept); values from 65520 up round to infinity.
func Float16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal binary16 (or zero): value = m·2^(exp-150) = h·2^-24, so h = m >> (126-exp).
		shift := uint(14 - e)
		if shift > 24 {
			return sign // below half the smallest subnormal (f32 subnormals land here too)
		}
		m := mant | 0x800000
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, up to infinity: that is the correct rounding
	}
	return sign | uint16(h)
}

// Float16ToFloat32 converts IEEE binary16 bits to float32 (exactly).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	v := float32(mant) * (1.0 / (1 << 24)) // subnormal: mant·2^-24, exact in float32
	if sign != 0 {
		v = -v
	}
	return v
}

// f8e4m3ToFloat32 converts float8 E4M3FN bits (bias 7, no infinities, S.1111.111 is NaN).
func f8e4m3ToFloat32(b uint8) float32 {
	exp := int(b>>3) & 0xf
	mant := float32(b & 7)
	var v float32
	switch {
	case exp == 0xf && b&7 == 7:
		v = float32(math.NaN())
	case exp == 0:
		v = mant * (1.0 / 512) // m·2^-9
	default:
		v = (8 + mant) * float32(math.Ldexp(1, exp-10))
	}
	if b&0x80 != 0 {
		v = -v
	}
	return v
}

// decodeFloats converts little-endian elements of dtype d from src into dst. len(src) must be
// len(dst)·d.Size() and d a float dtype.
func decodeFloats(dst []float32, src []byte, d DType) {
	switch d {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case F16:
		for i := range dst {
			dst[i] = Float16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case F8E5M2:
		for i := range dst {
			dst[i] = Float16ToFloat32(uint16(src[i]) << 8)
		}
	case F8E4M3:
		for i := range dst {
			dst[i] = f8e4m3ToFloat32(src[i])
		}
	default:
		panic("safetensors: decodeFloats called with non-float dtype " + string(d))
	}
}

package gguf

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/pttrust/pttrust/models/safetensors"
)

// dequantizer decodes whole blocks: src holds len(dst)/blockSize blocks.
type dequantizer func(dst []float32, src []byte)

var dequantizers = map[Type]dequantizer{
	TypeF32: deqF32, TypeF16: deqF16, TypeBF16: deqBF16,
	TypeQ4_0: deqQ4_0, TypeQ4_1: deqQ4_1, TypeQ5_0: deqQ5_0, TypeQ5_1: deqQ5_1, TypeQ8_0: deqQ8_0,
	TypeQ4_K: deqQ4K, TypeQ5_K: deqQ5K, TypeQ6_K: deqQ6K,
}

// Dequantize decodes n elements of type t from src (n/BlockSize blocks) into a new slice.
// The arithmetic follows ggml's reference dequantizers, each operation rounded to float32 in
// their order (explicit float32 conversions keep Go from fusing multiply-adds).
func Dequantize(t Type, src []byte, n int) ([]float32, error) {
	dq, ok := dequantizers[t]
	if !ok {
		return nil, fmt.Errorf("tensor type %s is not supported (supported: %v)", t, SupportedTypes())
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	if n < 0 || n%bs != 0 {
		return nil, fmt.Errorf("%d elements is not a whole number of %s blocks of %d", n, t, bs)
	}
	if want := n / bs * ts; len(src) != want {
		return nil, fmt.Errorf("%d elements of %s take %d bytes, got %d", n, t, want, len(src))
	}
	dst := make([]float32, n)
	dq(dst, src)
	return dst, nil
}

// Float32 reads the named tensor and dequantizes it to float32 (row-major, Shape order).
func (f *File) Float32(name string) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor named %s", f.Path, name)
	}
	if !t.Type.Supported() {
		return nil, fmt.Errorf("gguf: %s: tensor %s has type %s, which is not supported (supported: %v)", f.Path, name, t.Type, SupportedTypes())
	}
	raw, err := f.Raw(name)
	if err != nil {
		return nil, err
	}
	out, err := Dequantize(t.Type, raw, int(t.Elements()))
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: tensor %s: %w", f.Path, name, err)
	}
	return out, nil
}

// Raw returns the named tensor's bytes as stored.
func (f *File) Raw(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor named %s", f.Path, name)
	}
	if f.r == nil {
		return nil, fmt.Errorf("gguf: %s is closed", f.Path)
	}
	raw := make([]byte, t.Bytes)
	if t.Bytes == 0 {
		return raw, nil
	}
	if _, err := f.r.ReadAt(raw, t.Offset); err != nil {
		return nil, fmt.Errorf("gguf: %s: reading tensor %s (%d bytes at byte %d): %w", f.Path, name, t.Bytes, t.Offset, err)
	}
	return raw, nil
}

func f16(b []byte) float32 { return safetensors.Float16ToFloat32(binary.LittleEndian.Uint16(b)) }

func deqF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func deqF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = f16(src[2*i:])
	}
}

func deqBF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = safetensors.BFloat16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// deqQ4_0: block {d f16; qs[16]}: x = (nibble - 8)·d, low nibbles first.
func deqQ4_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/qk; b++ {
		blk, y := src[b*18:(b+1)*18], dst[b*qk:(b+1)*qk]
		d, qs := f16(blk), blk[2:]
		for j := 0; j < qk/2; j++ {
			y[j] = float32(int(qs[j]&0xf)-8) * d
			y[j+qk/2] = float32(int(qs[j]>>4)-8) * d
		}
	}
}

// deqQ4_1: block {d, m f16; qs[16]}: x = nibble·d + m.
func deqQ4_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/qk; b++ {
		blk, y := src[b*20:(b+1)*20], dst[b*qk:(b+1)*qk]
		d, m, qs := f16(blk), f16(blk[2:]), blk[4:]
		for j := 0; j < qk/2; j++ {
			y[j] = float32(float32(qs[j]&0xf)*d) + m
			y[j+qk/2] = float32(float32(qs[j]>>4)*d) + m
		}
	}
}

// deqQ5_0: block {d f16; qh u32; qs[16]}: x = (nibble | high bit << 4) - 16, times d.
func deqQ5_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/qk; b++ {
		blk, y := src[b*22:(b+1)*22], dst[b*qk:(b+1)*qk]
		d, qh, qs := f16(blk), binary.LittleEndian.Uint32(blk[2:]), blk[6:]
		for j := 0; j < qk/2; j++ {
			h0 := byte(qh>>j&1) << 4
			h1 := byte(qh>>(j+16)&1) << 4
			y[j] = float32(int(qs[j]&0xf|h0)-16) * d
			y[j+qk/2] = float32(int(qs[j]>>4|h1)-16) * d
		}
	}
}

// deqQ5_1: block {d, m f16; qh u32; qs[16]}: x = (nibble | high bit << 4)·d + m.
func deqQ5_1(dst []float32, src []byte) {
	for b := 0; b < len(dst)/qk; b++ {
		blk, y := src[b*24:(b+1)*24], dst[b*qk:(b+1)*qk]
		d, m, qh, qs := f16(blk), f16(blk[2:]), binary.LittleEndian.Uint32(blk[4:]), blk[8:]
		for j := 0; j < qk/2; j++ {
			h0 := byte(qh>>j&1) << 4
			h1 := byte(qh>>(j+16)&1) << 4
			y[j] = float32(float32(qs[j]&0xf|h0)*d) + m
			y[j+qk/2] = float32(float32(qs[j]>>4|h1)*d) + m
		}
	}
}

// deqQ8_0: block {d f16; qs[32] int8}: x = q·d.
func deqQ8_0(dst []float32, src []byte) {
	for b := 0; b < len(dst)/qk; b++ {
		blk, y := src[b*34:(b+1)*34], dst[b*qk:(b+1)*qk]
		d := f16(blk)
		for j := 0; j < qk; j++ {
			y[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// scaleMinK4 unpacks the j-th 6-bit scale and min of a Q4_K/Q5_K block (ggml's get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// subScalesK4 returns the scale and min of sub-blocks is and is+1 of a Q4_K/Q5_K block:
// d·sc and dmin·m, each rounded to float32.
func subScalesK4(is int, scales []byte, d, dmin float32) (d1, m1, d2, m2 float32) {
	sc, m := scaleMinK4(is, scales)
	d1, m1 = float32(d*float32(sc)), float32(dmin*float32(m))
	sc, m = scaleMinK4(is+1, scales)
	d2, m2 = float32(d*float32(sc)), float32(dmin*float32(m))
	return
}

// deqQ4K: super-block {d, dmin f16; scales[12]; qs[128]} of 8 sub-blocks of 32:
// x = (d·sc)·nibble - dmin·m.
func deqQ4K(dst []float32, src []byte) {
	const size = 144
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*size:(b+1)*size], dst[b*qkK:(b+1)*qkK]
		d, dmin, scales, q := f16(blk), f16(blk[2:]), blk[4:16], blk[16:]
		for j, is := 0, 0; j < qkK; j, is = j+64, is+2 {
			d1, m1, d2, m2 := subScalesK4(is, scales, d, dmin)
			for l := 0; l < 32; l++ {
				y[j+l] = float32(d1*float32(q[l]&0xf)) - m1
				y[j+32+l] = float32(d2*float32(q[l]>>4)) - m2
			}
			q = q[32:]
		}
	}
}

// deqQ5K: super-block {d, dmin f16; scales[12]; qh[32]; qs[128]}: like Q4_K with a fifth bit
// from qh.
func deqQ5K(dst []float32, src []byte) {
	const size = 176
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*size:(b+1)*size], dst[b*qkK:(b+1)*qkK]
		d, dmin, scales, qh, ql := f16(blk), f16(blk[2:]), blk[4:16], blk[16:48], blk[48:]
		u1, u2 := byte(1), byte(2)
		for j, is := 0, 0; j < qkK; j, is = j+64, is+2 {
			d1, m1, d2, m2 := subScalesK4(is, scales, d, dmin)
			for l := 0; l < 32; l++ {
				h1, h2 := byte(0), byte(0)
				if qh[l]&u1 != 0 {
					h1 = 16
				}
				if qh[l]&u2 != 0 {
					h2 = 16
				}
				y[j+l] = float32(d1*float32(ql[l]&0xf+h1)) - m1
				y[j+32+l] = float32(d2*float32(ql[l]>>4+h2)) - m2
			}
			ql = ql[32:]
			u1, u2 = u1<<2, u2<<2
		}
	}
}

// deqQ6K: super-block {ql[128]; qh[64]; scales[16] int8; d f16}: x = (d·sc)·(q - 32) with
// 6-bit q from a low nibble and two high bits.
func deqQ6K(dst []float32, src []byte) {
	const size = 210
	for b := 0; b < len(dst)/qkK; b++ {
		blk, y := src[b*size:(b+1)*size], dst[b*qkK:(b+1)*qkK]
		ql, qh, sc := blk[0:128], blk[128:192], blk[192:208]
		d := f16(blk[208:])
		for n := 0; n < qkK; n += 128 {
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[n+l] = float32(d*float32(int8(sc[is]))) * float32(q1)
				y[n+l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
				y[n+l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
				y[n+l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
			}
			ql, qh, sc = ql[64:], qh[32:], sc[8:]
		}
	}
}

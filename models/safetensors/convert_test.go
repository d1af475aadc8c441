package safetensors

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBFloat16Bits(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1.0, 0x3f80},
		{-1.0, 0xbf80},
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{3.14159, 0x4049}, // 0x40490fd0: low half below the midpoint
		{math.Float32frombits(0x3f808000), 0x3f80},       // exact tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82},       // exact tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81},       // just above the tie
		{math.MaxFloat32, 0x7f80},                        // rounds to +inf
		{float32(math.Inf(-1)), 0xff80},                  // -inf
		{math.Float32frombits(0x00000001), 0x0000},       // tiny subnormal rounds to 0
		{math.Float32frombits(0x7f800001), 0x7fc0},       // NaN with payload in the low half stays NaN
		{math.Float32frombits(0xffc00000), 0xffc0},       // negative quiet NaN
		{math.Float32frombits(0x7f7f8000), 0x7f80},       // tie at the top rounds to even = inf
		{math.Float32frombits(0x7f7effff), 0x7f7f},       // largest finite bf16
		{math.Float32frombits(0x00408000 | 0x1), 0x0041}, // subnormal rounding up
	}
	for _, c := range cases {
		assert.Equalf(t, c.want, BFloat16Bits(c.in), "BFloat16Bits(%g = %#08x)", c.in, math.Float32bits(c.in))
	}
	assert.Equal(t, float32(1), BFloat16ToFloat32(0x3f80))
	assert.Equal(t, float32(3.140625), BFloat16ToFloat32(0x4049))
	assert.True(t, math.IsNaN(float64(BFloat16ToFloat32(0x7fc0))))
}

func TestFloat16Bits(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{
		{1.0, 0x3c00},
		{-2.0, 0xc000},
		{0.5, 0x3800},
		{65504, 0x7bff},                  // largest finite
		{65519, 0x7bff},                  // below the midpoint to inf
		{65520, 0x7c00},                  // midpoint, ties to even = inf
		{1e6, 0x7c00},                    // overflow
		{float32(math.Inf(-1)), 0xfc00},  // -inf
		{6.103515625e-05, 0x0400},        // smallest normal, 2^-14
		{5.9604644775390625e-08, 0x0001}, // smallest subnormal, 2^-24
		{2.9802322387695312e-08, 0x0000}, // 2^-25: tie between 0 and 2^-24, ties to even = 0
		{2.98023259e-08, 0x0001},         // just above 2^-25 rounds up
		{8.940696716308594e-08, 0x0002},  // 1.5·2^-24: tie, odd 1 rounds up to 2
		{1.4901161193847656e-07, 0x0002}, // 2.5·2^-24: tie, even 2 stays
		{6.097555160522461e-05, 0x03ff},  // largest subnormal, 1023·2^-24
		{6.1005353927612305e-05, 0x0400}, // 1023.5·2^-24: tie, odd rounds up into the normals
		{1.0009765625, 0x3c01},           // 1 + 2^-10
		{1.00048828125, 0x3c00},          // 1 + 2^-11: tie, even stays
		{1.00146484375, 0x3c02},          // 1 + 3·2^-11: tie, odd rounds up
		{float32(math.Copysign(0, -1)), 0x8000},
		{math.SmallestNonzeroFloat32, 0x0000},
		{-5.9604644775390625e-08, 0x8001},
		{float32(math.NaN()), 0x7e00},
	}
	for _, c := range cases {
		assert.Equalf(t, c.want, Float16Bits(c.in), "Float16Bits(%g = %#08x)", c.in, math.Float32bits(c.in))
	}
	// Every finite half converts to float32 and back unchanged.
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			assert.True(t, math.IsNaN(float64(Float16ToFloat32(uint16(h)))))
			continue
		}
		if got := Float16Bits(Float16ToFloat32(uint16(h))); got != uint16(h) {
			t.Fatalf("half %#04x → %g → %#04x", h, Float16ToFloat32(uint16(h)), got)
		}
	}
	assert.Equal(t, float32(65504), Float16ToFloat32(0x7bff))
	assert.Equal(t, float32(5.9604644775390625e-08), Float16ToFloat32(0x0001))
}

func TestFloat8Decode(t *testing.T) {
	e4m3 := map[uint8]float32{
		0x00: 0, 0x38: 1, 0xb8: -1, 0x40: 2, 0x7e: 448, 0x01: 1.0 / 512, 0x08: 1.0 / 64, 0x3c: 1.5,
	}
	for b, want := range e4m3 {
		assert.Equalf(t, want, f8e4m3ToFloat32(b), "E4M3 %#02x", b)
	}
	assert.True(t, math.IsNaN(float64(f8e4m3ToFloat32(0x7f))))
	assert.True(t, math.IsNaN(float64(f8e4m3ToFloat32(0xff))))
	dst := make([]float32, 4)
	decodeFloats(dst, []byte{0x3c, 0x7b, 0x7c, 0x01}, F8E5M2)
	assert.Equal(t, []float32{1, 57344, float32(math.Inf(1)), 1.0 / (1 << 16)}, dst)
}

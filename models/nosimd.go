//go:build !goexperiment.simd

package models

// SIMDBuild reports whether this binary was built with GOEXPERIMENT=simd, which GoMLX's pure-Go
// backend needs for fast matrix multiplication (about 20x faster on AVX-512 machines).
const SIMDBuild = false

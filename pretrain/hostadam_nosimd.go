//go:build !goexperiment.simd

package pretrain

// adamWRange is adamWScalar (a build without GOEXPERIMENT=simd).
func adamWRange(w, g, m, v []float32, s adamScalars) { adamWScalar(w, g, m, v, s) }

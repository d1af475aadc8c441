//go:build !goexperiment.simd

package pretrain

// kthRow is kthLargestHost (a build without GOEXPERIMENT=simd).
func kthRow(row []float32, k int, scratch []float32) float32 { return kthLargestHost(row, k, scratch) }

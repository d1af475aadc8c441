//go:build goexperiment.simd

package pretrain

import (
	"math"
	"simd"
)

// bisectFrom is the row length from which kthRow bisects rather than quickselects. 256 rows,
// k 32, on both cores (BenchmarkRowThresholds, 2 vCPU AMD EPYC): 254 µs against 320 at 256
// values, 758 against 1 423 at 1 024, 1 370 against 2 770 at 2 048; at 128 values bisection
// took 201 µs against 144, the 31 rounds' fixed costs dominating.
const bisectFrom = 256

// kthRow is kthLargestHost for one row: from bisectFrom values on, by bisection on the float32
// bit pattern (which orders non-negative floats) with vector compares: the smallest t with fewer
// than k values > t is the k-th largest value, exactly. No branch depends on the data but the
// halving's, where quickselect's partitions mispredict about every other element.
func kthRow(row []float32, k int, scratch []float32) float32 {
	if len(row) < bisectFrom || k <= 0 || quickselectOnly {
		return kthLargestHost(row, k, scratch)
	}
	if countAbove(row, 0) < k {
		return 0
	}
	var vmax float32
	for _, v := range row {
		if v > vmax { // NaNs are skipped, as kthLargestHost and countAbove skip them
			vmax = v
		}
	}
	lo, hi := uint32(0), math.Float32bits(vmax) // count(> lo) >= k, count(> hi) = 0 < k
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if countAbove(row, math.Float32frombits(mid)) < k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return math.Float32frombits(hi)
}

// countAbove is the number of values of row greater than t.
func countAbove(row []float32, t float32) int {
	tv := simd.BroadcastFloat32s(t)
	var acc simd.Int32s
	n := tv.Len()
	i := 0
	for ; i+n <= len(row); i += n {
		acc = acc.Sub(simd.LoadFloat32s(row[i:]).Greater(tv).ToInt32s()) // true is -1
	}
	var lanes [64]int32
	acc.StorePart(lanes[:])
	c := 0
	for _, v := range lanes[:n] {
		c += int(v)
	}
	for _, v := range row[i:] {
		if v > t {
			c++
		}
	}
	return c
}

package models

import (
	"slices"

	. "github.com/gomlx/gomlx/core/graph"
)

// lastAxisRange is x[..., from:to]. x: [..., n]; returns [..., to-from].
//
// On the pure-Go backend it is a GatherSlices at a constant start, which that backend copies
// a run of to-from values at a time; its Slice copies element by element through a generic
// index loop (the fused q|k|v projection's three slices were 3-6 % of a small model's pass).
// The same values either way, and the same gradients (TestLastAxisRangeSameBitsAsSlice). Other
// backends (XLA) keep Slice, which they fuse.
func lastAxisRange(x *Node, from, to int) *Node {
	if !IsPureGo(x.Graph().Backend()) {
		return SliceAxis(x, -1, AxisRange(from, to))
	}
	start := Const(x.Graph(), []int32{int32(from)})
	return GatherSlices(x, []int{x.Rank() - 1}, start, []int{to - from}, true)
}

// axisRange is x's positions [from, to) along axis, the axes after it whole: a range of the
// last axis of x viewed as [x's dims before axis, the rest] (lastAxisRange: block copies on the
// pure-Go backend, where Slice copies one element at a time).
func axisRange(x *Node, axis, from, to int) *Node {
	dims := x.Shape().Dimensions
	inner := 1
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	flat := Reshape(x, append(slices.Clone(dims[:axis]), dims[axis]*inner)...)
	out := append(slices.Clone(dims[:axis]), to-from)
	return Reshape(lastAxisRange(flat, from*inner, to*inner), append(out, dims[axis+1:]...)...)
}

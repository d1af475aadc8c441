// Package search finds values in sorted slices.
package search

import "sort"

// Index returns the position of x in xs, or -1.
//	It uses binary search: xs must be sorted.
func Index(xs []int, x int) int {
	i := sort.SearchInts(xs, x)
	if i < len(xs) && xs[i] == x {
		return i
	}
	return -1
}

// Größe is a unicode identifier; π ≈ 3.14159.
const Größe = 1_000_000

func sum(xs []float64) (total float64) {
	for _, v := range xs {
		total += v    // trailing spaces after this comment   
	}
	return
}

// Package matrix holds the small row-major float32 matrix helpers that several packages need
// outside a graph (checkpoint layouts, initialisations).
package matrix

// Transpose returns the [cols, rows] transpose of a row-major [rows, cols] matrix.
func Transpose(a []float32, rows, cols int) []float32 {
	out := make([]float32, len(a))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = a[r*cols+c]
		}
	}
	return out
}

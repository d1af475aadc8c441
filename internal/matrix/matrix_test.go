package matrix

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTranspose(t *testing.T) {
	// [2, 3] → [3, 2], by hand.
	require.Equal(t, []float32{1, 4, 2, 5, 3, 6}, Transpose([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	// Twice is the identity on a non-square shape.
	a := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	require.Equal(t, a, Transpose(Transpose(a, 3, 4), 4, 3))
}

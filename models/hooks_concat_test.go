package models

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHookPartsAndConcatStates(t *testing.T) {
	require.Equal(t, []string{"blocks.7.resid_post"}, HookParts("blocks.7.resid_post"))
	require.Equal(t, []string{"blocks.7.resid_post", "blocks.15.resid_post"}, HookParts("blocks.7.resid_post+blocks.15.resid_post"))
	one := []float32{1, 2}
	require.Equal(t, one, ConcatStates([][]float32{one}))
	require.Equal(t, []float32{1, 2, 3, 4, 5}, ConcatStates([][]float32{one, {3}, {4, 5}}))
	require.Equal(t, []float32{1, 2}, one, "inputs unchanged")
}

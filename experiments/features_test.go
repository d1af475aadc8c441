package experiments

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/states/extract"
)

func TestComposeFeatures(t *testing.T) {
	base := [][]float32{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	nan := float32(math.NaN())
	rows := []extract.Row{{MeanLogProb: nan, MinLogProb: nan, MeanEntropy: nan}, {MeanLogProb: -1, MinLogProb: -2, MeanEntropy: 0.5},
		{MeanLogProb: -3, MinLogProb: -4, MeanEntropy: 1}, {MeanLogProb: -5, MinLogProb: -6, MeanEntropy: 2}}
	spans := []span{{0, 3}, {3, 4}} // two snippets: rows 0-2 and row 3
	require.Equal(t, base, composeFeatures(FeaturesConfig{}, base, rows, spans), "the paper's recipe: latents alone")
	got := composeFeatures(FeaturesConfig{TokenStats: true, Context: true}, base, rows, spans)
	require.Equal(t, []float32{1, 2, 0, 0, 3, 4, 0, 0, 0, 1}, got[0], "first line: no previous, no statistics")
	require.Equal(t, []float32{3, 4, 1, 2, 5, 6, -1, -2, 0.5, 0}, got[1])
	require.Equal(t, []float32{5, 6, 3, 4, 0, 0, -3, -4, 1, 0}, got[2], "the next snippet is not a neighbour")
	require.Equal(t, []float32{7, 8, 0, 0, 0, 0, -5, -6, 2, 0}, got[3])
	require.Equal(t, "+stats+context", FeaturesConfig{TokenStats: true, Context: true}.String())
	require.Len(t, got[1], FeaturesConfig{TokenStats: true, Context: true}.dim(2))
	only := composeFeatures(FeaturesConfig{TokenStats: true}, base, rows, spans)
	require.Equal(t, []float32{3, 4, -1, -2, 0.5, 0}, only[1])
}

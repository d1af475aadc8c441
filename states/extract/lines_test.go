package extract

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/stretchr/testify/require"
)

// sameFloat compares float32 values bit for bit, NaN equal to NaN.
func sameFloat(t *testing.T, want, got float32, msg string) {
	t.Helper()
	if math.IsNaN(float64(want)) {
		require.True(t, math.IsNaN(float64(got)), "%s: want NaN, got %v", msg, got)
		return
	}
	require.Equal(t, want, got, msg)
}

// Lines gives exactly the rows and problems of an Extract run over the same snippets with the
// same settings: short snippets, a long one in several windows, bad input.
func TestLinesMatchesExtract(t *testing.T) {
	m, tok := loadModel(t)
	var long strings.Builder
	for i := range 9 {
		fmt.Fprintf(&long, "%s\n", goLines[i%len(goLines)])
	}
	snips := append(corpus(11), snip("long", datasets.Go, long.String()),
		snip("notutf8", datasets.Go, "x := 1\ny := \"\xff\"\n"),
		snip("mixed", datasets.Python, "ok = 1\n"+strings.Repeat("z", 40)+"\nalso = 2\n"))
	for _, c := range []struct {
		name       string
		window     int
		noLookback bool
	}{{"default", 0, false}, {"window32", 32, false}, {"no_lookback", 32, true}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "snippets.parquet")
			writeRaw(t, data, snips)
			cfg := testConfig(data, filepath.Join(dir, "out"))
			cfg.ShardSnippets, cfg.Window, cfg.NoLookback = 0, c.window, c.noLookback
			res, err := extractWith(context.Background(), cfg, m, tok, nil)
			require.NoError(t, err)
			want := readShards(t, cfg.OutDir)

			mem := cfg
			mem.ModelDir, mem.DataPath, mem.OutDir = "", "", "" // unused by Lines
			got, probs, err := Lines(context.Background(), m, tok, mem, snips)
			require.NoError(t, err)
			require.Equal(t, res.Problems, probs)
			require.NotEmpty(t, probs)
			require.Len(t, got, len(want))
			for i, w := range want {
				g := got[i]
				msg := fmt.Sprintf("row %d (%s line %d)", i, w.SnippetID, w.Line)
				require.Equal(t, w.SnippetID, g.SnippetID, msg)
				require.Equal(t, w.PairID, g.PairID, msg)
				require.Equal(t, w.Language, g.Language, msg)
				require.Equal(t, w.Role, g.Role, msg)
				require.Equal(t, w.Line, g.Line, msg)
				require.Equal(t, w.Label, g.Label, msg)
				require.Equal(t, w.OriginalLine, g.OriginalLine, msg)
				require.Equal(t, w.TokenCount, g.TokenCount, msg)
				require.Equal(t, w.ContextTokens, g.ContextTokens, msg)
				sameFloat(t, w.MeanLogProb, g.MeanLogProb, msg+" mean_logprob")
				sameFloat(t, w.MinLogProb, g.MinLogProb, msg+" min_logprob")
				sameFloat(t, w.MeanEntropy, g.MeanEntropy, msg+" mean_entropy")
				sameFloat(t, w.LookbackRatio, g.LookbackRatio, msg+" lookback_ratio")
				require.Len(t, g.States, 1, msg)
				require.Equal(t, w.State, g.States[0], msg)
			}
		})
	}
	// Settings are checked as for Extract; paths are not needed.
	bad := DefaultConfig()
	bad.Hooks = []string{"blocks.7.resid_post"}
	_, _, err := Lines(context.Background(), m, tok, bad, snips)
	require.ErrorContains(t, err, "layer 7 out of range")
	rows, probs, err := Lines(context.Background(), m, tok, DefaultConfig(), nil)
	require.NoError(t, err)
	require.Empty(t, rows)
	require.Empty(t, probs)
}

package models

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Windowed scoring gives every token the value of a direct pass over the context the policy
// promises: the whole prefix inside the first window, the last window/2 tokens after.
func TestScoreTextWindows(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, tok, err := LoadWithTokenizer(filepath.Join(goldenDir, "llama"), backend)
	require.NoError(t, err)
	text := strings.Repeat("for i := 0; i < n; i++ {\n\tsum += i\n}\n", 3) // 114 byte tokens
	full, err := ScoreText(m, tok, text, 1000)
	require.NoError(t, err)
	const window = 40
	win, err := ScoreText(m, tok, text, window)
	require.NoError(t, err)
	require.Equal(t, len(full.Tokens), len(win.Tokens))
	require.True(t, math.IsNaN(float64(win.LogProb[0])))
	for i := 1; i < window; i++ { // inside the first window: identical
		require.InDelta(t, full.LogProb[i], win.LogProb[i], 1e-5, "token %d", i)
	}
	ids := make([]int32, len(win.Tokens))
	for i, tk := range win.Tokens {
		ids[i] = int32(tk.ID)
	}
	stride := window / 2
	for i := window; i < len(ids); i++ {
		// Token i is scored in the window starting at the largest multiple of stride with
		// start + stride <= i.
		start := (i - stride) / stride * stride
		res, err := m.Run([][]int32{ids[start:min(start+window, len(ids))]}, Request{Hooks: []string{HookTokenLogProb}})
		require.NoError(t, err)
		require.InDelta(t, res[HookTokenLogProb].Data[i-start], win.LogProb[i], 1e-5, "token %d", i)
		require.GreaterOrEqual(t, i-start, stride, "token %d has at least window/2 context", i)
	}
}

func TestLineScores(t *testing.T) {
	backend, err := NewBackend("go")
	require.NoError(t, err)
	m, tok, err := LoadWithTokenizer(filepath.Join(goldenDir, "qwen2"), backend)
	require.NoError(t, err)
	text := "a\r\n\nbc"
	s, err := ScoreText(m, tok, text, 0)
	require.NoError(t, err)
	lines := LineScores(text, s)
	require.Len(t, lines, 3)
	// Byte-level tokens: "a", "\r\n"... the split regex keeps "\r\n\n" in one piece, each byte a token.
	total := 0
	for _, l := range lines {
		total += l.Tokens
	}
	require.Equal(t, len(s.Tokens), total)
	require.Equal(t, "bc", lines[2].Text)
	require.True(t, math.IsNaN(lines[0].MeanLogProb) == (lines[0].Tokens == 1), "the first token has no prediction")
	want := (float64(s.LogProb[len(s.LogProb)-2]) + float64(s.LogProb[len(s.LogProb)-1])) / 2
	require.InDelta(t, want, lines[2].MeanLogProb, 1e-6)
	require.InDelta(t, math.Min(float64(s.LogProb[len(s.LogProb)-2]), float64(s.LogProb[len(s.LogProb)-1])), lines[2].MinLogProb, 1e-6)

	_, err = ScoreText(m, tok, "a\xffb", 0)
	require.Error(t, err)
}

package states

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/models/tokenizer"
	"github.com/stretchr/testify/require"
)

func loadTokenizer(t *testing.T, name string) *tokenizer.Tokenizer {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "models", "tokenizer", "testdata", name+".tokenizer.json.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	tok, err := tokenizer.FromJSON(data)
	require.NoError(t, err)
	return tok
}

// lastTokens returns, per line, the text of the last token starting on it ("" when none).
func lastTokens(src string, tokens []tokenizer.Token) []string {
	lines := SplitLines(src)
	ranges := LineTokens(TokenLines(lines, tokens), len(lines))
	out := make([]string, len(lines))
	for i, r := range ranges {
		if !r.Empty() {
			out[i] = src[tokens[r.Last].Start:tokens[r.Last].End]
		}
	}
	return out
}

// checkInvariants: every non-special token maps to the line containing its start, counts add up,
// and ranges are ordered.
func checkInvariants(t *testing.T, src string, tokens []tokenizer.Token) {
	t.Helper()
	lines := SplitLines(src)
	tl := TokenLines(lines, tokens)
	ranges := LineTokens(tl, len(lines))
	total := 0
	for i, tk := range tokens {
		if tk.Special {
			require.Equal(t, -1, tl[i])
			continue
		}
		total++
		l := lines[tl[i]]
		require.True(t, tk.Start >= l.Start && (tk.Start < l.Next || tl[i] == len(lines)-1), "token %d %q start %d on line %d", i, tk.Text, tk.Start, tl[i])
	}
	sum, prevLast := 0, -1
	for _, r := range ranges {
		sum += r.Count
		if !r.Empty() {
			require.Greater(t, r.First, prevLast)
			require.GreaterOrEqual(t, r.Last, r.First)
			prevLast = r.Last
		}
	}
	require.Equal(t, total, sum)
}

func TestTokenLinesTricky(t *testing.T) {
	qwen3 := loadTokenizer(t, "qwen3")
	gpt2 := loadTokenizer(t, "gpt2")
	for _, tok := range []*tokenizer.Tokenizer{qwen3, gpt2} {
		for _, src := range []string{
			"a = 1\r\nb = 2\r\n",             // CRLF
			"\tif x {\n\t\treturn 1\n\t}\n",  // tabs
			"x = 1\ny = 2",                   // last line without newline
			"s = \"é变量😀\"\nt = 'ü'\n",        // multi-byte UTF-8
			"def f():\n\n\n    return 1\n\n", // newline runs merged into one token
			"",                               // no lines
		} {
			tokens, err := tok.EncodeChecked(src)
			require.NoError(t, err)
			checkInvariants(t, src, tokens)
		}
	}

	// CRLF: the "\r\n" token (or the token holding it) is each line's last token.
	src := "a = 1\r\nb = 2\r\n"
	tokens := qwen3.Encode(src)
	last := lastTokens(src, tokens)
	require.Len(t, last, 2)
	for _, l := range last {
		require.True(t, strings.HasSuffix(l, "\r\n") || l == "\n", "%q", l)
	}

	// Last line without newline: its last token is its own last token.
	src = "x = 1\ny = 2"
	last = lastTokens(src, qwen3.Encode(src))
	require.Equal(t, "2", strings.TrimSpace(last[1]))

	// Multi-byte characters: every line maps, byte offsets land inside the line.
	src = "s = \"é变量😀\"\nt = 'ü'\n"
	lines := SplitLines(src)
	ranges := LineTokens(TokenLines(lines, qwen3.Encode(src)), len(lines))
	require.False(t, ranges[0].Empty())
	require.False(t, ranges[1].Empty())

	// A token spanning newlines: Qwen3 merges "\n\n\n" after "():" into one token, which
	// belongs to line 0, where it starts; lines 1 and 2 (blank) have no token starting on them.
	src = "def f():\n\n\n    return 1\n"
	tokens = qwen3.Encode(src)
	lines = SplitLines(src)
	tl := TokenLines(lines, tokens)
	ranges = LineTokens(tl, len(lines))
	spanning := -1
	for i, tk := range tokens {
		if strings.Count(src[tk.Start:tk.End], "\n") > 1 {
			spanning = i
		}
	}
	require.GreaterOrEqual(t, spanning, 0, "qwen3 merges a newline run: %v", tokens)
	require.Equal(t, LineOf(lines, tokens[spanning].Start), tl[spanning])
	require.Equal(t, 0, tl[spanning])
	require.True(t, ranges[1].Empty(), "no token starts on line 1")
	require.True(t, ranges[2].Empty(), "no token starts on line 2")
	require.Equal(t, spanning, ranges[0].Last, "the spanning token is line 0's last token")
	require.False(t, ranges[3].Empty())

	// Special tokens (a BOS inserted by a template, or found in the text) belong to no line.
	special := []tokenizer.Token{{ID: 1, Special: true}, {ID: 2, Start: 0, End: 1}, {ID: 3, Start: 1, End: 2}}
	require.Equal(t, []int{-1, 0, 0}, TokenLines(SplitLines("a\n"), special))
	require.Equal(t, []TokenRange{{First: 1, Last: 2, Count: 2}}, LineTokens([]int{-1, 0, 0}, 1))
}

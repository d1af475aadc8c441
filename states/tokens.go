package states

import "github.com/pttrust/pttrust/models/tokenizer"

// TokenRange says which tokens start on one line.
type TokenRange struct {
	// First and Last are the indices (into the token slice) of the first and last token that
	// start on the line; both are -1 when no token starts on it.
	First, Last int
	// Count is the number of tokens that start on the line (special tokens excluded).
	Count int
}

// Empty reports whether no token starts on the line.
func (r TokenRange) Empty() bool { return r.Count == 0 }

// TokenLines maps every token to the line it starts on: LineOf(lines, token.Start). A token that
// spans a line terminator (a merged "\n\n", a ")\n") therefore belongs to the line where it
// starts. Special tokens, whether inserted by a template (BOS) or found in the text, belong to no
// line and map to -1, as do all tokens of a text with no lines.
func TokenLines(lines []Line, tokens []tokenizer.Token) []int {
	out := make([]int, len(tokens))
	for i, t := range tokens {
		if t.Special || len(lines) == 0 {
			out[i] = -1
			continue
		}
		out[i] = LineOf(lines, t.Start)
	}
	return out
}

// LineTokens groups the output of TokenLines by line: for each of nLines lines, the first and
// last token starting on it and their count. Token starts are non-decreasing, so the tokens of a
// line are contiguous except for special tokens found inside the line's text (counted for no
// line).
func LineTokens(tokenLines []int, nLines int) []TokenRange {
	out := make([]TokenRange, nLines)
	for i := range out {
		out[i] = TokenRange{First: -1, Last: -1}
	}
	for t, l := range tokenLines {
		if l < 0 || l >= nLines {
			continue
		}
		r := &out[l]
		if r.Count == 0 {
			r.First = t
		}
		r.Last = t
		r.Count++
	}
	return out
}

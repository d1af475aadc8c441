package tokenizer

import (
	"slices"
	"testing"
)

// pieces returns the pre-tokenized pieces of text.
func pieces(tk *Tokenizer, text string) []string {
	var out []string
	for _, p := range tk.pre.split(nil, identity(text, 0)) {
		out = append(out, p.s)
	}
	return out
}

// TestSplitRegexPieces checks the lookahead split patterns on whitespace runs, contractions,
// digits and CRLF, with pieces worked out from the patterns and the reference ids.
func TestSplitRegexPieces(t *testing.T) {
	cases := []struct {
		fixture, text string
		want          []string
	}{
		{"qwen3", "a  \n\n    return", []string{"a", "  \n\n", "   ", " return"}},
		{"qwen3", "    return x", []string{"   ", " return", " x"}},
		{"qwen3", "x  ", []string{"x", "  "}},
		{"qwen3", "don't DON'T", []string{"don", "'t", " DON", "'T"}},
		{"qwen3", "1234567", []string{"1", "2", "3", "4", "5", "6", "7"}},
		{"qwen3", "foo\r\n\r\nbar", []string{"foo", "\r\n\r\n", "bar"}},
		{"qwen3", "变量 = 1", []string{"变量", " =", " ", "1"}},
		{"qwen3", "\t\treturn y", []string{"\t", "\treturn", " y"}},
		{"gpt4o", "1234567", []string{"123", "456", "7"}},
		{"gpt4o", "a  \n\n    return", []string{"a", "  \n\n", "   ", " return"}},
		{"gpt4o", "don't DON'T", []string{"don't", " DON'T"}},
		{"gpt2", "a  \n\n    return", []string{"a", "  \n\n   ", " return"}},
		{"gpt2", "    return x", []string{"   ", " return", " x"}},
		{"gpt2", "don't 1234567", []string{"don", "'t", " 1234567"}},
	}
	for _, c := range cases {
		got := pieces(fixture(t, c.fixture), c.text)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %q: pieces %q, want %q", c.fixture, c.text, got, c.want)
		}
	}
}

// TestLookaheadRegex checks that regexp2 handles \s+(?!\S) and Unicode classes.
func TestLookaheadRegex(t *testing.T) {
	p, err := compileRegex(`\s+(?!\S)|\s+|\p{L}+|\p{N}{1,3}|[^\s\p{L}\p{N}]+`)
	if err != nil {
		t.Fatal(err)
	}
	text := "  é变Ω 12345\u00a0\u3000x"
	var got []string
	for _, m := range p.findAll(text, nil) {
		got = append(got, text[m[0]:m[1]])
	}
	// "  é": the lookahead leaves the last space for \s+; NBSP and U+3000 are \s.
	want := []string{" ", " ", "é变Ω", " ", "123", "45", "\u00a0", "\u3000", "x"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSplitBehaviors checks the five Split behaviors on the reference's own example.
func TestSplitBehaviors(t *testing.T) {
	text := "the-final--countdown"
	lit := &pattern{literal: "-"}
	ms := lit.findAll(text, nil)
	cases := []struct {
		beh  splitBehavior
		want []string
	}{
		{behaviorRemoved, []string{"the", "final", "countdown"}},
		{behaviorIsolated, []string{"the", "-", "final", "-", "-", "countdown"}},
		{behaviorMergedWithPrevious, []string{"the-", "final-", "-", "countdown"}},
		{behaviorMergedWithNext, []string{"the", "-final", "-", "-countdown"}},
		{behaviorContiguous, []string{"the", "-", "final", "--", "countdown"}},
	}
	for _, c := range cases {
		var got []string
		for _, r := range splitRanges(len(text), ms, false, c.beh) {
			got = append(got, text[r[0]:r[1]])
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d: got %q, want %q", c.beh, got, c.want)
		}
	}
	// Invert with Removed keeps only the matches (the o200k configuration).
	var got []string
	for _, r := range splitRanges(len(text), ms, true, behaviorRemoved) {
		got = append(got, text[r[0]:r[1]])
	}
	if want := []string{"-", "-", "-"}; !slices.Equal(got, want) {
		t.Errorf("invert removed: got %q, want %q", got, want)
	}
}

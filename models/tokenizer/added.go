package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedMatcher finds added tokens in text, leftmost-longest, and applies their single_word,
// lstrip and rstrip options like the reference AddedVocabulary::find_matches.
type addedMatcher struct {
	toks    []addedTokenDef
	byFirst [256][]int // indices into toks by first byte, longest content first
}

// newAddedMatcher builds a matcher for toks (empty contents are ignored).
func newAddedMatcher(toks []addedTokenDef) *addedMatcher {
	m := &addedMatcher{toks: toks}
	for i, t := range toks {
		if t.Content == "" {
			continue
		}
		m.byFirst[t.Content[0]] = append(m.byFirst[t.Content[0]], i)
	}
	for c := range m.byFirst {
		l := m.byFirst[c]
		sort.SliceStable(l, func(i, j int) bool { return len(toks[l[i]].Content) > len(toks[l[j]].Content) })
	}
	return m
}

// segment is a range [a, b) of text; tok is the added token it holds, or nil for plain text.
type segment struct {
	a, b int
	tok  *addedTokenDef
}

// split partitions s into plain-text segments and added-token segments.
func (m *addedMatcher) split(s string) []segment {
	if m == nil || len(m.toks) == 0 || s == "" {
		return []segment{{0, len(s), nil}}
	}
	var out []segment
	done := 0 // end of the last emitted token
	for pos := 0; pos < len(s); {
		ti := m.longestAt(s, pos)
		if ti < 0 {
			pos++
			continue
		}
		t := &m.toks[ti]
		start, stop := pos, pos+len(t.Content)
		if t.SingleWord && (endsWithWord(s[:start]) || startsWithWord(s[stop:])) {
			pos++
			continue
		}
		if t.LStrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), done)
		}
		if t.RStrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if start > done {
			out = append(out, segment{done, start, nil})
		}
		out = append(out, segment{start, stop, t})
		done, pos = stop, stop
	}
	if done < len(s) {
		out = append(out, segment{done, len(s), nil})
	}
	return out
}

// longestAt returns the index of the longest added token starting at s[pos:], or -1.
func (m *addedMatcher) longestAt(s string, pos int) int {
	for _, i := range m.byFirst[s[pos]] {
		if strings.HasPrefix(s[pos:], m.toks[i].Content) {
			return i
		}
	}
	return -1
}

// isWordChar reports whether r counts as part of a word for single_word tokens.
func isWordChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }

// endsWithWord reports whether s ends with a word character.
func endsWithWord(s string) bool {
	r, size := utf8.DecodeLastRuneInString(s)
	return size > 0 && isWordChar(r)
}

// startsWithWord reports whether s starts with a word character.
func startsWithWord(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size > 0 && isWordChar(r)
}

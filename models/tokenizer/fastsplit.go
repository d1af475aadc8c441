package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Hand-written matchers for the most common split regexes. They return exactly what regexp2
// returns for the same pattern (TestFastSplitMatchesRegexp2 checks this on the corpus and on
// random strings) and are several times faster. Other patterns use regexp2.

const (
	// gpt4Pattern is the cl100k_base / Llama-3 split regex.
	gpt4Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// qwen2Pattern is Qwen2's split regex: cl100k's with single digits.
	qwen2Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// fastMatcher finds the match starting at byte i of s and returns its end, or i if none.
type fastMatcher func(s string, i int) int

// fastMatchers maps pattern source text to its hand-written matcher.
var fastMatchers = map[string]fastMatcher{
	gpt2Pattern:  matchGPT2,
	gpt4Pattern:  func(s string, i int) int { return matchGPT4(s, i, 3) },
	qwen2Pattern: func(s string, i int) int { return matchGPT4(s, i, 1) },
}

// findAllFast applies a matcher at successive positions like a regex FindAll: matches are
// non-overlapping, and positions where nothing matches are skipped.
func findAllFast(m fastMatcher, s string, dst [][2]int) [][2]int {
	for i := 0; i < len(s); {
		if e := m(s, i); e > i {
			dst = append(dst, [2]int{i, e})
			i = e
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return dst
}

// Character classes of the split regexes.
const (
	clsOther  = 0 // [^\s\p{L}\p{N}]
	clsLetter = 1 // \p{L}
	clsNumber = 2 // \p{N}
	clsSpace  = 3 // \s (Unicode White_Space, as Go's unicode.IsSpace)
)

// asciiClass holds the class of each ASCII character.
var asciiClass = func() (t [128]uint8) {
	for c := range 128 {
		t[c] = classOfRune(rune(c))
	}
	return t
}()

// classOfRune classifies r.
func classOfRune(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// at decodes the character at byte i of s: rune, class and size (0 at the end of s).
// Invalid bytes decode as U+FFFD of size 1, like regexp2's rune conversion.
func at(s string, i int) (rune, uint8, int) {
	if i >= len(s) {
		return -1, 255, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), asciiClass[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return r, classOfRune(r), size
}

// runOf returns the end of the run of characters of class cls starting at byte i.
func runOf(s string, i int, cls uint8) int {
	for {
		_, c, size := at(s, i)
		if size == 0 || c != cls {
			return i
		}
		i += size
	}
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d at byte i (ASCII case-insensitively if fold)
// and returns its end, or i.
func contraction(s string, i int, fold bool) int {
	if i >= len(s) || s[i] != '\'' || i+1 >= len(s) {
		return i
	}
	lower := func(c byte) byte {
		if fold && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	c1 := lower(s[i+1])
	switch c1 {
	case 's', 't', 'm', 'd':
		return i + 2
	}
	if i+2 < len(s) {
		c2 := lower(s[i+2])
		if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
			return i + 3
		}
	}
	return i
}

// matchSpaces handles the whitespace alternatives shared by the patterns at byte i, where a
// whitespace character starts: with newlines true, \s*[\r\n]+ first; then \s+(?!\S), then \s+.
func matchSpaces(s string, i int, newlines bool) int {
	w := i
	lastNL := -1
	lastStart := i // start of the last whitespace character of the run
	for {
		r, c, size := at(s, w)
		if size == 0 || c != clsSpace {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = w + size
		}
		lastStart = w
		w += size
	}
	if newlines && lastNL > 0 {
		return lastNL // \s*[\r\n]+: up to the last newline of the run
	}
	if w == len(s) || lastStart == i {
		return w // \s+(?!\S) at the end of text, or \s+ for a single space
	}
	return lastStart // \s+(?!\S): leave the last space for the next token
}

// matchGPT4 matches the cl100k / Qwen2 pattern at byte i; maxDigits is 3 or 1.
func matchGPT4(s string, i int, maxDigits int) int {
	if e := contraction(s, i, true); e > i {
		return e
	}
	r, c, size := at(s, i)
	switch c {
	case clsLetter:
		return runOf(s, i, clsLetter)
	case clsNumber:
		return digitRun(s, i+size, maxDigits-1)
	case clsOther:
		// [^\r\n\p{L}\p{N}]?\p{L}+ (r is not \r, \n, L or N here).
		if _, c2, _ := at(s, i+size); c2 == clsLetter {
			return runOf(s, i+size, clsLetter)
		}
		return otherRun(s, i)
	}
	// Whitespace.
	if r != '\r' && r != '\n' {
		// [^\r\n\p{L}\p{N}]?\p{L}+ with a leading space-like character.
		if _, c2, _ := at(s, i+size); c2 == clsLetter {
			return runOf(s, i+size, clsLetter)
		}
		//  ?[^\s\p{L}\p{N}]+[\r\n]*
		if r == ' ' {
			if _, c2, _ := at(s, i+1); c2 == clsOther {
				return otherRun(s, i+1)
			}
		}
	}
	return matchSpaces(s, i, true)
}

// digitRun extends a \p{N}{1,n} match that ends at byte e by up to more further numbers.
func digitRun(s string, e, more int) int {
	for range more {
		_, c, size := at(s, e)
		if c != clsNumber {
			break
		}
		e += size
	}
	return e
}

// otherRun matches [^\s\p{L}\p{N}]+[\r\n]* at byte i.
func otherRun(s string, i int) int {
	e := runOf(s, i, clsOther)
	for e < len(s) && (s[e] == '\r' || s[e] == '\n') {
		e++
	}
	return e
}

// matchGPT2 matches the GPT-2 ByteLevel pattern at byte i.
func matchGPT2(s string, i int) int {
	if e := contraction(s, i, false); e > i {
		return e
	}
	_, c, _ := at(s, i)
	start := i
	if s[i] == ' ' {
		if _, c2, size2 := at(s, i+1); size2 > 0 && c2 != clsSpace {
			c, start = c2, i+1
		}
	}
	if c != clsSpace {
		return runOf(s, start, c)
	}
	return matchSpaces(s, i, false)
}

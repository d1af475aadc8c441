package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// pattern is the {"String": ...} or {"Regex": ...} of Split and Replace: a literal or a
// regular expression with Oniguruma-like (backtracking, lookaround) semantics.
type pattern struct {
	literal string
	re      *regexp2.Regexp
	fast    fastMatcher // hand-written equivalent of re, if any
	src     string
}

// buildPattern compiles a pattern from tokenizer.json.
func buildPattern(p *patternJSON) (*pattern, error) {
	switch {
	case p == nil:
		return nil, fmt.Errorf("missing \"pattern\"")
	case p.String != nil:
		if *p.String == "" {
			return nil, fmt.Errorf("empty String pattern")
		}
		return &pattern{literal: *p.String, src: *p.String}, nil
	case p.Regex != nil:
		return compileRegex(*p.Regex)
	default:
		return nil, fmt.Errorf("pattern needs String or Regex")
	}
}

// compileRegex compiles src with regexp2 in its default (.NET/Perl-like) mode. In that mode
// \s is Unicode White_Space, \p{L}/\p{N}/\p{Lu}/... are Unicode general categories and
// (?i:...) groups work, which is what the GPT-2/GPT-4/Qwen2 split patterns expect. The
// ECMAScript and RE2 options would change \s and are not used.
func compileRegex(src string) (*pattern, error) {
	re, err := regexp2.Compile(src, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", src, err)
	}
	return &pattern{re: re, fast: fastMatchers[src], src: src}, nil
}

// findAll appends the byte ranges of all successive non-overlapping matches in s to dst.
func (p *pattern) findAll(s string, dst [][2]int) [][2]int {
	if s == "" {
		return dst
	}
	if p.re == nil {
		for i := 0; ; {
			j := strings.Index(s[i:], p.literal)
			if j < 0 {
				return dst
			}
			dst = append(dst, [2]int{i + j, i + j + len(p.literal)})
			i += j + len(p.literal)
		}
	}
	if p.fast != nil {
		return findAllFast(p.fast, s, dst)
	}
	return p.findAllRegexp2(s, dst)
}

// findAllRegexp2 is findAll through regexp2, ignoring any fast matcher.
func (p *pattern) findAllRegexp2(s string, dst [][2]int) [][2]int {
	runes, offs := runeOffsets(s)
	m, err := p.re.FindRunesMatch(runes)
	for err == nil && m != nil {
		dst = append(dst, [2]int{offs[m.Index], offs[m.Index+m.Length]})
		m, err = p.re.FindNextMatch(m)
	}
	return dst
}

// runeOffsets decodes s to runes and returns, for each rune index i, its byte offset offs[i]
// (offs[len(runes)] == len(s)). Each invalid byte decodes to one U+FFFD rune of width 1.
func runeOffsets(s string) ([]rune, []int) {
	n := utf8.RuneCountInString(s)
	runes := make([]rune, 0, n)
	offs := make([]int, 0, n+1)
	for i, r := range s {
		runes = append(runes, r)
		offs = append(offs, i)
	}
	offs = append(offs, len(s))
	return runes, offs
}

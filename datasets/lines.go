package datasets

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pttrust/pttrust/internal/srclines"
)

// CodeLines splits code into lines by the rule every stage of pttrust shares (it is
// srclines.Split): a line ends at "\n", a "\r" just before the "\n" belongs to the terminator,
// a last line without a terminator is a line, an empty text has no lines, and a text ending in
// "\n" has no empty line after it. Snippet.Labels holds one label per element of CodeLines.
func CodeLines(code string) []string {
	ls := srclines.Split(code)
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text(code)
	}
	return out
}

// LineCount returns len(CodeLines(code)) without building the lines.
func LineCount(code string) int {
	n := strings.Count(code, "\n")
	if code != "" && code[len(code)-1] != '\n' {
		n++
	}
	return n
}

// rawLine is one line of a text with its terminator ("\n", "\r\n" or "" for a last line
// without one), so that a text rebuilt from its lines is byte-identical.
type rawLine struct {
	text, term string
}

// splitRaw splits code as CodeLines does, keeping terminators.
func splitRaw(code string) []rawLine {
	ls := srclines.Split(code)
	out := make([]rawLine, len(ls))
	for i, l := range ls {
		out[i] = rawLine{text: code[l.Start:l.End], term: code[l.End:l.Next]}
	}
	return out
}

// joinRaw rebuilds a text from its lines.
func joinRaw(lines []rawLine) string {
	n := 0
	for _, l := range lines {
		n += len(l.text) + len(l.term)
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteString(l.term)
	}
	return b.String()
}

// IsBlank reports whether a line holds only whitespace.
func IsBlank(line string) bool { return strings.TrimSpace(line) == "" }

// IsPunctuationOnly reports whether a non-blank line is made only of brackets, semicolons,
// commas, colons and dots (`}`, `);`, `]`, `},`): DESIGN.md's lines that are not scored.
func IsPunctuationOnly(line string) bool {
	seen := false
	for _, r := range line {
		switch {
		case unicode.IsSpace(r):
		case strings.ContainsRune("{}[]();,:.", r):
			seen = true
		default:
			return false
		}
	}
	return seen
}

// Scorable reports whether a line is scored at all: neither blank nor punctuation only.
func Scorable(line string) bool { return !IsBlank(line) && !IsPunctuationOnly(line) }

// NormalizeLine is the form under which two lines count as the same in label derivation:
// whitespace is dropped, except that a run of whitespace between two identifier characters
// (letters, digits, '_', '$') becomes one space, so "a  =  b" and "a=b" are the same line and
// "return x" and "returnx" are not. Blank lines normalize to "".
func NormalizeLine(line string) string {
	var b strings.Builder
	b.Grow(len(line))
	var prev rune = -1 // last rune written
	gap := false
	for _, r := range line {
		if unicode.IsSpace(r) {
			gap = true
			continue
		}
		if gap && prev >= 0 && isIdentRune(prev) && isIdentRune(r) {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isIdentRune(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// normalizeCode is NormalizeLine that keeps string literals as they are: from a quote (' " `)
// to the next unescaped same quote on the line, nothing is dropped, so joining with a one-space
// string and with an empty one differ (HumanEvalPack has such bugs) while "a  =  b" and "a=b" are still the same. A
// quote without its closing quote on the line (an apostrophe in a comment, a Rust lifetime) is an
// ordinary character.
func normalizeCode(line string) string {
	if !strings.ContainsAny(line, "'\"`") {
		return NormalizeLine(line)
	}
	var b strings.Builder
	b.Grow(len(line))
	var prev rune = -1 // last rune written
	gap := false
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		if unicode.IsSpace(r) {
			gap = true
			i += size
			continue
		}
		if gap && prev >= 0 && isIdentRune(prev) && isIdentRune(r) {
			b.WriteByte(' ')
		}
		gap = false
		if r == '\'' || r == '"' || r == '`' {
			if end := literalEnd(line[i:], byte(r)); end > 0 {
				b.WriteString(line[i : i+end])
				prev = r
				i += end
				continue
			}
		}
		b.WriteRune(r)
		prev = r
		i += size
	}
	return b.String()
}

// literalEnd returns the length of the quoted literal opening s (s[0] is q) up to its closing q,
// backslash escapes skipped, or 0 when the line does not close it.
func literalEnd(s string, q byte) int {
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return 0
}

// normalizeFor is normalizeCode made language-aware: in Python, where indentation is syntax, a
// non-blank line also keeps its indentation width (tabs to the next multiple of 8), so moving a
// statement into or out of a block is a change; a change of indentation characters that keeps
// the width is not. DiffLabels compares lines in this form.
func normalizeFor(lang Language, line string) string {
	n := normalizeCode(line)
	if lang != Python || n == "" {
		return n
	}
	width := 0
	for _, c := range line {
		switch c {
		case ' ':
			width++
		case '\t':
			width += 8 - width%8
		default:
			return strconv.Itoa(width) + "|" + n
		}
	}
	return n
}

// indentOf returns the leading whitespace of a line.
func indentOf(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

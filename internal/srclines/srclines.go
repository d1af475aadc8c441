// Package srclines is the line rule every stage shares: how a text splits into lines (which
// terminator belongs to which line) and which line holds a byte offset. A leaf package, so that
// datasets (labels), models (token statistics) and states (line-end states) index the same
// lines without importing each other.
package srclines

import "strings"

// Line is one source line as a byte span of the text. The span excludes the line terminator
// ("\n", or "\r\n").
type Line struct {
	// Index is the 0-based line number.
	Index int
	// Start, End delimit the line's content; End excludes the terminator.
	Start, End int
	// Next is the offset where the following line starts (End plus the terminator's length).
	Next int
}

// Text returns the line's content.
func (l Line) Text(src string) string { return src[l.Start:l.End] }

// Split returns the lines of src. A final line without a terminator is a line (a "\r"
// ending it is content: only a "\r" before a "\n" is part of a terminator); an empty text has
// no lines, and a text ending in "\n" has no empty line after it.
func Split(src string) []Line {
	var lines []Line
	start := 0
	for start < len(src) {
		nl := strings.IndexByte(src[start:], '\n')
		end, next := len(src), len(src)
		if nl >= 0 {
			end, next = start+nl, start+nl+1
		}
		content := end
		if nl >= 0 && content > start && src[content-1] == '\r' { // "\r\n"; a lone "\r" at the end is content
			content--
		}
		lines = append(lines, Line{Index: len(lines), Start: start, End: content, Next: next})
		start = next
	}
	return lines
}

// Of returns the index of the line that contains byte offset off (a terminator belongs to
// the line it ends), or len(lines)-1 for an offset at or past the end.
func Of(lines []Line, off int) int {
	lo, hi := 0, len(lines)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if off < lines[mid].Next {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

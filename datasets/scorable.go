package datasets

import "strings"

// ScorableLines says, for each line of code (as CodeLines splits it), whether pttrust scores
// it. A scored line holds code: a token of the language starts on it (comment-only lines are
// not scored, nor the continuation lines of a multi-line string literal), it is not blank or
// made only of punctuation (Scorable), and, in Python, it is not part of a docstring (a string
// literal standing alone as a statement). Such lines never execute, so a risk on them means
// nothing; the line operators of the mutation engine edit the same lines.
// For a language pttrust does not know, only Scorable applies.
func ScorableLines(lang Language, code string) []bool {
	lines := CodeLines(code)
	out := make([]bool, len(lines))
	if !lang.Valid() {
		for i, l := range lines {
			out[i] = Scorable(l)
		}
		return out
	}
	toks := lex(lang, code)
	for k, t := range toks {
		if t.line >= len(lines) || (lang == Python && isDocstring(code, toks, k)) {
			continue
		}
		out[t.line] = true
	}
	for i, l := range lines {
		out[i] = out[i] && Scorable(l)
	}
	return out
}

// isDocstring reports whether toks[k] is a Python string literal standing alone as a
// statement: the first token of its line, and no token after it on the line where it ends.
func isDocstring(code string, toks []token, k int) bool {
	t := toks[k]
	if t.kind != tkString || (k > 0 && toks[k-1].line == t.line) {
		return false
	}
	end := t.line + strings.Count(code[t.start:t.end], "\n")
	return k+1 == len(toks) || toks[k+1].line > end
}

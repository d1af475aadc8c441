package datasets

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// scored lists the scored lines' texts (trimmed).
func scored(lang Language, code string) []string {
	var out []string
	lines := CodeLines(code)
	for i, ok := range ScorableLines(lang, code) {
		if ok {
			out = append(out, strings.TrimSpace(lines[i]))
		}
	}
	return out
}

func TestScorableLinesPerLanguage(t *testing.T) {
	cases := []struct {
		lang Language
		code string
		want []string
	}{
		{Go, "// Package p.\npackage p\n\n/* block\n   comment */\nfunc f(x int) int {\n\t//\t} else {\n\treturn x // trailing\n}\nvar s = `raw\nstill raw`\n",
			[]string{"package p", "func f(x int) int {", "return x // trailing", "var s = `raw"}},
		{Python, "\"\"\"Module docstring.\n\nMore.\n\"\"\"\nimport os  # comment\n\n\ndef f(x):\n    '''Docstring.'''\n    # a comment\n    s = \"\"\"not a\n    docstring\"\"\"\n    t = \"\"\"x\"\"\".strip()\n    return x\n",
			[]string{"import os  # comment", "def f(x):", "s = \"\"\"not a", "t = \"\"\"x\"\"\".strip()", "return x"}},
		{Java, "/**\n * Javadoc.\n */\npublic class A {\n    // comment\n    int f() { return 1; } /* tail */\n}\n",
			[]string{"public class A {", "int f() { return 1; } /* tail */"}},
		{C, "#include <stdio.h>\n/* c */\nint main(void) {\n    // c99 comment\n    return 0;\n}\n",
			[]string{"#include <stdio.h>", "int main(void) {", "return 0;"}},
		{CPP, "// c++\nint x = 1; // y\n", []string{"int x = 1; // y"}},
		{JavaScript, "/* a\n b */\nconst s = `t\n${x}`;\n// c\nf();\n", []string{"const s = `t", "${x}`;", "f();"}}, // code resumes after the literal
		{Rust, "/// doc\n/* outer /* nested */ still */\nfn main() {\n    // c\n    let x = 1;\n}\n", []string{"fn main() {", "let x = 1;"}},
	}
	for _, c := range cases {
		t.Run(string(c.lang), func(t *testing.T) {
			require.Equal(t, c.want, scored(c.lang, c.code))
			require.Len(t, ScorableLines(c.lang, c.code), LineCount(c.code))
		})
	}
}

func TestScorableLinesUnknownLanguage(t *testing.T) {
	code := "// not known\nx = 1\n}\n"
	require.Equal(t, []bool{true, true, false}, ScorableLines("cobol", code))
}

package datasets

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// rustSrc has what the Rust lexer must not mutate: nested block comments, a raw string holding
// quotes and operators, a lifetime, a character literal with an escape, a macro.
const rustSrc = `/* outer /* nested */ still a comment: a < b */
fn pick<'a>(xs: &'a [i32], limit: i32) -> Option<&'a i32> {
    let sep = '\n';
    let raw = r#"if a < b { "quoted" }"#;
    // a < b in a comment
    for x in xs.iter() {
        if *x < limit && !done(x) {
            println!("{} {}", raw, sep);
            return Some(x);
        }
    }
    None
}
`

func TestRustLanguage(t *testing.T) {
	l, ok := LanguageOfName("src/main.rs")
	require.True(t, ok)
	require.Equal(t, Rust, l)
	require.Equal(t, []string{".rs"}, Extensions(Rust))
	lang, err := ParseLanguage("Rust")
	require.NoError(t, err)
	require.Equal(t, Rust, lang)
	require.Equal(t, Rust, classify(Rust, "a.rs", "//! crate docs\npub fn f() {}\n"))
	require.Equal(t, Rust, classify(Rust, "a.rs", "use std::io;\n"))
	require.Equal(t, Language(""), classify(Rust, "a.rs", "just words\n"))
	require.Equal(t, Rust, recordLanguage("rust"))
}

func TestRustLex(t *testing.T) {
	var strs, ops []string
	for _, tk := range lex(Rust, rustSrc) {
		switch tk.kind {
		case tkString:
			strs = append(strs, rustSrc[tk.start:tk.end])
		case tkOp:
			ops = append(ops, rustSrc[tk.start:tk.end])
		}
	}
	require.Equal(t, []string{`'\n'`, `r#"if a < b { "quoted" }"#`, `"{} {}"`}, strs)
	// Only the real comparison is a "<" outside generics: the comments and the raw string hold
	// none that the lexer sees.
	lt := 0
	for _, o := range ops {
		if o == "<" {
			lt++
		}
	}
	require.Equal(t, 3, lt, "pick<, Option<, *x <")
	require.Contains(t, ops, "->")
	require.Contains(t, ops, "&&")
	// Lifetimes are no literal: the quote is an operator and the name an identifier.
	require.Contains(t, ops, "'")
	require.Equal(t, 0, rustLiteralEnd("'a [i32]"))
	require.Equal(t, 3, rustLiteralEnd("'x'"))
	require.Equal(t, 4, rustLiteralEnd(`b'x'`))
	require.Equal(t, 9, rustLiteralEnd(`'\u{1F6}'`))
	require.Equal(t, 6, rustLiteralEnd(`br"a\"b"`), "no escapes in raw strings")
	require.Equal(t, 6, rustLiteralEnd(`"a\"b"c`), "escapes in strings")
	require.Equal(t, 0, rustLiteralEnd("bar"))
	require.Equal(t, 0, rustLiteralEnd("r#type"))
	require.Equal(t, len("/* a /* b */ c */"), rustCommentEnd("/* a /* b */ c */ d"))
}

func TestRustMutants(t *testing.T) {
	require.Equal(t, []string{"07:<->>="}, siteList(t, Rust, rustSrc, OpComparisonFlip))
	require.Equal(t, []string{"07:*x < limit && !done(x)->!(*x < limit && !done(x))", "07:!->"},
		siteList(t, Rust, rustSrc, OpBooleanNegation))
	// if let binds a pattern: never negated.
	require.Empty(t, siteList(t, Rust, "fn f(o: Option<i32>) {\n    if let Some(x) = o {\n        g(x);\n    }\n}\n", OpBooleanNegation))
	// The macro name and the function head are no variables.
	for _, s := range siteList(t, Rust, rustSrc, OpWrongVariable) {
		require.NotContains(t, s, "println", s)
		require.NotEqual(t, "02", s[:2], "the fn line is a declaration: %s", s)
	}
	p, err := NewProgram(Rust, "x.rs", rustSrc)
	require.NoError(t, err)
	for _, op := range TokenOperators {
		for _, s := range p.sites(op) {
			checkMutant(t, p.Code, p.applySite(op, s))
		}
	}
}

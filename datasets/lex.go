package datasets

import (
	"strings"
)

// A light tokenizer for the operator mutants: it knows each language's comments and string
// literals well enough that no mutation lands inside one, and splits the rest into
// identifiers, numbers and operators. It is no parser: the mutation rules on top of it are
// token patterns.

type tokKind uint8

const (
	tkIdent     tokKind = iota // identifier or keyword
	tkNumber                   // numeric literal
	tkOp                       // operator or punctuation
	tkString                   // string, character or template literal (possibly multi-line)
	tkDirective                // C preprocessor line (with its continuations)
)

// token is one lexeme of a program: src[start:end], starting on line (0-based, CodeLines).
type token struct {
	kind       tokKind
	start, end int
	line       int
}

// operators per language, longest first; single bytes that are not listed become one-byte
// operators.
var (
	cLikeOps  = []string{">>>=", "<<=", ">>=", ">>>", "...", "===", "!==", "&^=", "<=>", "->*", "->", "=>", "<-", "++", "--", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", ":=", "::", "&^", "??", "?.", "**="}
	rustOps   = []string{"<<=", ">>=", "..=", "...", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", ".."}
	pythonOps = []string{"**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", ":=", "@="}
)

// lex splits src into tokens for language lang; comments are dropped.
func lex(lang Language, src string) []token {
	var toks []token
	ops := cLikeOps
	switch lang {
	case Python:
		ops = pythonOps
	case Rust:
		ops = rustOps
	}
	line := 0
	lineStart := true // only whitespace since the last newline
	i := 0
	// advance moves i to j, counting newlines.
	advance := func(j int) {
		line += strings.Count(src[i:j], "\n")
		i = j
	}
	emit := func(kind tokKind, j int) {
		toks = append(toks, token{kind: kind, start: i, end: j, line: line})
		advance(j)
		lineStart = false
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
			lineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		}
		rest := src[i:]
		switch lang {
		case Rust:
			if strings.HasPrefix(rest, "//") {
				advance(i + lineEnd(rest))
				continue
			}
			if strings.HasPrefix(rest, "/*") {
				advance(i + rustCommentEnd(rest))
				continue
			}
			if n := rustLiteralEnd(rest); n > 0 {
				emit(tkString, i+n)
				continue
			}
			if c == '\'' { // a lifetime or label ('a): the quote is an operator, the name an identifier
				emit(tkOp, i+1)
				continue
			}
		case Python:
			if c == '#' {
				advance(i + lineEnd(rest))
				continue
			}
			if q := pythonStringStart(rest); q > 0 {
				emit(tkString, i+pythonStringEnd(rest, q))
				continue
			}
		default:
			if strings.HasPrefix(rest, "//") {
				advance(i + lineEnd(rest))
				continue
			}
			if strings.HasPrefix(rest, "/*") {
				end := strings.Index(rest[2:], "*/")
				if end < 0 {
					advance(len(src))
				} else {
					advance(i + 2 + end + 2)
				}
				continue
			}
			if c == '#' && lineStart && (lang == C || lang == CPP) {
				j := i
				for {
					e := j + lineEnd(src[j:])
					if e > j && strings.HasSuffix(strings.TrimRight(src[j:e], "\r"), "\\") && e < len(src) {
						j = e + 1
						continue
					}
					j = e
					break
				}
				emit(tkDirective, j)
				continue
			}
			if c == '"' || c == '\'' || c == '`' {
				emit(tkString, i+cStringEnd(lang, rest))
				continue
			}
		}
		switch {
		case isIdentByte(c) && !(c >= '0' && c <= '9'):
			j := i + 1
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			emit(tkIdent, j)
		case c >= '0' && c <= '9' || c == '.' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9':
			emit(tkNumber, i+numberEnd(rest))
		default:
			n := 1
			for _, op := range ops {
				if strings.HasPrefix(rest, op) {
					n = len(op)
					break
				}
			}
			emit(tkOp, i+n)
		}
	}
	return toks
}

// lineEnd returns the offset of the first newline of s, or len(s).
func lineEnd(s string) int {
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		return j
	}
	return len(s)
}

// numberEnd returns the length of the numeric literal at the start of s: digits, letters,
// '_', '.', and a sign right after an exponent letter (1e-5, 0x1p+3).
func numberEnd(s string) int {
	hex := len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
	j := 0
	for j < len(s) {
		c := s[j]
		switch {
		case isIdentByte(c) || c == '.':
			j++
		case (c == '+' || c == '-') && j > 0 && (!hex && (s[j-1] == 'e' || s[j-1] == 'E') || hex && (s[j-1] == 'p' || s[j-1] == 'P')):
			j++
		default:
			return j
		}
	}
	return j
}

// cStringEnd returns the length of the string, character or template literal opening s in a
// C-family language (or Go or Java): escapes skip a byte; a single- or double-quoted literal
// ends at the end of the line if unterminated; Go raw strings and JavaScript templates
// (backquotes) and Java text blocks (""") may span lines.
func cStringEnd(lang Language, s string) int {
	if lang == Java && strings.HasPrefix(s, `"""`) {
		if j := strings.Index(s[3:], `"""`); j >= 0 {
			return 3 + j + 3
		}
		return len(s)
	}
	q := s[0]
	multi := q == '`'
	escapes := !(q == '`' && lang == Go)
	for j := 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\' && escapes:
			j++
		case c == q:
			return j + 1
		case c == '\n' && !multi:
			return j
		}
	}
	return len(s)
}

// rustCommentEnd returns the length of the block comment opening s; Rust block comments nest.
func rustCommentEnd(s string) int {
	depth := 0
	for j := 0; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// rustLiteralEnd returns the length of the string, raw string, byte string or character literal
// opening s ("...", b"...", r#"..."#, br"...", 'c', '\n', b'c'), or 0 when s opens none (a
// lifetime 'a is no literal). Strings may span lines.
func rustLiteralEnd(s string) int {
	j := 0
	if strings.HasPrefix(s, "b") {
		j = 1
	}
	if j < len(s) && s[j] == 'r' {
		k := j + 1
		for k < len(s) && s[k] == '#' {
			k++
		}
		if k < len(s) && s[k] == '"' {
			closing := "\"" + strings.Repeat("#", k-j-1)
			if e := strings.Index(s[k+1:], closing); e >= 0 {
				return k + 1 + e + len(closing)
			}
			return len(s)
		}
		return 0
	}
	if j >= len(s) {
		return 0
	}
	switch s[j] {
	case '"':
		for k := j + 1; k < len(s); k++ {
			switch s[k] {
			case '\\':
				k++
			case '"':
				return k + 1
			}
		}
		return len(s)
	case '\'':
		rest := s[j+1:]
		if strings.HasPrefix(rest, "\\") { // '\n', '\'', '\u{1F600}'
			if e := strings.IndexByte(rest[2:], '\''); e >= 0 && !strings.Contains(rest[:2+e], "\n") {
				return j + 1 + 2 + e + 1
			}
			return 0
		}
		for k, r := range rest { // one character, then the closing quote
			if k > 0 {
				if r == '\'' {
					return j + 1 + k + 1
				}
				return 0
			}
			if r == '\'' || r == '\n' {
				return 0
			}
		}
	}
	return 0
}

// pythonStringStart reports the prefix-plus-quote length of a Python string literal opening s
// (r"", b”, f"""...""", rb” ...), or 0.
func pythonStringStart(s string) int {
	j := 0
	for j < len(s) && j < 2 && strings.IndexByte("rRbBuUfF", s[j]) >= 0 {
		j++
	}
	if j < len(s) && (s[j] == '"' || s[j] == '\'') {
		return j + 1
	}
	return 0
}

// pythonStringEnd returns the length of the Python string literal opening s, whose prefix and
// first quote take q bytes.
func pythonStringEnd(s string, q int) int {
	quote := s[q-1]
	triple := strings.Repeat(string(quote), 3)
	if strings.HasPrefix(s[q-1:], triple) {
		for j := q + 2; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if strings.HasPrefix(s[j:], triple) {
				return j + 3
			}
		}
		return len(s)
	}
	for j := q; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case quote:
			return j + 1
		case '\n':
			return j
		}
	}
	return len(s)
}

// keywords of each language (and common built-in names): never a variable for the
// wrong-variable mutant, never a callee for the swapped-arguments mutant.
var keywords = map[Language]map[string]bool{
	Go: wordSet(`break case chan const continue default defer else fallthrough for func go goto if
		import interface map package range return select struct switch type var
		true false nil iota append cap clear close complex copy delete imag len make max min new
		panic print println real recover bool byte rune string error any int int8 int16 int32
		int64 uint uint8 uint16 uint32 uint64 uintptr float32 float64 complex64 complex128 _`),
	Python: wordSet(`False None True and as assert async await break class continue def del elif
		else except finally for from global if import in is lambda nonlocal not or pass raise
		return try while with yield self cls print len range int str float bool list dict set
		tuple super isinstance type object match case`),
	Java: wordSet(`abstract assert boolean break byte case catch char class const continue default
		do double else enum extends final finally float for goto if implements import instanceof
		int interface long native new package private protected public return short static
		strictfp super switch synchronized this throw throws transient try void volatile while
		true false null var record yield sealed permits String Object System`),
	C: wordSet(`auto break case char const continue default do double else enum extern float for
		goto if inline int long register restrict return short signed sizeof static struct
		switch typedef union unsigned void volatile while _Bool _Complex bool true false NULL
		size_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t`),
	Rust: wordSet(`as async await break const continue crate dyn else enum extern false fn for if impl
		in let loop match mod move mut pub ref return self Self static struct super trait true type
		unsafe use where while union i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64
		bool char str String Vec Option Some None Result Ok Err Box _`),
	JavaScript: wordSet(`break case catch class const continue debugger default delete do else
		export extends finally for function if import in instanceof new return super switch
		this throw try typeof var void while with yield let static await async of true false
		null undefined console`),
}

func init() {
	cpp := wordSet(`alignas alignof and asm bitand bitor catch class compl concept consteval
		constexpr constinit co_await co_return co_yield decltype delete explicit export friend
		mutable namespace new noexcept not nullptr operator or private protected public
		reinterpret_cast static_assert static_cast dynamic_cast const_cast template this
		thread_local throw try typeid typename using virtual wchar_t std auto override final`)
	for w := range keywords[C] {
		cpp[w] = true
	}
	keywords[CPP] = cpp
	ts := wordSet(`type interface enum namespace declare abstract implements private protected
		public readonly as is keyof any unknown never number string boolean symbol`)
	for w := range keywords[JavaScript] {
		ts[w] = true
	}
	keywords[TypeScript] = ts
}

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[w] = true
	}
	return out
}

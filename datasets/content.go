package datasets

import (
	"slices"
	"strings"
)

// The light content checks of classify: plain string scans (regular expressions over whole
// files cost more than everything else in a walk).

// lines calls fn on each line of s (without its newline) until fn returns true; it reports
// whether one did.
func lines(s string, fn func(line string) bool) bool {
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if fn(line) {
			return true
		}
	}
	return false
}

// javaDecl reports whether a line opens with a package, import or module declaration, or with a
// type declaration (class, interface, enum, record, @interface) after modifiers.
func javaDecl(content string) bool {
	return lines(content, func(line string) bool {
		t := strings.TrimSpace(line)
		for _, kw := range []string{"package ", "import ", "module ", "open module "} {
			if strings.HasPrefix(t, kw) {
				return true
			}
		}
		for {
			word, rest, ok := strings.Cut(t, " ")
			if !ok {
				return false
			}
			switch word {
			case "public", "protected", "private", "final", "abstract", "sealed", "non-sealed", "static", "strictfp":
				t = strings.TrimSpace(rest)
			case "class", "interface", "enum", "record", "@interface":
				return isIdentStart(strings.TrimSpace(rest))
			default:
				return false
			}
		}
	})
}

// hasCPP reports whether content uses a construct C lacks: std::, template <, namespace X {,
// using namespace, class X { or class X :, an access label (public:), extern "C++", nullptr or
// constexpr. Comment lines and branches that only a C++ compiler sees (#ifdef __cplusplus) are
// not looked at: C headers such as <string.h> carry C++ overloads there.
func hasCPP(content string) bool {
	var stack []int // per open #if: 1 a C++-only branch, -1 a C-only one (#ifndef __cplusplus), 0 neither
	for off := 0; off < len(content); {
		end := strings.IndexByte(content[off:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += off
		}
		line := strings.TrimSpace(content[off:end])
		switch {
		case strings.HasPrefix(line, "#"):
			d := strings.TrimSpace(line[1:])
			switch {
			case strings.HasPrefix(d, "if"):
				stack = append(stack, cplusplusCondition(d))
			case strings.HasPrefix(d, "elif") && len(stack) > 0:
				stack[len(stack)-1] = cplusplusCondition(d[2:])
			case strings.HasPrefix(d, "else") && len(stack) > 0:
				stack[len(stack)-1] = max(-stack[len(stack)-1], 0)
			case strings.HasPrefix(d, "endif") && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
		case strings.HasPrefix(line, "//"), strings.HasPrefix(line, "/*"), strings.HasPrefix(line, "*"):
		case slices.Contains(stack, 1):
		case cppLine(line, content[off:]):
			return true
		}
		off = end + 1
	}
	return false
}

// cplusplusCondition classifies an #if/#ifdef/#ifndef/#elif directive (without the "#"): 1 when
// only C++ compiles its branch (#ifdef __cplusplus, #if defined(__cplusplus) && ...,
// #if __cplusplus >= 201103L, glibc's #ifdef __CORRECT_ISO_CPP_STRING_H_PROTO), -1 when only C
// does (#ifndef __cplusplus, !defined), else 0.
func cplusplusCondition(d string) int {
	i := strings.Index(d, "__cplusplus")
	if i < 0 {
		i = strings.Index(d, "_CPP_")
	}
	if i < 0 {
		return 0
	}
	if strings.HasPrefix(d, "ifndef") || strings.Contains(d[:i], "!") {
		return -1
	}
	if strings.Contains(d, "||") {
		return 0
	}
	return 1
}

// cppLine looks for C++ in one line of code; rest is the content from that line on (a namespace
// brace may sit on the next line).
func cppLine(line, rest string) bool {
	for _, s := range []string{"std::", "template<", "template <", "using namespace ", `extern "C++"`, "nullptr", "constexpr"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	switch line {
	case "public:", "private:", "protected:":
		return true
	}
	if strings.Contains(line, "namespace ") && eachWord(rest[:min(len(rest), len(line)+200)], "namespace ", namespaceOpens) {
		return true
	}
	return strings.Contains(line, "class ") && eachWord(line, "class ", classOpens)
}

// namespaceOpens reports whether the text after "namespace " is a name, an optional macro
// (_GLIBCXX_VISIBILITY(default)) and a brace.
func namespaceOpens(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	if !isIdentStart(rest) && !strings.HasPrefix(rest, "{") {
		return false
	}
	rest = strings.TrimLeft(skipIdent(rest, true), " \t\r\n")
	if isIdentStart(rest) { // a macro: upper case, digits, underscores, then (...)
		macro := rest[:len(rest)-len(skipIdent(rest, false))]
		if strings.ToUpper(macro) != macro {
			return false
		}
		rest = strings.TrimLeft(rest[len(macro):], " \t")
		if strings.HasPrefix(rest, "(") {
			j := strings.IndexByte(rest, ')')
			if j < 0 {
				return false
			}
			rest = rest[j+1:]
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
	}
	return strings.HasPrefix(rest, "{")
}

// classOpens reports whether the text after "class " is a name followed by a brace or a base
// list (class X {, class X final : public Y).
func classOpens(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	if !isIdentStart(rest) {
		return false
	}
	rest = strings.TrimLeft(skipIdent(rest, false), " \t")
	rest = strings.TrimLeft(strings.TrimPrefix(rest, "final"), " \t")
	return strings.HasPrefix(rest, "{") || (strings.HasPrefix(rest, ":") && !strings.HasPrefix(rest, "::")) || rest == ""
}

// hasJS reports whether content has a JavaScript keyword construct.
func hasJS(content string) bool {
	for _, s := range []string{"function", "=>", "const ", "let ", "var ", "class ", "import ", "export ", "require(", "module.exports"} {
		if strings.Contains(content, s) {
			return true
		}
	}
	return false
}

// hasTS reports whether content has a TypeScript-only declaration.
func hasTS(content string) bool {
	for _, s := range []string{"interface ", "type ", "declare ", "namespace ", "enum "} {
		if eachWord(content, s, isIdentStart) {
			return true
		}
	}
	return false
}

// hasRust reports whether content has a Rust item: a function, use, struct, enum, trait, impl
// or module declaration opening a line (after pub).
func hasRust(content string) bool {
	for _, line := range strings.Split(content, "\n") {
		t := strings.TrimSpace(line)
		t = strings.TrimPrefix(t, "pub(crate) ")
		t = strings.TrimPrefix(t, "pub ")
		for _, s := range []string{"fn ", "use ", "struct ", "enum ", "trait ", "impl ", "impl<", "mod ", "let "} {
			if strings.HasPrefix(t, s) {
				return true
			}
		}
	}
	return false
}

// eachWord calls fn with the text after each occurrence of word that starts a word (no
// identifier character before it), until fn returns true.
func eachWord(content, word string, fn func(rest string) bool) bool {
	off := 0
	for {
		i := strings.Index(content[off:], word)
		if i < 0 {
			return false
		}
		i += off
		if (i == 0 || !isIdentByte(content[i-1])) && fn(content[i+len(word):]) {
			return true
		}
		off = i + len(word)
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentStart(s string) bool {
	return s != "" && isIdentByte(s[0]) && !(s[0] >= '0' && s[0] <= '9')
}

// skipIdent returns s after its leading identifier (and "::" separators when qualified).
func skipIdent(s string, qualified bool) string {
	i := 0
	for i < len(s) && (isIdentByte(s[i]) || qualified && s[i] == ':') {
		i++
	}
	return s[i:]
}

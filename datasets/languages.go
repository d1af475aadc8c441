package datasets

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Language names a programming language of the corpus. Its value is the lower-case name used in
// stable paths, manifests and Parquet columns.
type Language string

// The languages the walkers know.
const (
	Go         Language = "go"
	Python     Language = "python"
	Java       Language = "java"
	C          Language = "c"
	CPP        Language = "cpp"
	JavaScript Language = "javascript"
	TypeScript Language = "typescript"
	// Rust is read by the importers (HumanEvalPack has Rust) and the scorer; no source tree of
	// it is discovered on the machine, so mutation data has none unless a root is given.
	Rust Language = "rust"
)

// AllLanguages lists every known language in a fixed order (the order of reports).
var AllLanguages = []Language{Go, Python, Java, C, CPP, JavaScript, TypeScript, Rust}

// Valid reports whether l is one of AllLanguages.
func (l Language) Valid() bool {
	for _, k := range AllLanguages {
		if l == k {
			return true
		}
	}
	return false
}

// Family returns the languages a root of language l may yield: a C root (/usr/include) holds C
// and C++ headers, a JavaScript root holds JavaScript and TypeScript. The first element is l's
// family head (C for C++, JavaScript for TypeScript).
func (l Language) Family() []Language {
	switch l {
	case C, CPP:
		return []Language{C, CPP}
	case JavaScript, TypeScript:
		return []Language{JavaScript, TypeScript}
	default:
		return []Language{l}
	}
}

// extensions maps a lower-case file extension to its language. ".h" is C until the content check
// finds C++ in it (see classify).
var extensions = map[string]Language{
	".go":   Go,
	".py":   Python,
	".java": Java,
	".c":    C,
	".h":    C,
	".cc":   CPP,
	".cpp":  CPP,
	".cxx":  CPP,
	".c++":  CPP,
	".hh":   CPP,
	".hpp":  CPP,
	".hxx":  CPP,
	".h++":  CPP,
	".tcc":  CPP,
	".ipp":  CPP,
	".inl":  CPP,
	".js":   JavaScript,
	".mjs":  JavaScript,
	".cjs":  JavaScript,
	".jsx":  JavaScript,
	".ts":   TypeScript,
	".tsx":  TypeScript,
	".mts":  TypeScript,
	".cts":  TypeScript,
	".rs":   Rust,
}

// Extensions returns the file extensions (with the dot) of language l, sorted.
func Extensions(l Language) []string {
	var out []string
	for ext, k := range extensions {
		if k == l {
			out = append(out, ext)
		}
	}
	slices.Sort(out)
	return out
}

// LanguageOfName returns the language a file name suggests by its extension, and whether it is a
// candidate at all. Extension-less files are candidates (as C++) only below a "c++" directory,
// where the C++ standard library keeps its headers (/usr/include/c++/12/vector); the content
// check decides whether they are kept.
func LanguageOfName(name string) (Language, bool) {
	ext := strings.ToLower(path.Ext(name))
	if l, ok := extensions[ext]; ok {
		return l, true
	}
	if ext == "" && strings.Contains("/"+name, "/c++/") {
		return CPP, true
	}
	return "", false
}

// classify runs the light content check for a file whose name suggested language l. It returns
// the language the content shows (a ".h" with C++ in it is C++) and "" when the content does not
// look like source code of that language.
func classify(l Language, name, content string) Language {
	switch l {
	case Go:
		if goPackageClause(content) {
			return Go
		}
	case Python:
		if looksLikeText(content) {
			return Python
		}
	case Java:
		if javaDecl(content) {
			return Java
		}
	case C, CPP:
		ext := strings.ToLower(path.Ext(name))
		if ext == "" {
			// Extension-less C++ standard headers (<vector>, <cassert>): a preprocessor
			// directive must open the code, as in every header.
			if strings.HasPrefix(firstCode(content, true), "#") {
				return CPP
			}
			return ""
		}
		if !strings.ContainsAny(content, "#;{") {
			return ""
		}
		if l == C && ext == ".h" && hasCPP(content) {
			return CPP
		}
		return l
	case JavaScript:
		if hasJS(content) {
			return JavaScript
		}
	case TypeScript:
		if hasJS(content) || hasTS(content) {
			return TypeScript
		}
	case Rust:
		if hasRust(content) {
			return Rust
		}
	}
	return ""
}

// goPackageClause reports whether the first code after comments is a package clause.
func goPackageClause(content string) bool {
	return strings.HasPrefix(firstCode(content, false), "package ")
}

// looksLikeText reports whether content has few control characters (other than tab, newline,
// carriage return, form feed): NUL bytes are rejected before, this catches the rest.
func looksLikeText(content string) bool {
	ctl := 0
	for i := 0; i < len(content); i++ {
		c := content[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			ctl++
		}
	}
	return ctl*1000 <= len(content)
}

// firstCode returns the first line that is not blank and not inside a comment (//, /* */, and #
// lines when hashComments). It returns "" when the file holds only comments.
func firstCode(content string, hashComments bool) string {
	inBlock := false
	for len(content) > 0 {
		line := content
		if i := strings.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			content = ""
		}
		line = strings.TrimSpace(line)
		for line != "" {
			if inBlock {
				i := strings.Index(line, "*/")
				if i < 0 {
					line = ""
					break
				}
				inBlock = false
				line = strings.TrimSpace(line[i+2:])
				continue
			}
			if strings.HasPrefix(line, "/*") {
				inBlock = true
				line = line[2:]
				continue
			}
			break
		}
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		if hashComments && strings.HasPrefix(line, "#") && !isPreprocessor(line) {
			continue
		}
		return line
	}
	return ""
}

// isPreprocessor reports whether a "#" line is a C preprocessor directive.
func isPreprocessor(line string) bool {
	t := strings.TrimSpace(strings.TrimPrefix(line, "#"))
	for _, d := range []string{"include", "define", "if", "ifdef", "ifndef", "pragma", "undef", "error", "line", "elif", "else", "endif", "warning"} {
		if strings.HasPrefix(t, d) {
			return true
		}
	}
	return false
}

// ParseLanguage returns the Language named s (case-insensitive; "c++" is accepted for cpp).
func ParseLanguage(s string) (Language, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "c++" {
		t = "cpp"
	}
	if l := Language(t); l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("datasets: unknown language %q (known: %v)", s, AllLanguages)
}

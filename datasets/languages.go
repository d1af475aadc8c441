package datasets

import (
	"fmt"
	"path"
	"regexp"
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
)

// AllLanguages lists every known language in a fixed order (the order of reports).
var AllLanguages = []Language{Go, Python, Java, C, CPP, JavaScript, TypeScript}

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
		if javaDecl.MatchString(content) {
			return Java
		}
	case C, CPP:
		ext := strings.ToLower(path.Ext(name))
		if ext == "" {
			// Extension-less C++ standard headers: a preprocessor line must open the code and
			// C++ must show in it.
			if strings.HasPrefix(firstCode(content, true), "#") && cppMarker.MatchString(content) {
				return CPP
			}
			return ""
		}
		if !strings.ContainsAny(content, "#;{") {
			return ""
		}
		if l == C && ext == ".h" && cppMarker.MatchString(content) {
			return CPP
		}
		return l
	case JavaScript:
		if jsMarker.MatchString(content) {
			return JavaScript
		}
	case TypeScript:
		if jsMarker.MatchString(content) || tsMarker.MatchString(content) {
			return TypeScript
		}
	}
	return ""
}

var (
	// javaDecl matches a package, import, module or top-level type declaration.
	javaDecl = regexp.MustCompile(`(?m)^\s*((package|import|module|open\s+module)\s|((public|final|abstract|sealed|non-sealed|static|strictfp)\s+)*(class|interface|enum|record|@interface)\s+\w)`)
	// cppMarker matches constructs C does not have.
	cppMarker = regexp.MustCompile(`(?m)(\bnamespace\s+[\w:]*\s*\{|\btemplate\s*<|\bstd::|^\s*(public|private|protected)\s*:|\bclass\s+\w+\s*(final\s*)?[:{]|\busing\s+namespace\b|\bconstexpr\b|\bnullptr\b|extern\s+"C\+\+")`)
	jsMarker  = regexp.MustCompile(`(\bfunction\b|=>|\b(const|let|var|class|import|export)\s|\brequire\s*\(|module\.exports)`)
	tsMarker  = regexp.MustCompile(`\b(interface|type|declare|namespace|enum)\s+\w`)
)

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

// generatedMarker matches the usual "this file is generated" notes: Go's "Code generated ... DO
// NOT EDIT.", "@generated", "autogenerated", "automatically generated", parser generators' notes.
var generatedMarker = regexp.MustCompile(`(?i)(code generated\b.*\bdo not edit|@generated\b|\bauto-?generated\b|\bautomatically generated\b|\bmachine[- ]generated\b|\bmechanically generated\b|\bgenerated (by|from|with|using)\b|\bdo not edit\b|made by gnu bison)`)

// headerLines is how far into a file generated-file markers are looked for.
const headerLines = 40

// isGenerated reports why content looks generated ("" if not): a marker in the leading comment
// block (or in the first lines), minified code, or a file made mostly of data-table lines.
func isGenerated(content string) string {
	if generatedMarker.MatchString(header(content)) {
		return "marker"
	}
	if minified(content) {
		return "minified"
	}
	if dataTable(content) {
		return "table"
	}
	return ""
}

// header returns the first headerLines lines of content, capped at 8 KiB.
func header(content string) string {
	n, end := 0, 0
	for end < len(content) && n < headerLines && end < 8<<10 {
		i := strings.IndexByte(content[end:], '\n')
		if i < 0 {
			end = len(content)
			break
		}
		end += i + 1
		n++
	}
	if end > 8<<10 {
		end = 8 << 10
	}
	return content[:end]
}

// minified reports whether content looks minified: a very long line, or long lines on average.
func minified(content string) bool {
	lines, longest, cur := 1, 0, 0
	for i := 0; i < len(content); i++ {
		if content[i] == '\n' {
			lines++
			cur = 0
			continue
		}
		cur++
		if cur > longest {
			longest = cur
		}
	}
	return longest > 5000 || (len(content) > 2000 && len(content)/lines > 300)
}

// dataTable reports whether at least 100 code lines and 70 % of them hold only literals: numbers,
// short strings and punctuation, as in generated parser tables and character-map codecs.
func dataTable(content string) bool {
	code, data := 0, 0
	for _, line := range strings.Split(content, "\n") {
		t := strings.TrimSpace(stripLineComment(line))
		if t == "" {
			continue
		}
		code++
		if literalLine(t) {
			data++
		}
	}
	return code >= 100 && data*10 >= code*7
}

// stripLineComment cuts a trailing # or // comment (outside quotes, naively).
func stripLineComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#':
			return line[:i]
		case c == '/' && i+1 < len(line) && line[i+1] == '/':
			return line[:i]
		}
	}
	return line
}

// literalLine reports whether a line (comment stripped) has only literals and punctuation.
func literalLine(t string) bool {
	var quote byte
	for i := 0; i < len(t); i++ {
		c := t[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch {
		case c == '\'' || c == '"':
			quote = c
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case strings.IndexByte(" \txXuUlL,;:()[]{}+-.\\", c) >= 0:
		default:
			return false
		}
	}
	return true
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

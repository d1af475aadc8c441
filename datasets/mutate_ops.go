package datasets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// site is one place an operator mutant can edit: src[start:end] on line becomes to.
type site struct {
	line, start, end int
	to               string
}

// OperatorMutant makes one mutant of p with a token operator, at a site drawn with r. It
// returns ErrNoSite when the operator finds nothing to mutate. The edited line is labeled 1 and
// OriginalLine is the identity (an operator mutant never adds or removes a line).
func (p *Program) OperatorMutant(op Operator, r *rand.Rand) (Mutant, error) {
	if !slices.Contains(TokenOperators, op) {
		return Mutant{}, fmt.Errorf("%q is not an operator mutant (%v)", op, TokenOperators)
	}
	s := p.sites(op)
	if len(s) == 0 {
		return Mutant{}, ErrNoSite
	}
	return p.applySite(op, s[intn(r, len(s))]), nil
}

// Sites returns how many places op could mutate in p (a token operator).
func (p *Program) Sites(op Operator) int { return len(p.sites(op)) }

// applySite builds the mutant of one site.
func (p *Program) applySite(op Operator, s site) Mutant {
	code := p.Code[:s.start] + s.to + p.Code[s.end:]
	n := len(p.lines)
	labels, orig := make([]int32, n), make([]int32, n)
	for i := range orig {
		orig[i] = int32(i)
	}
	labels[s.line] = 1
	lineStart := s.start - strings.LastIndexByte(p.Code[:s.start], '\n') - 1
	return Mutant{Task: string(op), Code: code, Labels: labels, OriginalLine: orig,
		Edits: []Edit{{Op: op, Orig: s.line, From: p.Code[s.start:s.end], To: s.to, Col: lineStart}}}
}

// sites lists every site of op in p, in source order. Sites never span lines and never touch
// comments, strings or preprocessor lines.
func (p *Program) sites(op Operator) []site {
	var out []site
	span := func(start, end, line int, to string) { // src[start:end] becomes to
		if strings.ContainsRune(to, '\n') || strings.ContainsRune(p.Code[start:end], '\n') || p.Code[start:end] == to {
			return
		}
		out = append(out, site{line: line, start: start, end: end, to: to})
	}
	add := func(i, j int, to string) { // tokens i..j (inclusive) become to
		if a, b := p.toks[i], p.toks[j]; a.line == b.line {
			span(a.start, b.end, a.line, to)
		}
	}
	var uses [][]string // per line, the variable names used (wrong_variable)
	if op == OpWrongVariable {
		uses = make([][]string, len(p.lines))
		for i, t := range p.toks {
			if p.isVariableUse(i) {
				uses[t.line] = append(uses[t.line], p.text(i))
			}
		}
	}
	for i := range p.toks {
		switch op {
		case OpComparisonFlip:
			if to, ok := comparisonFlip[p.text(i)]; ok && p.isComparison(i) {
				add(i, i, to)
			}
		case OpOffByOne:
			if to, ok := boundShift[p.text(i)]; ok && p.isComparison(i) {
				add(i, i, to)
			}
			if p.isBoundLiteral(i) {
				n, _ := strconv.Atoi(p.text(i))
				if n > 0 {
					add(i, i, strconv.Itoa(n-1))
				}
				add(i, i, strconv.Itoa(n+1))
			}
		case OpArithmeticSwap:
			t := p.text(i)
			if to, ok := arithmeticSwap[t]; ok && p.isBinary(i) {
				add(i, i, to)
			}
			if to, ok := compoundSwap[t]; ok && p.toks[i].kind == tkOp {
				if (t == "++" || t == "--") && p.Language == Python {
					break
				}
				add(i, i, to)
			}
		case OpBooleanNegation:
			p.booleanSites(i, add, span)
		case OpSwapArguments:
			p.swapSites(i, span)
		case OpWrongVariable:
			p.wrongVariableSites(i, uses, span)
		}
	}
	return out
}

var (
	comparisonFlip = map[string]string{"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "===": "!==", "!==": "==="}
	boundShift     = map[string]string{"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
	arithmeticSwap = map[string]string{"+": "-", "-": "+", "*": "/", "/": "*"}
	compoundSwap   = map[string]string{"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=", "++": "--", "--": "++"}
	// valueWords are keywords that stand for values (operands).
	valueWords = wordSet("true false nil null None True False this self undefined iota")
	// notCallees are keywords that take a parenthesis without being a call.
	notCallees = wordSet(`if for while switch catch return func def class elif with assert not and or in is
		sizeof typeof alignof decltype function fn new delete throw await yield else case lambda
		synchronized foreach until when match`)
	// declWords precede a declared name, never a use.
	declWords = wordSet(`for var let const def class func struct enum union new import package from as goto
		type interface namespace typedef extends implements throws record`)
)

// text returns the source text of token i.
func (p *Program) text(i int) string { t := p.toks[i]; return p.Code[t.start:t.end] }

// tok returns the text of token i, or "" out of range or on another line than line.
func (p *Program) tokOn(i, line int) string {
	if i < 0 || i >= len(p.toks) || p.toks[i].line != line {
		return ""
	}
	if k := p.toks[i].kind; k == tkString || k == tkDirective {
		return "\x00str" // a literal: a placeholder no rule matches as an operator
	}
	return p.text(i)
}

// isOperand reports whether token i (on line) can end or start an operand: an identifier that is
// not a keyword (or is a value keyword), a number or a string.
func (p *Program) isOperand(i, line int, closing bool) bool {
	if i < 0 || i >= len(p.toks) || p.toks[i].line != line {
		return false
	}
	switch t := p.toks[i]; t.kind {
	case tkNumber, tkString:
		return true
	case tkIdent:
		w := p.text(i)
		return !keywords[p.Language][w] || valueWords[w]
	case tkOp:
		w := p.text(i)
		if closing {
			return w == ")" || w == "]"
		}
		return w == "("
	}
	return false
}

// spaced reports the whitespace right before and right after token i.
func (p *Program) spaced(i int) (before, after bool) {
	t := p.toks[i]
	before = t.start > 0 && (p.Code[t.start-1] == ' ' || p.Code[t.start-1] == '\t')
	after = t.end < len(p.Code) && (p.Code[t.end] == ' ' || p.Code[t.end] == '\t')
	return before, after
}

// isComparison reports whether operator token i compares two operands. < and > and their
// compounds need a space on both sides (generics, includes and templates have none), == and !=
// need operands around them.
func (p *Program) isComparison(i int) bool {
	t := p.toks[i]
	if t.kind != tkOp {
		return false
	}
	w := p.text(i)
	if w == "==" || w == "!=" || w == "===" || w == "!==" {
		return p.isOperand(i-1, t.line, true) && p.isOperand(i+1, t.line, false)
	}
	before, after := p.spaced(i)
	return before && after && p.isOperand(i-1, t.line, true) && p.isOperand(i+1, t.line, false)
}

// isBinary reports whether operator token i (+ - * /) joins two operands, with the same spacing
// on both sides (a * b, a*b; not *p, -x or int *p), neither of them a string (concatenation).
func (p *Program) isBinary(i int) bool {
	t := p.toks[i]
	if t.kind != tkOp {
		return false
	}
	before, after := p.spaced(i)
	if before != after {
		return false
	}
	if !p.isOperand(i-1, t.line, true) || !p.isOperand(i+1, t.line, false) {
		return false
	}
	return p.toks[i-1].kind != tkString && p.toks[i+1].kind != tkString
}

// isBoundLiteral reports whether token i is a decimal integer literal in a bound: right after a
// comparison, inside an index [..] of its line, the argument of range(...), or added to or
// subtracted from something on a line that compares or loops.
func (p *Program) isBoundLiteral(i int) bool {
	t := p.toks[i]
	if t.kind != tkNumber {
		return false
	}
	w := p.text(i)
	if strings.Trim(w, "0123456789") != "" || len(w) > 9 || (len(w) > 1 && w[0] == '0') {
		return false
	}
	prev := p.tokOn(i-1, t.line)
	switch prev {
	case "<", "<=", ">", ">=", "==", "!=":
		return true
	case "(":
		if p.tokOn(i-2, t.line) == "range" {
			return true
		}
	case "+", "-":
		if !p.isBinary(i - 1) {
			return false
		}
		for _, j := range p.lineToks[t.line] {
			switch p.text(j) {
			case "<", "<=", ">", ">=", "for", "while", "range":
				return true
			}
		}
	}
	// Inside brackets: an unmatched "[" before it on the line.
	depth := 0
	for j := i - 1; j >= 0 && p.toks[j].line == t.line; j-- {
		switch p.text(j) {
		case "]":
			depth++
		case "[":
			if depth == 0 {
				return true
			}
			depth--
		}
	}
	return false
}

// booleanSites adds the boolean-negation sites at token i.
func (p *Program) booleanSites(i int, add func(i, j int, to string), span func(start, end, line int, to string)) {
	t := p.toks[i]
	w := p.text(i)
	switch {
	case t.kind == tkIdent && p.Language == Python && (w == "True" || w == "False"):
		add(i, i, map[string]string{"True": "False", "False": "True"}[w])
	case t.kind == tkIdent && p.Language != Python && (w == "true" || w == "false"):
		add(i, i, map[string]string{"true": "false", "false": "true"}[w])
	case t.kind == tkOp && w == "!" && p.Language != Python:
		if p.Language == Rust && i > 0 && p.toks[i-1].kind == tkIdent && p.toks[i-1].end == t.start {
			return // a macro call: println!(...)
		}
		// !x -> x, !(...) -> (...)
		if p.isOperand(i+1, t.line, false) && p.toks[i+1].start == t.end {
			span(t.start, p.toks[i+1].start, t.line, "")
		}
	case t.kind == tkIdent && p.Language == Python && w == "not":
		if nx := p.tokOn(i+1, t.line); nx != "" && nx != "in" && p.isOperand(i+1, t.line, false) {
			span(t.start, p.toks[i+1].start, t.line, "")
		}
	case t.kind == tkIdent && (w == "if" || w == "while" || w == "elif" && p.Language == Python):
		p.negateCondition(i, span)
	}
}

// negateCondition adds the site negating the condition of the if/while at token i: if (c) to
// if (!(c)) in C, C++, Java, JavaScript; if c { to if !(c) { in Go (after an init statement) and
// Rust (not if let); if c: to if not (c): in Python.
func (p *Program) negateCondition(i int, span func(start, end, line int, to string)) {
	line := p.toks[i].line
	toks := p.lineToks[line]
	last := toks[len(toks)-1]
	switch p.Language {
	case Python:
		if p.text(last) != ":" || last <= i+1 {
			return
		}
		a, b := p.toks[i+1].start, p.toks[last-1].end
		span(a, b, line, "not ("+p.Code[a:b]+")")
	case Go, Rust:
		if p.text(last) != "{" || last <= i+1 || p.text(i+1) == "let" { // Rust's if let / while let binds
			return
		}
		first := i + 1
		depth := 0
		for j := i + 1; j < last; j++ {
			switch p.text(j) {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			case ";":
				if depth == 0 {
					first = j + 1
				}
			}
		}
		if first >= last || depth != 0 {
			return
		}
		a, b := p.toks[first].start, p.toks[last-1].end
		span(a, b, line, "!("+p.Code[a:b]+")")
	default:
		if p.tokOn(i+1, line) != "(" {
			return
		}
		closeAt := p.matching(i + 1)
		if closeAt < 0 {
			return
		}
		a, b := p.toks[i+1].start, p.toks[closeAt].end
		span(a, b, line, "(!"+p.Code[a:b]+")")
	}
}

// matching returns the token closing the bracket at token open on the same line, or -1.
func (p *Program) matching(open int) int {
	line := p.toks[open].line
	depth := 0
	for j := open; j < len(p.toks) && p.toks[j].line == line; j++ {
		if p.toks[j].kind != tkOp {
			continue
		}
		switch p.text(j) {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// swapSites adds the sites swapping two adjacent arguments of a call whose callee is token i.
func (p *Program) swapSites(i int, span func(start, end, line int, to string)) {
	t := p.toks[i]
	if t.kind != tkIdent || p.tokOn(i+1, t.line) != "(" || notCallees[p.text(i)] || p.declarationLine(t.line) {
		return
	}
	// int f(int a, int b), Type f(...): a name before the callee makes it a declaration.
	if prev := p.tokOn(i-1, t.line); prev != "" && p.toks[i-1].kind == tkIdent && !callPrefixes[prev] {
		return
	}
	closeAt := p.matching(i + 1)
	if closeAt < 0 {
		return
	}
	// Split the arguments at top-level commas.
	type arg struct{ first, last int }
	var args []arg
	cur := arg{first: -1}
	depth := 0
	bad := false
	for j := i + 2; j < closeAt; j++ {
		w := p.text(j)
		if p.toks[j].kind == tkOp {
			switch w {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			case ",":
				if depth == 0 {
					args = append(args, cur)
					cur = arg{first: -1}
					continue
				}
			case "=", "*", "**", "...", ":":
				if depth == 0 && (w != "*" || cur.first < 0) {
					bad = true // keyword arguments, unpacking, slices
				}
			}
		}
		if cur.first < 0 {
			cur.first = j
		}
		cur.last = j
	}
	args = append(args, cur)
	if bad || len(args) < 2 {
		return
	}
	for k := 0; k+1 < len(args); k++ {
		a, b := args[k], args[k+1]
		if a.first < 0 || b.first < 0 {
			return
		}
		as, ae := p.toks[a.first].start, p.toks[a.last].end
		bs, be := p.toks[b.first].start, p.toks[b.last].end
		x, y := p.Code[as:ae], p.Code[bs:be]
		if NormalizeLine(x) == NormalizeLine(y) {
			continue
		}
		span(as, be, t.line, y+p.Code[ae:bs]+x)
	}
}

// callPrefixes are the words that may stand right before a call.
var callPrefixes = wordSet("return await yield throw else case in not and or new go defer do")

// declarationLine reports whether a line opens a declaration (func, def, function, class,
// import, package, access modifiers) or is a preprocessor line.
func (p *Program) declarationLine(line int) bool {
	toks := p.lineToks[line]
	if len(toks) == 0 {
		return true
	}
	first := p.toks[toks[0]]
	if first.kind == tkDirective {
		return true
	}
	switch p.Code[first.start:first.end] {
	case "func", "def", "function", "async", "class", "import", "package", "from", "public", "private", "protected", "static", "@":
		return true
	case "fn", "pub", "impl", "struct", "enum", "trait", "use", "mod":
		if p.Language == Rust {
			return true
		}
	}
	if p.Language == Go || p.Language == Python || p.Language == Rust {
		return false
	}
	// C, C++, Java, JavaScript: a function head "int f(", "static char *g(", "Foo::bar(" has
	// two names or more, and nothing but names and * & :: < > , [ ], before its first "(".
	names := 0
	for _, j := range toks {
		t := p.toks[j]
		w := p.Code[t.start:t.end]
		switch {
		case t.kind == tkIdent && (notCallees[w] || callPrefixes[w]):
			return false
		case t.kind == tkIdent:
			names++
		case w == "(":
			return names >= 2
		case t.kind == tkOp && strings.Contains("* & :: < > , [ ]", w):
		default:
			return false
		}
	}
	return false
}

// typeWords are the keywords that name a type (or qualify a declaration) before a declared name.
var typeWords = wordSet(`int char long short float double unsigned signed void bool boolean byte const
	static final var let auto register volatile extern struct union enum size_t ssize_t string String
	int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t uintptr_t _Bool wchar_t`)

// isVariableUse reports whether identifier token i looks like a variable use: not a keyword,
// lower case or '_' first, not a field or method (after . -> ::), not called, not a package or
// object whose member is taken (before .), not being declared, not a keyword argument or key.
func (p *Program) isVariableUse(i int) bool {
	t := p.toks[i]
	if t.kind != tkIdent {
		return false
	}
	w := p.text(i)
	if keywords[p.Language][w] || valueWords[w] || !(w[0] == '_' || w[0] >= 'a' && w[0] <= 'z') {
		return false
	}
	prev, next := p.tokOn(i-1, t.line), p.tokOn(i+1, t.line)
	switch prev {
	case ".", "->", "::", "?.", "#", "@":
		return false
	}
	if declWords[prev] || i > 0 && p.toks[i-1].kind == tkIdent && p.toks[i-1].line == t.line && (!keywords[p.Language][prev] || typeWords[prev]) {
		return false // int x, Type x
	}
	switch next {
	case "(", ".", ":=", "::", "->", "?.":
		return false
	case "!":
		if p.Language == Rust {
			return false // a macro: println!(...)
		}
	case ":":
		if p.Language != Python && p.Language != C && p.Language != CPP {
			return false // Go and JavaScript keys
		}
	case "=":
		if prev == "(" || prev == "," {
			return false // keyword argument
		}
	}
	return true
}

// wrongVariableSites adds the sites replacing the variable at token i with another variable
// used within 15 lines.
func (p *Program) wrongVariableSites(i int, uses [][]string, span func(start, end, line int, to string)) {
	t := p.toks[i]
	if !p.isVariableUse(i) || p.declarationLine(t.line) {
		return
	}
	w := p.text(i)
	var names []string
	for l := max(0, t.line-15); l <= min(len(p.lines)-1, t.line+15); l++ {
		for _, n := range uses[l] {
			if n != w && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		span(t.start, t.end, t.line, n)
	}
}

package datasets

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tinyPy is the hand-written program of the operator tests (7 lines, line 3 blank).
const tinyPy = "def f(a, b):\n    x = a + b\n    y = a * b\n\n    if x > y:\n        return x\n    return y\n"

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

func tinyProgram(t *testing.T) *Program {
	p, err := NewProgram(Python, "tiny.py", tinyPy)
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 2, 4, 5, 6}, p.EligibleLines())
	return p
}

var tinyDonors = []DonorLine{{Text: "\tprint(z)", Origin: "other.py:3"}, {Text: "z = 0", Origin: "other.py:1"}}

// checkMutant verifies the invariants every mutant keeps: one label and one alignment per line,
// unlabeled lines equal to the original line they align to, labeled lines changed unless they
// neighbour a deletion, and one deletion per original line nothing aligns to.
func checkMutant(t *testing.T, original string, m Mutant) {
	t.Helper()
	lines, orig := CodeLines(m.Code), CodeLines(original)
	require.Len(t, m.Labels, len(lines))
	require.Len(t, m.OriginalLine, len(lines))
	deletions := 0
	for _, e := range m.Edits {
		if e.Op == OpDeleteLine {
			deletions++
		}
	}
	used := map[int32]bool{}
	for i, o := range m.OriginalLine {
		require.GreaterOrEqual(t, o, int32(-1))
		if o >= 0 {
			require.False(t, used[o], "original line %d aligned twice", o)
			used[o] = true
			if i > 0 && m.OriginalLine[i-1] >= 0 {
				require.Greater(t, o, m.OriginalLine[i-1], "alignment not increasing")
			}
		}
		switch {
		case m.Labels[i] == 0:
			require.GreaterOrEqual(t, o, int32(0), "unlabeled line %d not aligned", i)
			require.Equal(t, orig[o], lines[i], "unlabeled line %d differs from its original", i)
		case o >= 0 && lines[i] == orig[o]:
			require.Positive(t, deletions, "labeled line %d unchanged without a deletion", i)
		}
	}
	require.Equal(t, deletions, len(orig)-len(used))
}

func TestReplaceLine(t *testing.T) {
	p := tinyProgram(t)
	m, err := p.LineMutant([]Operator{OpReplaceLine}, 0.34, nil, seeded(7))
	require.NoError(t, err)
	// round(0.34 × 6 eligible lines) = 2 lines, each replaced by another line of the program,
	// re-indented to the replaced line.
	require.Equal(t, "if x > y:\n    x = a + b\n    y = a * b\n\n    if x > y:\n        return y\n    return y\n", m.Code)
	require.Equal(t, []int32{1, 0, 0, 0, 0, 1, 0}, m.Labels)
	require.Equal(t, []int32{0, 1, 2, 3, 4, 5, 6}, m.OriginalLine)
	require.Equal(t, string(OpReplaceLine), m.Task)
	require.Len(t, m.Edits, 2)
	require.Equal(t, Edit{Op: OpReplaceLine, Orig: 5, From: "        return x", To: "        return y", Donor: "tiny.py:7"}, m.Edits[1])
	checkMutant(t, tinyPy, m)
}

func TestInsertLine(t *testing.T) {
	p := tinyProgram(t)
	m, err := p.LineMutant([]Operator{OpInsertLine}, 0.34, tinyDonors, seeded(7))
	require.NoError(t, err)
	require.Equal(t, "z = 0\ndef f(a, b):\n    x = a + b\n    y = a * b\n\n    if x > y:\n        z = 0\n        return x\n    return y\n", m.Code)
	require.Equal(t, []int32{1, 0, 0, 0, 0, 0, 1, 0, 0}, m.Labels)
	require.Equal(t, []int32{-1, 0, 1, 2, 3, 4, -1, 5, 6}, m.OriginalLine)
	require.Equal(t, "other.py:1", m.Edits[0].Donor)
	checkMutant(t, tinyPy, m)
	// Without donors there is nothing to insert.
	_, err = p.LineMutant([]Operator{OpInsertLine}, 0.34, nil, seeded(7))
	require.ErrorIs(t, err, ErrNoSite)
}

func TestDeleteLine(t *testing.T) {
	p := tinyProgram(t)
	m, err := p.LineMutant([]Operator{OpDeleteLine}, 0.34, nil, seeded(7))
	require.NoError(t, err)
	// Lines 0 and 5 deleted: the deletion at the start labels the new first line, the other
	// one the line before it.
	require.Equal(t, "    x = a + b\n    y = a * b\n\n    if x > y:\n    return y\n", m.Code)
	require.Equal(t, []int32{1, 0, 0, 1, 0}, m.Labels)
	require.Equal(t, []int32{1, 2, 3, 4, 6}, m.OriginalLine)
	checkMutant(t, tinyPy, m)
}

func TestLineEditsByHand(t *testing.T) {
	p := tinyProgram(t)
	cases := []struct {
		name   string
		edits  []lineEdit
		code   string
		labels []int32
		orig   []int32
	}{
		{"replace", []lineEdit{{op: OpReplaceLine, target: 2, text: "    return x"}},
			"def f(a, b):\n    x = a + b\n    return x\n\n    if x > y:\n        return x\n    return y\n",
			[]int32{0, 0, 1, 0, 0, 0, 0}, []int32{0, 1, 2, 3, 4, 5, 6}},
		{"insert", []lineEdit{{op: OpInsertLine, target: 4, text: "    print(z)"}},
			"def f(a, b):\n    x = a + b\n    y = a * b\n\n    print(z)\n    if x > y:\n        return x\n    return y\n",
			[]int32{0, 0, 0, 0, 1, 0, 0, 0}, []int32{0, 1, 2, 3, -1, 4, 5, 6}},
		// The line before the deletion point is blank: the non-blank line before it is labeled.
		{"delete after blank", []lineEdit{{op: OpDeleteLine, target: 4}},
			"def f(a, b):\n    x = a + b\n    y = a * b\n\n        return x\n    return y\n",
			[]int32{0, 0, 1, 0, 0, 0}, []int32{0, 1, 2, 3, 5, 6}},
		{"delete first", []lineEdit{{op: OpDeleteLine, target: 0}},
			"    x = a + b\n    y = a * b\n\n    if x > y:\n        return x\n    return y\n",
			[]int32{1, 0, 0, 0, 0, 0}, []int32{1, 2, 3, 4, 5, 6}},
		{"delete last", []lineEdit{{op: OpDeleteLine, target: 6}},
			"def f(a, b):\n    x = a + b\n    y = a * b\n\n    if x > y:\n        return x\n",
			[]int32{0, 0, 0, 0, 0, 1}, []int32{0, 1, 2, 3, 4, 5}},
		{"mixed", []lineEdit{{op: OpDeleteLine, target: 1}, {op: OpInsertLine, target: 2, text: "    z = 0"}, {op: OpReplaceLine, target: 6, text: "    return x"}},
			"def f(a, b):\n    z = 0\n    y = a * b\n\n    if x > y:\n        return x\n    return x\n",
			[]int32{1, 1, 0, 0, 0, 0, 1}, []int32{0, -1, 2, 3, 4, 5, 6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := p.applyLineEdits("t", c.edits)
			require.Equal(t, c.code, m.Code)
			require.Equal(t, c.labels, m.Labels)
			require.Equal(t, c.orig, m.OriginalLine)
			checkMutant(t, tinyPy, m)
			if len(c.edits) == 1 {
				// A single edit gets the labels the diff against the original gives.
				l, _, err := DiffLabels(Python, m.Code, tinyPy, 0)
				require.NoError(t, err)
				require.Equal(t, c.labels, l)
			}
		})
	}
}

func TestLineEditsKeepLineEndings(t *testing.T) {
	code := "a = 1\r\nb = 2\r\nc = 3"
	p, err := NewProgram(Python, "crlf.py", code)
	require.NoError(t, err)
	m := p.applyLineEdits("t", []lineEdit{{op: OpInsertLine, target: 2, text: "z = 0"}, {op: OpDeleteLine, target: 0}})
	require.Equal(t, "b = 2\r\nz = 0\r\nc = 3", m.Code)
	require.Equal(t, []int32{1, 1, 0}, m.Labels)
	require.Equal(t, []int32{1, -1, 2}, m.OriginalLine)
}

func TestLineMutantRate(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString("x" + strings.Repeat("y", i) + " = " + strings.Repeat("1", i+1) + "\n")
	}
	p, err := NewProgram(Python, "rate.py", b.String())
	require.NoError(t, err)
	for _, rate := range []float64{0.15, 0.2, 0.25} {
		for _, op := range LineOperators {
			m, err := p.LineMutant([]Operator{op}, rate, tinyDonors, seeded(3))
			require.NoError(t, err)
			require.Len(t, m.Edits, int(rate*40+0.5), "%s at %v", op, rate)
			checkMutant(t, p.Code, m)
		}
	}
	// Mixed operators: Task line_mixed, each edit with its own operator.
	m, err := p.LineMutant(LineOperators, 0.25, tinyDonors, seeded(3))
	require.NoError(t, err)
	require.Equal(t, TaskLineMixed, m.Task)
	ops := map[Operator]bool{}
	for _, e := range m.Edits {
		ops[e.Op] = true
	}
	require.Len(t, ops, 3)
	checkMutant(t, p.Code, m)
}

func TestReplaceLineNeedsADifferentLine(t *testing.T) {
	p, err := NewProgram(Python, "same.py", strings.Repeat("x += 1\n", 6))
	require.NoError(t, err)
	_, err = p.LineMutant([]Operator{OpReplaceLine}, 0.2, nil, seeded(1))
	require.ErrorIs(t, err, ErrNoSite)
}

// mutantOf runs one operator on code and returns the mutant.
func mutantOf(t *testing.T, lang Language, code string, op Operator, seed uint64) Mutant {
	t.Helper()
	p, err := NewProgram(lang, "x", code)
	require.NoError(t, err)
	m, err := p.OperatorMutant(op, seeded(seed))
	require.NoError(t, err)
	checkMutant(t, code, m)
	require.Equal(t, string(op), m.Task)
	return m
}

// siteList renders every site of op in code as "line:from->to".
func siteList(t *testing.T, lang Language, code string, op Operator) []string {
	t.Helper()
	p, err := NewProgram(lang, "x", code)
	require.NoError(t, err)
	var out []string
	for _, s := range p.sites(op) {
		out = append(out, strings.Join([]string{itoa(s.line + 1), ":", p.Code[s.start:s.end], "->", s.to}, ""))
	}
	return out
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestOperatorMutantsOnTinyProgram(t *testing.T) {
	cases := []struct {
		op   Operator
		line int // the labeled line
		code string
	}{
		{OpComparisonFlip, 4, "def f(a, b):\n    x = a + b\n    y = a * b\n\n    if x <= y:\n        return x\n    return y\n"},
		{OpOffByOne, 4, "def f(a, b):\n    x = a + b\n    y = a * b\n\n    if x >= y:\n        return x\n    return y\n"},
		{OpArithmeticSwap, 1, "def f(a, b):\n    x = a - b\n    y = a * b\n\n    if x > y:\n        return x\n    return y\n"},
		{OpBooleanNegation, 4, "def f(a, b):\n    x = a + b\n    y = a * b\n\n    if not (x > y):\n        return x\n    return y\n"},
		{OpWrongVariable, 4, "def f(a, b):\n    x = a + b\n    y = a * b\n\n    if x > b:\n        return x\n    return y\n"},
	}
	for _, c := range cases {
		t.Run(string(c.op), func(t *testing.T) {
			m := mutantOf(t, Python, tinyPy, c.op, 7)
			require.Equal(t, c.code, m.Code)
			want := make([]int32, 7)
			want[c.line] = 1
			require.Equal(t, want, m.Labels)
			require.Equal(t, []int32{0, 1, 2, 3, 4, 5, 6}, m.OriginalLine)
		})
	}
	p := tinyProgram(t)
	_, err := p.OperatorMutant(OpSwapArguments, seeded(7))
	require.ErrorIs(t, err, ErrNoSite) // no call in tinyPy
	_, err = p.OperatorMutant(OpReplaceLine, seeded(7))
	require.Error(t, err)
}

func TestComparisonFlipSites(t *testing.T) {
	// Go: comments, strings, raw strings and runes are left alone; == needs operands.
	goSrc := "package a\n\n// a < b\nfunc f(a, b int) bool {\n\ts := `x < y` + \"<=\" + string('<')\n\treturn a < b && s == \"\" || a != b /* a > b */\n}\n"
	require.Equal(t, []string{"06:<->>=", "06:==->!=", "06:!=->=="}, siteList(t, Go, goSrc, OpComparisonFlip))
	// Python: comments, strings, docstrings; a multi-line docstring spans lines.
	pySrc := "def f(a, b):\n    \"\"\"True if a < b.\n    a > b otherwise\"\"\"\n    s = 'x < y'  # a < b\n    return a < b or s == f'{a}<{b}'\n"
	require.Equal(t, []string{"05:<->>=", "05:==->!="}, siteList(t, Python, pySrc, OpComparisonFlip))
	// C: preprocessor lines (with continuations) and comments; pointer arrows are not compares.
	cSrc := "#include <stdio.h>\n#define LT(a, b) \\\n  ((a) < (b))\n/* a < b */\nint f(int a, int b) { return p->x > a ? a >= b : 0; }\n"
	require.Equal(t, []string{"05:>-><=", "05:>=-><"}, siteList(t, C, cSrc, OpComparisonFlip))
	// Java: generics and text blocks.
	javaSrc := "class A {\n  List<String> xs = new ArrayList<>();\n  String s = \"\"\"\n    a < b\n    \"\"\";\n  boolean f(int a, int b) { return a < b; }\n}\n"
	require.Equal(t, []string{"06:<->>="}, siteList(t, Java, javaSrc, OpComparisonFlip))
	// JavaScript: template literals, strict equality.
	jsSrc := "const f = (a, b) => `${a} < ${b}` + (a === b);\n"
	require.Equal(t, []string{"01:===->!=="}, siteList(t, JavaScript, jsSrc, OpComparisonFlip))
}

func TestOffByOneSites(t *testing.T) {
	src := "func f(xs []int, n int) int {\n\tfor i := 0; i < n; i++ {\n\t}\n\treturn xs[n-1] + xs[0] + 7\n}\n"
	require.Equal(t, []string{"02:<-><=", "04:1->0", "04:1->2", "04:0->1"}, siteList(t, Go, src, OpOffByOne))
	py := "for i in range(10):\n    if i >= 3:\n        x = y[2:]\n"
	require.Equal(t, []string{"01:10->9", "01:10->11", "02:>=->>", "02:3->2", "02:3->4", "03:2->1", "03:2->3"}, siteList(t, Python, py, OpOffByOne))
}

func TestArithmeticSwapSites(t *testing.T) {
	// Binary operators with the same spacing on both sides; not unary minus, pointers, exponents
	// or string concatenation; compound assignments and ++/--.
	src := "int f(int *p, int a) {\n    int b = -a * 2 + *p;\n    b += a/2 - 1e-3;\n    b++;\n    return b + \"s\";\n}\n"
	require.Equal(t, []string{"02:*->/", "03:+=->-=", "03:/->*", "03:-->+", "04:++->--"}, siteList(t, C, src, OpArithmeticSwap))
	py := "x = a ** 2 + b // 2\nx -= 1\ns = 'a' + b\nf(*args)\n"
	require.Equal(t, []string{"01:+->-", "02:-=->+="}, siteList(t, Python, py, OpArithmeticSwap))
}

func TestBooleanNegationSites(t *testing.T) {
	src := "func f(ok bool) bool {\n\tif x := g(); !ok && x > 0 {\n\t\treturn true\n\t}\n\treturn false\n}\n"
	require.Equal(t, []string{"02:!ok && x > 0->!(!ok && x > 0)", "02:!->", "03:true->false", "05:false->true"}, siteList(t, Go, src, OpBooleanNegation))
	py := "while not done:\n    if x in y and not z:\n        pass\nok = x not in y or True\n"
	require.Equal(t, []string{"01:not done->not (not done)", "01:not ->", "02:x in y and not z->not (x in y and not z)", "02:not ->", "04:True->False"}, siteList(t, Python, py, OpBooleanNegation))
	java := "class A {\n  void f() {\n    while (!(a < b)) { g(); }\n  }\n}\n"
	require.Equal(t, []string{"03:(!(a < b))->(!(!(a < b)))", "03:!->"}, siteList(t, Java, java, OpBooleanNegation))
}

func TestSwapArgumentsSites(t *testing.T) {
	src := "func f(a, b int) int {\n\tcopy(dst, src)\n\treturn max(a, b, a) + g(h(a, b), \"x\")\n}\n"
	require.Equal(t, []string{"02:dst, src->src, dst", "03:a, b->b, a", "03:b, a->a, b", "03:h(a, b), \"x\"->\"x\", h(a, b)", "03:a, b->b, a"}, siteList(t, Go, src, OpSwapArguments))
	// Declarations, keyword arguments and unpacking are left alone.
	py := "def f(a, b):\n    g(a, key=b)\n    h(*a, b)\n    return k(a, b)\n"
	require.Equal(t, []string{"04:a, b->b, a"}, siteList(t, Python, py, OpSwapArguments))
	c := "static int add(int a, int b) {\n    return sub(b, a);\n}\nint mul(int a, int b);\n"
	require.Equal(t, []string{"02:b, a->a, b"}, siteList(t, C, c, OpSwapArguments))
	m := mutantOf(t, C, c, OpSwapArguments, 1)
	require.Equal(t, "static int add(int a, int b) {\n    return sub(a, b);\n}\nint mul(int a, int b);\n", m.Code)
}

func TestWrongVariableSites(t *testing.T) {
	// Declarations, fields, callees, packages and types are not variables.
	src := "int f(int n) {\n    int total = 0;\n    total = total + s.count + n;\n    return g(total);\n}\n"
	got := siteList(t, C, src, OpWrongVariable)
	require.Equal(t, []string{"03:total->n", "03:total->n", "03:n->total", "04:total->n"}, got)
	m := mutantOf(t, C, src, OpWrongVariable, 2)
	require.Equal(t, []int32{0, 0, 0, 1, 0}, m.Labels)
	require.Contains(t, []string{
		"int f(int n) {\n    int total = 0;\n    n = total + s.count + n;\n    return g(total);\n}\n",
		"int f(int n) {\n    int total = 0;\n    total = n + s.count + n;\n    return g(total);\n}\n",
		"int f(int n) {\n    int total = 0;\n    total = total + s.count + total;\n    return g(total);\n}\n",
		"int f(int n) {\n    int total = 0;\n    total = total + s.count + n;\n    return g(n);\n}\n",
	}, m.Code)
}

func TestOperatorMutantsFixturePrograms(t *testing.T) {
	// Every operator finds a site in at least one fixture program of each of Go, Python, Java
	// and C, and every mutant keeps the invariants.
	dir := filepath.Join("testdata", "mutate")
	files := map[Language]string{Go: "pkg/stack.go", Python: "queue.py", Java: "Counter.java", C: "sum.c"}
	found := map[Operator]int{}
	for lang, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		p, err := NewProgram(lang, name, string(data))
		require.NoError(t, err)
		for _, op := range TokenOperators {
			for _, s := range p.sites(op) {
				found[op]++
				m := p.applySite(op, s)
				checkMutant(t, p.Code, m)
				require.NotEqual(t, p.Code, m.Code)
			}
		}
	}
	for _, op := range TokenOperators {
		require.Positive(t, found[op], "%s found no site", op)
	}
}

func TestDiscardReason(t *testing.T) {
	orig := "a = 1\nb = 2\n"
	norm := normalizedLines(Python, orig)
	seen := map[string]bool{"a = 2\nb = 2\n": true}
	require.Equal(t, "unchanged", discardReason(Python, orig, norm, Mutant{Code: orig}, seen))
	require.Equal(t, "unchanged", discardReason(Python, orig, norm, Mutant{Code: "a=1\n\nb  =  2\n"}, seen))
	require.Equal(t, "duplicate_mutant", discardReason(Python, orig, norm, Mutant{Code: "a = 2\nb = 2\n"}, seen))
	require.Equal(t, "", discardReason(Python, orig, norm, Mutant{Code: "a = 3\nb = 2\n"}, seen))
	// Indentation is a change in Python only.
	require.Equal(t, "", discardReason(Python, orig, norm, Mutant{Code: "a = 1\n  b = 2\n"}, seen))
	require.Equal(t, "unchanged", discardReason(C, orig, normalizedLines(C, orig), Mutant{Code: "a = 1\n  b = 2\n"}, seen))
}

func TestMutateOptionsValidate(t *testing.T) {
	require.NoError(t, DefaultMutateOptions().Validate())
	bad := []func(*MutateOptions){
		func(o *MutateOptions) { o.MinLineRate = 0 },
		func(o *MutateOptions) { o.MaxLineRate = 0.1 },
		func(o *MutateOptions) { o.MaxLineRate = 1.5 },
		func(o *MutateOptions) { o.LineMutantsPerFile = -1 },
		func(o *MutateOptions) { o.LineOps = []Operator{OpComparisonFlip} },
		func(o *MutateOptions) { o.TokenOps = []Operator{OpDeleteLine} },
		func(o *MutateOptions) { o.TokenOps = nil },
		func(o *MutateOptions) { o.Languages = []Language{"cobol"} },
		func(o *MutateOptions) { o.MinEligibleLines = 0 },
		func(o *MutateOptions) { o.Source = "" },
	}
	for i, f := range bad {
		o := DefaultMutateOptions()
		f(&o)
		require.Error(t, o.Validate(), "case %d", i)
	}
	_, err := ParseOperator("flip")
	require.ErrorContains(t, err, "unknown mutation operator")
	op, err := ParseOperator("wrong_variable")
	require.NoError(t, err)
	require.Equal(t, OpWrongVariable, op)
}

// mutateDir runs MutateCorpus over dir and returns the report and the rows written.
func mutateDir(t *testing.T, dir string, opts MutateOptions, out string) (*Report, []Snippet) {
	t.Helper()
	rep, _, err := MutateCorpus(DirRoots(dir, opts.Languages), DefaultWalkOptions(), nil, opts, out)
	require.NoError(t, err)
	rows, err := ReadAllSnippets(out)
	require.NoError(t, err)
	return rep, rows
}

func TestMutateCorpusFixtures(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.parquet")
	rep, rows := mutateDir(t, filepath.Join("testdata", "mutate"), DefaultMutateOptions(), out)
	originals := map[string]Snippet{}
	perPair := map[string]int{}
	for _, s := range rows {
		perPair[s.PairID]++
		if s.Role == RoleClean {
			require.Equal(t, TaskOriginal, s.Task)
			require.NotContains(t, originals, s.PairID)
			originals[s.PairID] = s
		}
	}
	require.Len(t, originals, 4)
	require.Contains(t, originals, "mutation:go:pkg/stack.go")
	require.Contains(t, originals, "mutation:python:queue.py")
	require.Contains(t, originals, "mutation:java:Counter.java")
	require.Contains(t, originals, "mutation:c:sum.c")
	tasks := map[string]bool{}
	for _, s := range rows {
		o, ok := originals[s.PairID]
		require.True(t, ok, "%s has no original", s.ID)
		require.Equal(t, o.Split, s.Split)
		require.Equal(t, o.Language, s.Language)
		if s.Role == RoleBuggy {
			tasks[s.Task] = true
			checkMutant(t, o.Code, Mutant{Code: s.Code, Labels: s.Labels, OriginalLine: s.OriginalLine, Edits: editsOf(t, s)})
		}
		require.Contains(t, s.Provenance, `"seed":1`)
	}
	// Every operator made mutants, except insert_line: each fixture is the only program of its
	// language, so none has a donor program.
	for _, op := range append(slices.Clone(TokenOperators), OpReplaceLine, OpDeleteLine) {
		require.True(t, tasks[string(op)], "no %s mutant", op)
	}
	require.False(t, tasks[string(OpInsertLine)])
	require.Equal(t, 4, countProblems(rep, "no donor program"), "%v", rep.Problems)
	require.Equal(t, rep.Total(), len(rows))
	require.Contains(t, rep.String(), "replace_line")
}

func countProblems(rep *Report, substr string) int {
	n := 0
	for _, p := range rep.Problems {
		if strings.Contains(p.Detail, substr) {
			n++
		}
	}
	return n
}

// editsOf decodes the edits of a mutant's provenance.
func editsOf(t *testing.T, s Snippet) []Edit {
	t.Helper()
	var pv mutateProvenance
	require.NoError(t, jsonUnmarshal(s.Provenance, &pv))
	return pv.Edits
}

func TestMutateCorpusDonorsFromOtherPrograms(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.py": "def a(x):\n    y = x + 1\n    z = y * 2\n    w = z - 3\n    return w\n",
		"b.py": "def b(p):\n    q = p + 10\n    r = q * 20\n    s = r - 30\n    return s\n",
	})
	opts := DefaultMutateOptions()
	opts.LineOps = []Operator{OpInsertLine}
	opts.LineMutantsPerFile = 1
	opts.OperatorMutantsPerFile = 0
	rep, rows := mutateDir(t, dir, opts, filepath.Join(t.TempDir(), "m.parquet"))
	var inserted []Snippet
	for _, s := range rows {
		if s.Task == string(OpInsertLine) {
			inserted = append(inserted, s)
		}
	}
	require.Len(t, inserted, 1) // a.py comes first and has no donor yet
	require.Equal(t, "mutation:python:b.py", inserted[0].PairID)
	for _, e := range editsOf(t, inserted[0]) {
		require.True(t, strings.HasPrefix(e.Donor, "python:a.py:"), e.Donor)
	}
	require.Equal(t, 1, rep.ProblemCounts["no_site"])
	require.Contains(t, rep.Problems[0].String(), "no donor program")
}

func TestMutateDeterministic(t *testing.T) {
	dir := filepath.Join("testdata", "mutate")
	tmp := t.TempDir()
	opts := DefaultMutateOptions()
	opts.Seed = 42
	mutateDir(t, dir, opts, filepath.Join(tmp, "a.parquet"))
	mutateDir(t, dir, opts, filepath.Join(tmp, "b.parquet"))
	a, err := os.ReadFile(filepath.Join(tmp, "a.parquet"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(tmp, "b.parquet"))
	require.NoError(t, err)
	require.Equal(t, a, b, "same seed, different bytes")
	opts.Seed = 43
	_, rows43 := mutateDir(t, dir, opts, filepath.Join(tmp, "c.parquet"))
	rows42, err := ReadAllSnippets(filepath.Join(tmp, "a.parquet"))
	require.NoError(t, err)
	require.NotEqual(t, codes(rows42), codes(rows43))
	// A file's mutants do not depend on the files walked before it (insert_line aside).
	opts.Seed = 42
	opts.LineOps = []Operator{OpReplaceLine, OpDeleteLine}
	only := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "queue.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(only, "queue.py"), data, 0o644))
	_, alone := mutateDir(t, only, opts, filepath.Join(tmp, "d.parquet"))
	_, all := mutateDir(t, dir, opts, filepath.Join(tmp, "e.parquet"))
	var fromAll []string
	for _, s := range all {
		if s.PairID == "mutation:python:queue.py" {
			fromAll = append(fromAll, s.Code)
		}
	}
	require.Equal(t, codes(alone), fromAll)
}

func codes(rows []Snippet) []string {
	var out []string
	for _, s := range rows {
		out = append(out, s.Code)
	}
	return out
}

func TestMutateBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := "def f(a, b):\n    x = a + b\n    y = a * b\n    if x > y:\n        return x\n    return y\n"
	writeTree(t, dir, map[string]string{
		"good.py":     good,
		"latin1.py":   "# caf\xe9\n" + good,
		"empty.py":    "",
		"oneline.py":  "x = '" + strings.Repeat("a", 1<<20) + "'\n",
		"longline.py": good + "x = '" + strings.Repeat("a", 2000) + "'\n",
		"short.py":    "def f():\n    return 1  # only two eligible lines, and a long comment\n",
		"code.kt":     "fun main() { val x = 1; if (x > 0) { println(x) } }\n",
	})
	out := filepath.Join(t.TempDir(), "m.parquet")
	rep, rows := mutateDir(t, dir, DefaultMutateOptions(), out)
	reasons := map[string]string{}
	for _, p := range rep.Problems {
		base := filepath.Base(strings.TrimPrefix(p.Where, "python:"))
		if _, ok := reasons[base]; !ok {
			reasons[base] = p.Reason
		}
	}
	require.Equal(t, "walk_non_utf8", reasons["latin1.py"])
	require.Equal(t, "walk_empty", reasons["empty.py"])
	require.Equal(t, "walk_too_large", reasons["oneline.py"]) // 1 MB: over the walker's 200 kB cap
	require.Equal(t, "line_too_long", reasons["longline.py"])
	require.Equal(t, "too_few_lines", reasons["short.py"])
	require.NotContains(t, reasons, "code.kt") // not a candidate of any language: never read
	// The good file still gave its snippets.
	pairs := map[string]bool{}
	for _, s := range rows {
		pairs[s.PairID] = true
	}
	require.Equal(t, map[string]bool{"mutation:python:good.py": true}, pairs)
	// The engine's own checks, without the walker.
	m, err := NewMutator(DefaultMutateOptions())
	require.NoError(t, err)
	emit := func(Snippet) error { return nil }
	require.NoError(t, m.File(File{Path: "cobol:x.cob", Language: "cobol", Content: "MOVE 1 TO X.\n"}, emit))
	require.NoError(t, m.File(File{Path: "python:bad.py", Language: Python, Content: "x = '\xff'\n"}, emit))
	require.NoError(t, m.File(File{Path: "python:empty.py", Language: Python}, emit))
	got := map[string]string{}
	for _, p := range m.Report().Problems {
		got[p.Where] = p.Reason + ": " + p.Detail
	}
	require.Equal(t, map[string]string{
		"cobol:x.cob":     `unknown_language: unknown language "cobol"`,
		"python:bad.py":   "non_utf8: not valid UTF-8",
		"python:empty.py": "empty: empty program",
	}, got)
	// An unknown language asked for is refused up front.
	_, err = ParseLanguage("cobol")
	require.ErrorContains(t, err, `unknown language "cobol"`)
	opts := DefaultMutateOptions()
	opts.Languages = []Language{"cobol"}
	_, _, err = MutateCorpus(DirRoots(dir, nil), DefaultWalkOptions(), nil, opts, out)
	require.ErrorContains(t, err, `unknown language "cobol"`)
}

func TestMutateSplitFilter(t *testing.T) {
	dir := filepath.Join("testdata", "mutate")
	out := filepath.Join(t.TempDir(), "m.parquet")
	_, all := mutateDir(t, dir, DefaultMutateOptions(), out)
	splits := map[Split]bool{}
	for _, s := range all {
		splits[s.Split] = true
	}
	for _, sp := range Splits {
		rep, _, err := MutateCorpus(DirRoots(dir, nil), DefaultWalkOptions(), []Split{sp}, DefaultMutateOptions(), out)
		require.NoError(t, err)
		rows, err := ReadAllSnippets(out)
		require.NoError(t, err)
		require.Equal(t, rep.Total(), len(rows))
		for _, s := range rows {
			require.Equal(t, sp, s.Split)
		}
		require.Equal(t, splits[sp], len(rows) > 0)
	}
	require.True(t, slices.Contains(Splits, all[0].Split))
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

package datasets

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveLCS is the O(NM) dynamic program: the length of a longest common subsequence.
func naiveLCS(a, b []int) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestMyersAgainstNaiveLCS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		n, m := r.IntN(14), r.IntN(14)
		alphabet := 1 + r.IntN(5)
		a, b := make([]int, n), make([]int, m)
		for i := range a {
			a[i] = r.IntN(alphabet)
		}
		for i := range b {
			b[i] = r.IntN(alphabet)
		}
		if trial%3 == 0 && n > 0 { // related sequences: b is an edited copy of a
			b = append([]int(nil), a...)
			for range 1 + r.IntN(3) {
				switch i := r.IntN(len(b) + 1); r.IntN(3) {
				case 0:
					b = append(b[:i], append([]int{r.IntN(alphabet)}, b[i:]...)...)
				case 1:
					if i < len(b) {
						b = append(b[:i], b[i+1:]...)
					}
				default:
					if i < len(b) {
						b[i] = r.IntN(alphabet)
					}
				}
			}
		}
		pairs, ok := lcsPairs(a, b, len(a)+len(b))
		require.True(t, ok)
		require.Len(t, pairs, naiveLCS(a, b), "a=%v b=%v pairs=%v", a, b, pairs)
		for i, p := range pairs {
			require.Equal(t, a[p[0]], b[p[1]], "a=%v b=%v pairs=%v", a, b, pairs)
			if i > 0 {
				require.Greater(t, p[0], pairs[i-1][0])
				require.Greater(t, p[1], pairs[i-1][1])
			}
		}
		// The cap: one below the true distance fails, the distance itself succeeds.
		dist := len(a) + len(b) - 2*len(pairs)
		if dist > 0 {
			_, ok = lcsPairs(a, b, dist-1)
			require.False(t, ok, "a=%v b=%v", a, b)
		}
		_, ok = lcsPairs(a, b, dist)
		require.True(t, ok)
	}
}

// labelsOf runs DiffLabels and returns the labels as ints.
func labelsOf(t *testing.T, buggy, fixed string) ([]int32, []int32) {
	t.Helper()
	l, a, err := DiffLabels(C, buggy, fixed, 0)
	require.NoError(t, err)
	require.Len(t, l, LineCount(buggy))
	require.Len(t, a, LineCount(buggy))
	return l, a
}

func text(ss ...string) string { return strings.Join(ss, "\n") + "\n" }

func TestDiffLabelsChange(t *testing.T) {
	buggy := text("def f(a, b):", "    if a > b:", "        return a", "    return b")
	fixed := text("def f(a, b):", "    if a < b:", "        return a", "    return b")
	l, a := labelsOf(t, buggy, fixed)
	require.Equal(t, []int32{0, 1, 0, 0}, l)
	require.Equal(t, []int32{0, 1, 2, 3}, a)
}

func TestDiffLabelsRemoval(t *testing.T) {
	// The fix removes line 2 (a stray statement); the buggy line is labeled, aligned to nothing.
	buggy := text("x = 1", "y = 2", "x = 0", "print(x, y)")
	fixed := text("x = 1", "y = 2", "print(x, y)")
	l, a := labelsOf(t, buggy, fixed)
	require.Equal(t, []int32{0, 0, 1, 0}, l)
	require.Equal(t, []int32{0, 1, -1, 2}, a)
}

func TestDiffLabelsReplaceHunkAlignment(t *testing.T) {
	// Two buggy lines replaced by three fixed ones: paired in order, labels on both buggy lines.
	buggy := text("a()", "b1()", "b2()", "c()")
	fixed := text("a()", "B1()", "B2()", "B3()", "c()")
	l, a := labelsOf(t, buggy, fixed)
	require.Equal(t, []int32{0, 1, 1, 0}, l)
	require.Equal(t, []int32{0, 1, 2, 4}, a)
}

func TestDiffLabelsPureInsertion(t *testing.T) {
	body := []string{"int f(int n) {", "    int s = 0;", "    s += n;", "    return s;", "}"}
	cases := []struct {
		name   string
		fixed  []string
		labels []int32
	}{
		// At the start: the first buggy line is marked.
		{"start", append([]string{"#include <stdio.h>"}, body...), []int32{1, 0, 0, 0, 0}},
		// In the middle: the line just before the insertion point.
		{"middle", []string{body[0], body[1], "    if (n < 0) return 0;", body[2], body[3], body[4]}, []int32{0, 1, 0, 0, 0}},
		// At the end: the last line.
		{"end", append(append([]string{}, body...), "int g(void) { return 0; }"), []int32{0, 0, 0, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, a := labelsOf(t, text(body...), text(c.fixed...))
			require.Equal(t, c.labels, l)
			for i, v := range a {
				require.Equal(t, body[i], c.fixed[v], "line %d aligned to %d", i, v)
			}
		})
	}
}

func TestDiffLabelsInsertionAfterBlankMarksCode(t *testing.T) {
	// The insertion point follows a blank line: the non-blank line before it is marked.
	buggy := text("a = 1", "", "b = 2")
	fixed := text("a = 1", "", "c = 3", "b = 2")
	l, a := labelsOf(t, buggy, fixed)
	require.Equal(t, []int32{1, 0, 0}, l)
	require.Equal(t, []int32{0, -1, 3}, a)
}

func TestDiffLabelsWhitespaceAndBlankLinesAreNoChange(t *testing.T) {
	buggy := text("func f() int {", "\treturn a+b", "}")
	_, _, err := DiffLabels(C, buggy, text("func f() int {", "    return  a + b   ", "}"), 0)
	require.ErrorIs(t, err, ErrNoDifference)
	_, _, err = DiffLabels(C, buggy, text("", "func f() int {", "", "", "\treturn a+b", "}", ""), 0)
	require.ErrorIs(t, err, ErrNoDifference)
	_, _, err = DiffLabels(C, buggy+"\n\n", strings.ReplaceAll(buggy, "\n", "\r\n"), 0)
	require.ErrorIs(t, err, ErrNoDifference)
	// A whitespace change next to a real one: only the real one counts, blank lines stay 0.
	l, _ := labelsOf(t, text("func f() int {", "", "\treturn a+b", "}"), text("func f() int {", "  return a - b", "}", ""))
	require.Equal(t, []int32{0, 0, 1, 0}, l)
	// Whitespace between identifier characters is not cosmetic.
	l, _ = labelsOf(t, text("return x"), text("returnx"))
	require.Equal(t, []int32{1}, l)
}

func TestDiffLabelsErrors(t *testing.T) {
	_, _, err := DiffLabels(C, "", "x\n", 0)
	require.ErrorContains(t, err, "no non-blank line")
	_, _, err = DiffLabels(C, "\n  \n", "x\n", 0)
	require.ErrorContains(t, err, "no non-blank line")
	// Fully different versions over the cap.
	var a, b []string
	for i := range 20 {
		a = append(a, "a"+string(rune('a'+i)))
		b = append(b, "b"+string(rune('a'+i)))
	}
	_, _, err = DiffLabels(C, text(a...), text(b...), 10)
	require.True(t, errors.Is(err, ErrTooDifferent), "%v", err)
	l, _, err := DiffLabels(C, text(a...), text(b...), 40)
	require.NoError(t, err)
	require.Equal(t, int32(20), sum32(l))
	// Fixed version empty: every buggy line is removed.
	l, _, err = DiffLabels(C, text("a", "b"), "", 0)
	require.NoError(t, err)
	require.Equal(t, []int32{1, 1}, l)
}

func sum32(v []int32) int32 {
	var s int32
	for _, x := range v {
		s += x
	}
	return s
}

func TestCodeLinesRule(t *testing.T) {
	require.Empty(t, CodeLines(""))
	require.Equal(t, []string{"a"}, CodeLines("a"))
	require.Equal(t, []string{"a"}, CodeLines("a\n"))
	require.Equal(t, []string{"a", ""}, CodeLines("a\n\n"))
	require.Equal(t, []string{"a", "b"}, CodeLines("a\r\nb\r\n"))
	require.Equal(t, []string{"", "b"}, CodeLines("\nb"))
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteByte("ab\n\r "[r.IntN(5)])
		}
		s := sb.String()
		require.Len(t, CodeLines(s), LineCount(s), "%q", s)
		require.Equal(t, s, joinRaw(splitRaw(s)), "%q", s)
		raw := splitRaw(s)
		for i, l := range CodeLines(s) {
			require.Equal(t, l, raw[i].text)
		}
	}
}

func TestNormalizeLine(t *testing.T) {
	require.Equal(t, "a=b+c", NormalizeLine("  a =  b + c\t"))
	require.Equal(t, "return x", NormalizeLine("return   x"))
	require.Equal(t, "", NormalizeLine(" \t "))
	// String literals keep their spaces; quotes left open are ordinary characters.
	require.NotEqual(t, normalizeCode("return ' '.join(xs)"), normalizeCode("return ''.join(xs)"))
	require.Equal(t, normalizeCode(`x  =  "a  b" +  y`), normalizeCode(`x="a  b"+y`))
	require.Equal(t, `x="a \" b"+y`, normalizeCode(`x = "a \" b" + y`))
	require.Equal(t, "#don't stop", normalizeCode("# don't   stop"))
	// The limit of a line-local rule: two Rust lifetimes read as one literal, whose spaces count.
	require.Equal(t, "fn f<'a>(x: &'a str)", normalizeCode("fn f<'a>(x: &'a str)"))
	// HumanEvalPack Python/28: the bug is the space in the separator.
	labels, _, err := DiffLabels(Python, "def f(s):\n    return ' '.join(s)\n", "def f(s):\n    return ''.join(s)\n", 0)
	require.NoError(t, err)
	require.Equal(t, []int32{0, 1}, labels)
	require.True(t, IsPunctuationOnly("  });"))
	require.False(t, IsPunctuationOnly("}else{"))
	require.False(t, Scorable("   "))
	require.True(t, Scorable("x++;"))
}

func TestDiffLabelsPythonIndentation(t *testing.T) {
	buggy := text("def f(xs):", "    for x in xs:", "        if x:", "            return x", "        return None")
	fixed := text("def f(xs):", "    for x in xs:", "        if x:", "            return x", "    return None")
	l, a, err := DiffLabels(Python, buggy, fixed, 0)
	require.NoError(t, err)
	require.Equal(t, []int32{0, 0, 0, 0, 1}, l)
	require.Equal(t, []int32{0, 1, 2, 3, 4}, a)
	// Tabs for spaces of the same width: no change.
	_, _, err = DiffLabels(Python, strings.ReplaceAll(buggy, "        ", "\t"), buggy, 0)
	require.ErrorIs(t, err, ErrNoDifference)
	// Outside Python the same re-indentation is cosmetic.
	_, _, err = DiffLabels(C, buggy, fixed, 0)
	require.ErrorIs(t, err, ErrNoDifference)
}

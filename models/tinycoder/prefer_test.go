package tinycoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// operatorSwaps are the operator mutations: each maps a regex match on a code line to its mutant.
var operatorSwaps = []struct {
	name string
	re   *regexp.Regexp
	to   func(string) string
}{
	{"comparison", regexp.MustCompile(`<=|>=|==|!=|<|>`), func(s string) string {
		return map[string]string{"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}[s]
	}},
	{"arithmetic", regexp.MustCompile(`[+\-*/]`), func(s string) string {
		return map[string]string{"+": "-", "-": "+", "*": "/", "/": "*"}[s]
	}},
	{"logical", regexp.MustCompile(`&&|\|\||\band\b|\bor\b`), func(s string) string {
		return map[string]string{"&&": "||", "||": "&&", "and": "or", "or": "and"}[s]
	}},
	{"delete_token", regexp.MustCompile(`[(){}\[\],;]`), func(string) string { return "" }},
}

// skippable lines: comments, strings, preprocessor lines, and lines where an operator character is
// part of something else (++, ->, <<, generics, arrows, pointers).
var (
	commentOrString = regexp.MustCompile(`//|/\*|\*/|#|"|'|` + "`")
	compound        = regexp.MustCompile(`\+\+|--|->|=>|<<|>>|<-|:=\s*<|\*\*|\w<\w|</|/>|=\s*\*|\(\*|\*\w`)
)

type mutantCase struct {
	lang           string
	prefix, before string // prefix: the lines above; before: the original line
	after          string // the mutated line
	op             string
}

// collectCases picks up to n mutable lines per language from held-out (test split) files.
func collectCases(t *testing.T, n int) map[string][]mutantCase {
	roots := datasets.DiscoverRoots()
	opts := datasets.DefaultWalkOptions()
	rng := rand.New(rand.NewPCG(2026, 11))
	out := map[string][]mutantCase{}
	_, err := datasets.Walk(roots, opts, func(f datasets.File) error {
		lang := string(f.Language)
		if f.Split != datasets.Test || len(out[lang]) >= n {
			return nil
		}
		lines := strings.Split(f.Content, "\n")
		// At most 2 cases per file, from lines with enough context above them.
		taken := 0
		for _, i := range rng.Perm(len(lines)) {
			if taken == 2 || len(out[lang]) >= n {
				break
			}
			line := strings.TrimRight(lines[i], "\r")
			code := strings.TrimSpace(line)
			if i < 5 || len(code) < 8 || len(code) > 100 || commentOrString.MatchString(code) || compound.MatchString(code) {
				continue
			}
			// A random operator family among those that apply to the line.
			var applicable []int
			for k, op := range operatorSwaps {
				if op.re.MatchString(line) {
					applicable = append(applicable, k)
				}
			}
			if len(applicable) == 0 {
				continue
			}
			op := operatorSwaps[applicable[rng.IntN(len(applicable))]]
			locs := op.re.FindAllStringIndex(line, -1)
			loc := locs[rng.IntN(len(locs))]
			mut := line[:loc[0]] + op.to(line[loc[0]:loc[1]]) + line[loc[1]:]
			if mut == line || strings.TrimSpace(mut) == "" {
				continue
			}
			prefix := strings.Join(lines[max(0, i-40):i], "\n") + "\n"
			out[lang] = append(out[lang], mutantCase{lang: lang, prefix: prefix, before: line, after: mut, op: op.name})
			taken++
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// lineMeanLogProb scores text = prefix + line + "\n" and returns the mean token log-prob of the
// tokens that start on the last line (its newline included).
func lineMeanLogProb(t *testing.T, m *models.Model, tok *tokenizer.Tokenizer, prefix, line string) float64 {
	text := prefix + line + "\n"
	s, err := models.ScoreText(m, tok, text, 256) // windows of 256 tokens: at least 128 of context
	require.NoError(t, err)
	ls := models.LineScores(text, s)
	last := ls[len(ls)-1]
	require.Equal(t, line, last.Text)
	return last.MeanLogProb
}

// The shipped model prefers real code: on held-out files, a line's mean token log-prob is higher
// than after a random operator mutation in at least 75 % of cases, per language.
func TestPrefersRealCodeOverMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("scores a few hundred held-out lines (about a minute); run without -short")
	}
	dir, err := Dir()
	require.NoError(t, err)
	backend, err := models.NewBackend("go")
	require.NoError(t, err)
	m, tok, err := models.LoadWithTokenizer(dir, backend)
	require.NoError(t, err)
	const perLang = 60
	cases := collectCases(t, perLang)
	require.NotEmpty(t, cases["go"], "GOROOT is always present")
	var report strings.Builder
	failed := []string{}
	for _, lang := range []string{"go", "python", "java", "c", "cpp", "javascript"} {
		cs := cases[lang]
		if len(cs) < 20 {
			t.Logf("%s: only %d held-out cases found on this machine; not assessed", lang, len(cs))
			continue
		}
		wins, byOp := 0, map[string][2]int{}
		for _, c := range cs {
			orig := lineMeanLogProb(t, m, tok, c.prefix, c.before)
			mut := lineMeanLogProb(t, m, tok, c.prefix, c.after)
			w := byOp[c.op]
			w[1]++
			if orig > mut && !math.IsNaN(orig) {
				wins++
				w[0]++
			}
			byOp[c.op] = w
		}
		rate := float64(wins) / float64(len(cs))
		fmt.Fprintf(&report, "%-10s %3d/%3d = %5.1f %%  (", lang, wins, len(cs), 100*rate)
		for _, op := range operatorSwaps {
			fmt.Fprintf(&report, " %s %d/%d", op.name, byOp[op.name][0], byOp[op.name][1])
		}
		report.WriteString(" )\n")
		if rate < 0.75 {
			failed = append(failed, lang)
		}
	}
	t.Logf("original line preferred over its mutant:\n%s", report.String())
	require.Empty(t, failed, "languages below 75 %%:\n%s", report.String())
}

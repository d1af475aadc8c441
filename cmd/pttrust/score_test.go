package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/eval/report"
	"github.com/pttrust/pttrust/experiments"
)

// plantedGo is a small Go file with one planted bug, of a kind the default experiment trains
// the binding on: plantedLine (1-based) holds it.
const plantedGo = `package stats

import "math"

// Mean returns the arithmetic mean of xs, or NaN when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += m
	}
	return sum / float64(len(xs))
}

// Variance returns the population variance of xs.
func Variance(xs []float64) float64 {
	m := Mean(xs)
	acc := 0.0
	for _, x := range xs {
		d := x - m
		acc += d * d
	}
	return acc / float64(len(xs))
}

// Max returns the largest element of xs.
func Max(xs []float64) float64 {
	best := math.Inf(-1)
	for _, x := range xs {
		if x > best {
			best = x
		}
	}
	return best
}
`

// plantedLine is "sum += m": a wrong variable (the mean of the next function) where x belongs, an
// operator family the default binding trains on. The target (issue 7) is the top 3. Measured
// with the shipped assessor (latents + token statistics, retrained 2026-12-06 by the current
// code): rank 3 of 22 scored lines, not flagged (score 0.581, flag threshold 0.870: the flag rule
// flags at most 2 % of correct validation lines). The assessor before it, same recipe, states
// from the fused attention kernel: rank 1, flagged; before the line rule: rank 5 of 25. The test
// keeps the bound.
const plantedLine = 12

// The shipped default assessor ranks the planted bug among the three riskiest lines of the file
// (see plantedLine).
func TestScorePlantedBugDefaultAssessor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stats.go")
	require.NoError(t, os.WriteFile(path, []byte(plantedGo), 0o644))
	require.Equal(t, "\t\tsum += m", strings.Split(plantedGo, "\n")[plantedLine-1])
	out, stderr, err := run(t, "score", "--format", "json", path)
	require.NoError(t, err, stderr)
	rep, err := report.ReadJSON(strings.NewReader(out))
	require.NoError(t, err)
	require.Len(t, rep.Files, 1)
	ln := rep.Files[0].Lines[plantedLine-1]
	require.True(t, ln.Scored)
	t.Logf("planted line rank %d of %d scored lines (score %.3f, threshold %.3f)", ln.Rank, rep.Files[0].Summary().Scored, ln.Score, rep.Threshold)
	require.LessOrEqual(t, ln.Rank, 3, "the planted bug is in the top 3")
	for _, l := range rep.Files[0].Lines {
		require.Empty(t, l.Latents, "JSON carries no latents without --explain (line %d)", l.Number)
	}

	// --explain keeps them: the riskiest line's latents and their training-line examples.
	out, stderr, err = run(t, "score", "--format", "json", "--explain", "--explain-top", "1", path)
	require.NoError(t, err, stderr)
	rep, err = report.ReadJSON(strings.NewReader(out))
	require.NoError(t, err)
	var top report.Line
	for _, l := range rep.Files[0].Lines {
		if l.Rank == 1 {
			top = l
		}
	}
	require.NotEmpty(t, top.Latents, "--explain --explain-top 1: the riskiest line's latents")
	require.NotEmpty(t, top.Latents[0].Examples)
}

// Every format writes a report; bad files are reported and the others still scored; the exit
// status fails only when a file cannot be read.
func TestScoreFormatsAndBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "stats.go")
	require.NoError(t, os.WriteFile(good, []byte(plantedGo), 0o644))
	bin := filepath.Join(dir, "image.py")
	require.NoError(t, os.WriteFile(bin, []byte{0x89, 'P', 'N', 'G', 0, 0, 1}, 0o644))
	txt := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(txt, []byte("just prose\n"), 0o644))

	out, stderr, err := run(t, "score", "--format", "text", txt, bin, good)
	require.NoError(t, err, "unscorable content is not a failure")
	require.Contains(t, stderr, "notes.txt: not scored: unsupported file type")
	require.Contains(t, stderr, "image.py: not scored: binary file")
	require.Contains(t, out, "return acc / float64(len(xs))")

	out, stderr, err = run(t, "score", filepath.Join(dir, "missing.go"), good)
	require.ErrorIs(t, err, experiments.ErrUnreadable)
	require.Contains(t, stderr, "missing.go: not scored")
	require.Contains(t, out, "func Variance", "the readable file is still scored")

	for _, f := range []string{"json", "sarif", "html"} {
		p := filepath.Join(dir, "report."+f)
		_, stderr, err := run(t, "score", "--format", f, "-o", p, good)
		require.NoError(t, err, stderr)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Contains(t, string(data), "stats.go", f)
	}
	_, _, err = run(t, "score", "--format", "xml", good)
	require.ErrorContains(t, err, "xml")
}

// score DIR scores the source files below the folder and says on stderr what it left out.
func TestScoreDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stats.go"), []byte(plantedGo), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "node_modules", "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "node_modules", "x", "i.js"), []byte("module.exports = function (a) { return a + 1; };\n"), 0o644))
	out, stderr, err := run(t, "score", "--format", "json", dir)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, dir+": 1 source files to score, 1 left out: vendored 1")
	rep, err := report.ReadJSON(strings.NewReader(out))
	require.NoError(t, err)
	require.Len(t, rep.Files, 1)
	require.Equal(t, filepath.Join(dir, "stats.go"), rep.Files[0].Path)
	require.NotZero(t, rep.Files[0].Summary().Scored)
}

package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/smollm2"
)

// maxCorrectFlagShare is what a developer can bear: on correct code the shipped assessor flags
// at most this share of the scored lines.
const maxCorrectFlagShare = 0.05

// correctFiles samples n correct standard-library files per language from this machine's
// source trees (GOROOT, the Python stdlib, the JDK's src.zip, /usr/include, node_modules),
// excluding the files the default and SmolLM2 studies draw their data from, and writes them
// to a folder: the paths to score.
func correctFiles(t *testing.T, n int) []string {
	t.Helper()
	roots, names := sourceRoots()
	if len(roots) == 0 {
		t.Fatal("no source trees found on this machine")
	}
	ctx := context.Background()
	used := map[string]bool{}
	for _, d := range []DataConfig{Default().Data, func() DataConfig { d := Default().Data; d.FilesPerLanguage, d.LMHeldOut = 16, false; return d }()} {
		picked, err := sampleFiles(ctx, roots, d, fmt.Sprintf("pttrust-experiment:%d:", Default().Seed), nil, nil)
		require.NoError(t, err)
		for _, h := range picked {
			for _, kf := range *h {
				used[kf.file.Path] = true
			}
		}
	}
	d := Default().Data
	d.FilesPerLanguage = n // LMHeldOut stays: none of them trained tinycoder either
	picked, err := sampleFiles(ctx, roots, d, "pttrust-correct-files:", func(f datasets.File) bool { return used[f.Path] }, nil)
	require.NoError(t, err)
	dir := t.TempDir()
	var paths []string
	for _, l := range datasets.AllLanguages {
		for i, kf := range picked[l].sorted() {
			ext := filepath.Ext(kf.file.Source)
			if got, ok := datasets.LanguageOfName("f" + ext); !ok || got != l { // extensionless C++ headers (<vector>)
				ext = datasets.Extensions(l)[0]
			}
			p := filepath.Join(dir, fmt.Sprintf("%s_%02d%s", l, i, ext))
			require.NoError(t, os.WriteFile(p, []byte(kf.file.Content), 0o644))
			paths = append(paths, p)
		}
	}
	t.Logf("%d correct files from %v", len(paths), names)
	return paths
}

// TestFewFlagsOnCorrectCode: the shipped default assessor, on correct standard-library files it
// never trained on, flags at most 5 % of the scored lines (each language is logged).
func TestFewFlagsOnCorrectCode(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 111 files (about 20 s): skipped with -short")
	}
	requireFewFlags(t, DefaultScoreOptions())
}

// TestFewFlagsOnCorrectCodeSmolLM2: the same files and bound for SmolLM2-135M with its shipped
// assessor (results/smollm2/assessor, trained by experiments/smollm2.toml on mutants).
func TestFewFlagsOnCorrectCodeSmolLM2(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 111 files with SmolLM2 (about 4 min on 2 cores): skipped with -short")
	}
	opts := DefaultScoreOptions()
	opts.ModelDir = smollm2.ForTest(t)
	opts.AssessorDir = filepath.Join("..", "results", "smollm2", "assessor")
	requireFewFlags(t, opts)
}

// requireFewFlags scores the correct files with opts and fails when more than
// maxCorrectFlagShare of their scored lines are flagged.
func requireFewFlags(t *testing.T, opts ScoreOptions) {
	t.Helper()
	paths := correctFiles(t, 20)
	s, err := NewScorer(opts)
	require.NoError(t, err)
	rep, err := s.Score(context.Background(), paths)
	require.NoError(t, err)
	type count struct{ files, scored, flagged int }
	per := map[string]*count{}
	var total count
	for i := range rep.Files {
		f := &rep.Files[i]
		require.Empty(t, f.Error, f.Path)
		c := per[f.Language]
		if c == nil {
			c = &count{}
			per[f.Language] = c
		}
		sum := f.Summary()
		c.files++
		c.scored += sum.Scored
		c.flagged += sum.Flagged
		total.scored += sum.Scored
		total.flagged += sum.Flagged
	}
	for l, c := range per {
		t.Logf("%-10s %2d files: %4d of %5d scored lines flagged (%.1f %%)", l, c.files, c.flagged, c.scored, 100*float64(c.flagged)/float64(c.scored))
	}
	share := float64(total.flagged) / float64(total.scored)
	t.Logf("all: %d of %d scored lines flagged (%.2f %%)", total.flagged, total.scored, 100*share)
	require.Greater(t, total.scored, 1000, "too few scored lines for a share")
	require.LessOrEqual(t, share, maxCorrectFlagShare)
}

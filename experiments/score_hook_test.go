package experiments

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/eval/report"
)

// copyBundle copies the shipped assessor to a temporary folder with its cfg.json's hook replaced.
func copyBundle(t *testing.T, hook string) string {
	t.Helper()
	src, err := DefaultAssessorDir()
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "assessor")
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	p := filepath.Join(dst, BundleConfigName)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.Unmarshal(data, &info))
	info["hook"] = hook
	data, err = json.Marshal(info)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return dst
}

// An assessor whose hook the model cannot give (a layer it does not have, a hook without one
// vector per token) is refused when the scorer is made, naming the assessor and the hook, instead
// of every file failing and the run scoring nothing with exit code 0.
func TestScorerRefusesAssessorWithBadHook(t *testing.T) {
	for hook, want := range map[string]string{
		"blocks.99.resid_post": "out of range",
		"logits":               "no single state vector per token",
	} {
		dir := copyBundle(t, hook)
		opts := DefaultScoreOptions()
		opts.AssessorDir = dir
		_, err := NewScorer(opts)
		t.Log(err)
		require.ErrorContains(t, err, dir, hook)
		require.ErrorContains(t, err, `hook "`+hook+`"`, hook)
		require.ErrorContains(t, err, want, hook)
	}
	// The shipped hook still works.
	_, err := NewScorer(DefaultScoreOptions())
	require.NoError(t, err)
}

// ExplainTop lists latents for a file's riskiest lines even when the flag rule flags none of
// them; without it only flagged lines carry latents.
func TestScorerExplainTop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.go")
	src := "package stats\n\n// Max returns the largest element of xs.\nfunc Max(xs []float64) float64 {\n\tm := xs[0]\n\tfor _, x := range xs[1:] {\n\t\tif x < m {\n\t\t\tm = x\n\t\t}\n\t}\n\treturn m\n}\n"
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	for _, top := range []int{0, 2} {
		opts := DefaultScoreOptions()
		opts.ExplainTop = top
		s, err := NewScorer(opts)
		require.NoError(t, err)
		rep, err := s.Score(t.Context(), []string{path})
		require.NoError(t, err)
		explained := 0
		for _, l := range rep.Files[0].Lines {
			want := l.Flagged || (l.Scored && l.Rank <= top)
			require.Equal(t, want, len(l.Latents) > 0, "line %d (rank %d, flagged %v), ExplainTop %d", l.Number, l.Rank, l.Flagged, top)
			if want {
				explained++
			}
		}
		if top > 0 {
			require.GreaterOrEqual(t, explained, top)
		}
	}
	_, err := NewScorer(ScoreOptions{TopLatents: 3, MaxFileBytes: 1, ExplainTop: -1})
	require.ErrorContains(t, err, "ExplainTop")
}

// A file's report shows a latent's examples in its own language first, at most
// examplesPerLatent.
func TestExamplesForLanguage(t *testing.T) {
	var ex []report.Example
	for i, l := range []string{"go", "python", "go", "java", "c", "cpp", "python", "go"} {
		ex = append(ex, report.Example{Snippet: fmt.Sprint(i), Language: l})
	}
	var got []string
	for _, e := range examplesFor(ex, "python") {
		got = append(got, e.Language+e.Snippet)
	}
	require.Equal(t, []string{"python1", "python6", "go0", "go2", "java3"}, got)
	require.Len(t, examplesFor(ex[:2], "rust"), 2)
	require.Equal(t, "faulty line", report.Example{Role: "buggy", Faulty: true}.Kind())
	require.Equal(t, "line of a buggy snippet", report.Example{Role: "buggy"}.Kind())
	require.Equal(t, "clean line", report.Example{Role: "original"}.Kind())
	require.Empty(t, report.Example{}.Kind(), "an old bundle: not recorded")
}

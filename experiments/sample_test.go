package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
)

// keepProblem keeps a problem in every language or in none, and about the asked share.
func TestKeepProblem(t *testing.T) {
	kept := 0
	for i := range 2000 {
		g := fmt.Sprintf("slug-%d", i)
		a := keepProblem(datasets.Snippet{Group: g, Language: datasets.Python}, 0.4)
		b := keepProblem(datasets.Snippet{Group: g, Language: datasets.Java, PairID: "other"}, 0.4)
		require.Equal(t, a, b, g)
		if a {
			kept++
		}
		require.True(t, keepProblem(datasets.Snippet{Group: g}, 0))
		require.True(t, keepProblem(datasets.Snippet{Group: g}, 1))
	}
	require.InDelta(t, 800, kept, 80)
	cfg := Default()
	cfg.Data = DataConfig{Format: "debugbench", Path: "x", MaxCodeBytes: 100, ValFraction: 0.1, TestFraction: 0.1, ProblemFraction: 1.5}
	require.ErrorContains(t, cfg.Validate(), "problem_fraction: 1.5")
}

// An experiment file can start from another (base = "..."): its own keys override the base's,
// arrays are replaced whole, and it is named after itself.
func TestBaseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	write("a.toml", "name = \"a\"\nseed = 7\n[data]\nformat = \"mutation\"\nlanguages = [\"go\", \"python\", \"java\"]\nfiles_per_language = 5\n[states]\nhook = \"blocks.1.resid_post\"\n")
	b, err := Load(write("b.toml", "base = \"a.toml\"\n[data]\nlanguages = [\"go\"]\n[states]\nhook = \"blocks.0.resid_post\"\n"))
	require.NoError(t, err)
	require.Equal(t, "b", b.Name)
	require.Equal(t, filepath.Join("results", "b"), b.OutDir)
	require.Equal(t, uint64(7), b.Seed)
	require.Equal(t, 5, b.Data.FilesPerLanguage)
	require.Equal(t, []string{"go"}, b.Data.Languages)
	require.Equal(t, "blocks.0.resid_post", b.States.Hook)
	write("c.toml", "base = \"d.toml\"\n")
	write("d.toml", "base = \"c.toml\"\n")
	_, err = Load(filepath.Join(dir, "c.toml"))
	require.ErrorContains(t, err, "base files nest deeper")
	_, err = Load(write("e.toml", "base = \"missing.toml\"\n"))
	require.ErrorContains(t, err, "missing.toml")
}

package datasets

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiscoverRoots(t *testing.T) {
	roots := DiscoverRoots()
	seen := map[string]bool{}
	for _, r := range roots {
		require.True(t, r.Language.Valid(), r.String())
		real, err := filepath.EvalSymlinks(r.Path)
		require.NoError(t, err, r.String())
		require.False(t, seen[real], "root found twice: %s", r)
		seen[real] = true
		if r.Zip {
			require.True(t, opensAsZip(r.Path), r.String())
		} else {
			require.True(t, isDir(r.Path), r.String())
		}
	}
	for _, fam := range []Language{Go, Python, Java} {
		n := 0
		for _, r := range roots {
			if r.Language == fam {
				n++
			}
		}
		require.LessOrEqual(t, n, 1, "one %s root at most", fam)
	}
	found := Languages(roots)
	var missing []string
	for _, l := range AllLanguages {
		if !slices.Contains(found, l) {
			missing = append(missing, string(l))
		}
	}
	t.Logf("roots: %v; languages: %v; missing: %s", roots, found, strings.Join(missing, ", "))
}

// TestWalkRealGOROOT walks the machine's GOROOT/src (capped to keep the test fast) and checks the
// split fractions.
func TestWalkRealGOROOT(t *testing.T) {
	root, ok := goRoot()
	if !ok {
		t.Skip("no GOROOT/src found ($GOROOT, `go env GOROOT`, runtime.GOROOT, /usr/local/go, /usr/lib/go)")
	}
	opts := DefaultWalkOptions()
	opts.MaxFilesPerLanguage = 3000
	var entries []ManifestEntry
	st, err := Walk([]Root{root}, opts, func(f File) error {
		require.True(t, strings.HasPrefix(f.Path, "go:src/"), f.Path)
		entries = append(entries, f.ManifestEntry())
		return nil
	})
	require.NoError(t, err)
	gs := st.Languages[Go]
	require.Greater(t, gs.Files, 1000)
	n := float64(gs.Files)
	require.InDelta(t, opts.ValFraction, float64(gs.Splits[Validation])/n, 0.02)
	require.InDelta(t, opts.TestFraction, float64(gs.Splits[Test])/n, 0.02)
	require.Positive(t, gs.Skipped[SkipTestdata])
	require.Positive(t, gs.Skipped[SkipVendored])
	require.Positive(t, gs.Skipped[SkipGenerated])
	t.Logf("%s", st)

	// A second walk gives the same manifest.
	var again []ManifestEntry
	_, err = Walk([]Root{root}, opts, func(f File) error {
		again = append(again, f.ManifestEntry())
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, ManifestHash(entries), ManifestHash(again))
}

// TestWalkAllReport walks every discovered root in full and logs the stats and the manifest hash.
// It takes a few seconds, so it runs only when PTTRUST_FULL_WALK is set:
//
//	PTTRUST_FULL_WALK=1 go test -run TestWalkAllReport -v ./datasets
func TestWalkAllReport(t *testing.T) {
	if os.Getenv("PTTRUST_FULL_WALK") == "" {
		t.Skip("set PTTRUST_FULL_WALK=1 to walk every discovered root")
	}
	roots := DiscoverRoots()
	var entries []ManifestEntry
	st, err := Walk(roots, DefaultWalkOptions(), func(f File) error {
		entries = append(entries, f.ManifestEntry())
		return nil
	})
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "manifest.jsonl")
	require.NoError(t, WriteManifest(p, entries))
	back, err := ReadManifest(p)
	require.NoError(t, err)
	require.Equal(t, len(entries), len(back))
	t.Logf("roots: %v\n%s\nmanifest: %d entries, hash %s", roots, st, len(entries), ManifestHash(entries))
}

package datasets

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestManifestRoundTrip(t *testing.T) {
	dir := fakeGoTree(t)
	files, _ := collect(t, []Root{{Language: Go, Path: dir, Prefix: "src"}}, testOpts())
	var entries []ManifestEntry
	for _, f := range files {
		entries = append(entries, f.ManifestEntry())
	}
	out := t.TempDir()
	p := filepath.Join(out, "manifest.jsonl")
	require.NoError(t, os.WriteFile(p, []byte("stale"), 0o644))
	require.NoError(t, WriteManifest(p, entries))
	got, err := ReadManifest(p)
	require.NoError(t, err)
	require.Equal(t, entries, got)

	// Only the manifest is left: no temporary file.
	names, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, names, 1)

	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, len(entries))
	require.True(t, strings.HasPrefix(lines[0], `{"path":"go:src/a.go","language":"go","sha256":"`), lines[0])

	// The hash ignores order and where the files were read, not what they are.
	h := ManifestHash(entries)
	require.Len(t, h, 64)
	rev := slices.Clone(entries)
	slices.Reverse(rev)
	for i := range rev {
		rev[i].Source = "/elsewhere"
	}
	require.Equal(t, h, ManifestHash(rev))
	rev[0].Split = Test
	if entries[len(entries)-1].Split == Test {
		rev[0].Split = Train
	}
	require.NotEqual(t, h, ManifestHash(rev))
	require.Equal(t, ManifestHash(nil), ManifestHash([]ManifestEntry{}))
}

func TestManifestErrors(t *testing.T) {
	dir := t.TempDir()
	good := ManifestEntry{Path: "go:src/a.go", Language: Go, SHA256: strings.Repeat("ab", 32), Bytes: 10, Split: Train}
	p := filepath.Join(dir, "m.jsonl")

	bad := good
	bad.SHA256 = "xyz"
	require.ErrorContains(t, WriteManifest(p, []ManifestEntry{good, bad}), "entry 1")
	_, err := os.Stat(p)
	require.True(t, os.IsNotExist(err), "a failed write leaves nothing behind")

	require.NoError(t, WriteManifest(p, []ManifestEntry{good}))
	raw, _ := os.ReadFile(p)
	require.NoError(t, os.WriteFile(p, append(raw, []byte("\n{\"path\":\"x\",\"language\":\"go\"}\n")...), 0o644))
	_, err = ReadManifest(p)
	require.ErrorContains(t, err, p+":3")

	require.NoError(t, os.WriteFile(p, []byte("{not json\n"), 0o644))
	_, err = ReadManifest(p)
	require.ErrorContains(t, err, p+":1")

	_, err = ReadManifest(filepath.Join(dir, "missing.jsonl"))
	require.ErrorContains(t, err, "missing.jsonl")
	require.ErrorContains(t, WriteManifest(filepath.Join(dir, "no/such/dir/m.jsonl"), nil), "m.jsonl")
}

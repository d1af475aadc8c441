package embedded

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestExtract(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	fsys := fstest.MapFS{
		"a.txt":       {Data: []byte("alpha")},
		"sub/b.bin":   {Data: []byte{0, 1, 2, 3}},
		"sub/c/d.txt": {Data: []byte("deep")},
	}
	names, err := Files(fsys, ".")
	require.NoError(t, err)
	require.Equal(t, []string{"a.txt", "sub/b.bin", "sub/c/d.txt"}, names)

	dir, err := Extract(fsys, "thing", names)
	require.NoError(t, err)
	require.Equal(t, "thing-"+Hash(fsys, names), filepath.Base(dir))
	for _, n := range names {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		require.NoError(t, err)
		require.Equal(t, fsys[n].Data, got, n)
	}
	again, err := Extract(fsys, "thing", names)
	require.NoError(t, err)
	require.Equal(t, dir, again, "a complete extraction is reused")

	// A damaged extraction is detected and replaced by a fresh one.
	require.NoError(t, os.Truncate(filepath.Join(dir, "sub", "b.bin"), 1))
	require.False(t, complete(fsys, dir, names))
	fixed, err := Extract(fsys, "thing", names)
	require.NoError(t, err)
	require.Equal(t, dir, fixed)
	got, err := os.ReadFile(filepath.Join(dir, "sub", "b.bin"))
	require.NoError(t, err)
	require.Equal(t, fsys["sub/b.bin"].Data, got)

	// Other contents, other folder.
	fsys["a.txt"] = &fstest.MapFile{Data: []byte("beta")}
	other, err := Extract(fsys, "thing", names)
	require.NoError(t, err)
	require.NotEqual(t, dir, other)
}

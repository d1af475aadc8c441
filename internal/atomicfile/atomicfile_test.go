package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	require.NoError(t, WriteFile(p, []byte("one")))
	require.NoError(t, WriteFile(p, []byte("two")))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "two", string(data))
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func TestFailedWriteLeavesTargetAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	require.NoError(t, WriteFile(p, []byte("old")))
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	data, _ := os.ReadFile(p)
	require.Equal(t, "old", string(data))
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "no temporary file left behind")
	require.Error(t, WriteFile(filepath.Join(dir, "missing", "x"), nil))
}

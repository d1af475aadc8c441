package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeVersion fills a folder with two files and a subfolder, all carrying version v.
func writeVersion(v int) func(string) error {
	return func(tmp string) error {
		for _, name := range []string{"a.txt", filepath.Join("sub", "b.txt")} {
			p := filepath.Join(tmp, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := WriteFile(p, []byte(fmt.Sprint(v))); err != nil {
				return err
			}
		}
		if v == 1 {
			return WriteFile(filepath.Join(tmp, "only-in-1.txt"), []byte("1"))
		}
		return nil
	}
}

func readVersion(t *testing.T, dir string) (a, b string) {
	t.Helper()
	da, err := os.ReadFile(filepath.Join(dir, "a.txt"))
	require.NoError(t, err)
	db, err := os.ReadFile(filepath.Join(dir, "sub", "b.txt"))
	require.NoError(t, err)
	return string(da), string(db)
}

// WriteDir creates a folder, then replaces it as a whole (a file only the old one had is gone),
// with mode 0755, and leaves no temporary folder beside it.
func TestWriteDirCreatesAndReplaces(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "results", "x")
	require.NoError(t, WriteDir(dir, writeVersion(1)))
	a, b := readVersion(t, dir)
	require.Equal(t, []string{"1", "1"}, []string{a, b})
	require.FileExists(t, filepath.Join(dir, "only-in-1.txt"))
	require.NoError(t, WriteDir(dir, writeVersion(2)))
	a, b = readVersion(t, dir)
	require.Equal(t, []string{"2", "2"}, []string{a, b})
	require.NoFileExists(t, filepath.Join(dir, "only-in-1.txt"))
	st, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	ents, err := os.ReadDir(filepath.Dir(dir))
	require.NoError(t, err)
	require.Len(t, ents, 1, "no temporary or old folder left: %v", ents)
}

// A failing fill (an injected write error after some files are written) leaves the old folder
// byte for byte and no temporary folder.
func TestWriteDirFailureKeepsOld(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "x")
	require.NoError(t, WriteDir(dir, writeVersion(1)))
	boom := errors.New("no space left on device (injected)")
	err := WriteDir(dir, func(tmp string) error {
		if err := writeVersion(2)(tmp); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	a, b := readVersion(t, dir)
	require.Equal(t, []string{"1", "1"}, []string{a, b})
	require.FileExists(t, filepath.Join(dir, "only-in-1.txt"))
	ents, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, ents, 1)

	require.ErrorContains(t, WriteDir(".", writeVersion(1)), "cannot replace this folder")
	require.ErrorContains(t, WriteDir("/", writeVersion(1)), "cannot replace this folder")
	file := filepath.Join(parent, "file")
	require.NoError(t, WriteFile(file, nil))
	require.ErrorContains(t, WriteDir(file, writeVersion(1)), "is not a folder")
}

// RemoveStale removes what killed writers left (their temporary folders) and nothing else.
func TestRemoveStale(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "x")
	require.NoError(t, WriteDir(dir, writeVersion(1)))
	for _, n := range []string{".x.tmp-123", ".x.tmp-456.old", ".y.tmp-1", "x2"} {
		require.NoError(t, os.Mkdir(filepath.Join(parent, n), 0o755))
	}
	require.NoError(t, RemoveStale(dir))
	var names []string
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{".y.tmp-1", "x", "x2"}, names)
}

// While a writer replaces the folder again and again, a reader never finds it missing (Linux:
// the swap is one rename) and never reads two versions through one open of the folder.
func TestWriteDirReadersNeverSeeAMix(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the one-step swap is Linux's renameat2")
	}
	dir := filepath.Join(t.TempDir(), "x")
	require.NoError(t, WriteDir(dir, writeVersion(0)))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads, missing, mixed atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			root, err := os.OpenRoot(dir)
			if err != nil {
				missing.Add(1)
				continue
			}
			a, errA := root.ReadFile("a.txt")
			b, errB := root.ReadFile(filepath.Join("sub", "b.txt"))
			root.Close()
			if errA != nil || errB != nil { // the old folder's files are being removed
				continue
			}
			reads.Add(1)
			if string(a) != string(b) {
				mixed.Add(1)
			}
		}
	}()
	for v := 1; v <= 50; v++ {
		require.NoError(t, WriteDir(dir, writeVersion(v)))
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d consistent reads during 50 replacements", reads.Load())
	require.Zero(t, missing.Load(), "the folder was missing")
	require.Zero(t, mixed.Load(), "two versions read through one open of the folder")
	a, _ := readVersion(t, dir)
	require.Equal(t, "50", strings.TrimSpace(a))
}

// CheckWritable creates a missing folder and leaves nothing in it; a path below a file fails.
func TestCheckWritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	require.NoError(t, CheckWritable(dir))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, ents)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, WriteFile(file, nil))
	require.ErrorContains(t, CheckWritable(filepath.Join(file, "out")), "not a directory")
}

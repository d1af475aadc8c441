package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A byte-order mark in only one file of a pair is no change: only the real bug (line 3) is
// labeled, whichever file has the mark; the stored code has none.
func TestImportPairsBOMInOneFile(t *testing.T) {
	dir := t.TempDir()
	fixed := "def f(a):\n    b = a * 2\n    return b + 1\n"
	buggy := "def f(a):\n    b = a * 2\n    return b - 1\n"
	writeTree(t, dir, map[string]string{
		"buggy/bom_buggy.py": "\uFEFF" + buggy, "fixed/bom_buggy.py": fixed,
		"buggy/bom_fixed.py": buggy, "fixed/bom_fixed.py": "\uFEFF" + fixed,
		"buggy/bom_both.py": "\uFEFF" + buggy, "fixed/bom_both.py": "\uFEFF" + fixed,
	})
	rep, rows := importAll(t, opts(FormatPairs, dir))
	require.Empty(t, problems(rep))
	for _, name := range []string{"bom_buggy", "bom_fixed", "bom_both"} {
		b := rows["pairs:"+name+".py#buggy"]
		require.Equal(t, []int32{0, 0, 1}, b.Labels, name)
		require.False(t, strings.HasPrefix(b.Code, "\uFEFF"), name)
		require.False(t, strings.HasPrefix(rows["pairs:"+name+".py#fixed"].Code, "\uFEFF"), name)
	}
}

// A buggy file that is a symbolic link to a file is read through it (it used to be dropped and
// its fixed twin reported as having no buggy file); a broken link is reported by its name.
func TestImportPairsSymlinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"elsewhere/real.py": "def f(a):\n    return a - 1\n",
		"fixed/linked.py":   "def f(a):\n    return a + 1\n",
		"fixed/broken.py":   "def f(a):\n    return a + 1\n",
	})
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "buggy"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere", "real.py"), filepath.Join(dir, "buggy", "linked.py")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere", "gone.py"), filepath.Join(dir, "buggy", "broken.py")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "buggy", "adir"))) // a link to a folder: not a file
	rep, rows := importAll(t, opts(FormatPairs, dir))
	require.Equal(t, []int32{0, 1}, rows["pairs:linked.py#buggy"].Labels)
	require.Equal(t, []string{"buggy/broken.py: unreadable"}, problems(rep))
	require.Contains(t, rep.Problems[0].Detail, "gone.py")
}

// A file over the size limit is reported as too large with its real size, even when the limit
// falls inside a multi-byte character (it used to be reported as not valid UTF-8, or with the
// limit + 1 as its size).
func TestImportPairsTooLargeReportsRealSize(t *testing.T) {
	dir := t.TempDir()
	big := "s = '" + strings.Repeat("é", 100) + "'\n" // 207 bytes; byte 101 is inside an é
	writeTree(t, dir, map[string]string{
		"buggy/big.py": big, "fixed/big.py": "s = 1\n",
		"buggy/bigfix.py": "s = 2\n", "fixed/bigfix.py": big,
		"buggy/ok.py": "s = 2\n", "fixed/ok.py": "s = 1\n",
	})
	o := opts(FormatPairs, dir)
	o.MaxCodeBytes = 100
	rep, rows := importAll(t, o)
	require.Len(t, rows, 2)
	require.Equal(t, []string{"buggy/big.py: too_large", "buggy/bigfix.py: too_large"}, problems(rep))
	require.Equal(t, "the buggy version is 207 bytes (max 100)", rep.Problems[0].Detail)
	require.Equal(t, "the fixed version is 207 bytes (max 100)", rep.Problems[1].Detail)
}

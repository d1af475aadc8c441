package datasets

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWalkOnSkipNamesEveryLeftOutFile(t *testing.T) {
	dir := fakeGoTree(t)
	opts := testOpts()
	got := map[string]SkipReason{}
	opts.OnSkip = func(source string, l Language, r SkipReason) {
		require.Equal(t, Go, l)
		rel, err := filepath.Rel(dir, source)
		require.NoError(t, err)
		got[filepath.ToSlash(rel)] = r
	}
	_, st := collect(t, []Root{{Language: Go, Path: dir, Prefix: "src"}}, opts)
	require.Len(t, got, st.Languages[Go].SkippedTotal())
	require.Equal(t, SkipNonUTF8, got["latin1.go"])
	require.Equal(t, SkipEmpty, got["empty.go"])
	require.Equal(t, SkipTooLarge, got["big.go"])
	require.Equal(t, SkipVendored, got["vendor/x/x.go"])
	require.Equal(t, SkipDuplicate, got["dup.go"])
}

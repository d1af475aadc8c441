package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A test binary is not stamped with VCS information (like go run and -buildvcs=false): the
// revision then comes from the source tree's git checkout.
func TestRevisionWithoutVCSStamp(t *testing.T) {
	want, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout with git on PATH: %v", err)
	}
	info := Get()
	require.Equal(t, strings.TrimSpace(string(want)), info.Revision)
	require.Equal(t, "source tree", info.RevisionFrom)
	require.Contains(t, info.String(), "rev "+info.Revision)
}

func TestGitHead(t *testing.T) {
	git := t.TempDir()
	h1, h2 := strings.Repeat("a", 40), strings.Repeat("b", 40)
	write := func(name, body string) {
		p := filepath.Join(git, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("HEAD", h1+"\n")
	require.Equal(t, h1, gitHead(git), "detached")
	write("HEAD", "ref: refs/heads/main\n")
	write("packed-refs", "# pack-refs with: peeled\n"+h2+" refs/heads/main\n")
	require.Equal(t, h2, gitHead(git), "packed")
	write("refs/heads/main", h1+"\n")
	require.Equal(t, h1, gitHead(git), "loose ref first")
	write("refs/heads/main", "garbage\n")
	require.Empty(t, gitHead(git))
	require.Empty(t, gitHead(filepath.Join(git, "missing")))
}

package tomlconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

type conf struct {
	Name  string `toml:"name"`
	Steps int    `toml:"steps"`
	Sub   struct {
		Rate float64 `toml:"rate"`
	} `toml:"sub"`
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.toml")
	require.NoError(t, os.WriteFile(p, []byte("steps = 3\n[sub]\nrate = 0.5\n"), 0o644))
	c := conf{Name: "default", Steps: 1}
	require.NoError(t, Load(p, &c))
	require.Equal(t, "default", c.Name, "absent keys keep their defaults")
	require.Equal(t, 3, c.Steps)
	require.Equal(t, 0.5, c.Sub.Rate)

	require.NoError(t, os.WriteFile(p, []byte("stpes = 3\n[sub]\nrate = 0.5\nratio = 2\n"), 0o644))
	err := Load(p, &c)
	require.ErrorContains(t, err, p+": unknown key(s) stpes, sub.ratio")

	require.NoError(t, os.WriteFile(p, []byte("steps = \"three\"\n"), 0o644))
	err = Load(p, &c)
	require.ErrorContains(t, err, p+":")

	err = Load(filepath.Join(t.TempDir(), "none.toml"), &c)
	require.ErrorContains(t, err, "reading config")
}

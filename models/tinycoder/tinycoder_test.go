package tinycoder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

func TestExtractAndLoad(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	dir, err := extract()
	require.NoError(t, err)
	require.Contains(t, filepath.Base(dir), ID+"-"+Hash())
	for _, name := range Files {
		want, err := files.ReadFile(name)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}
	again, err := extract()
	require.NoError(t, err)
	require.Equal(t, dir, again, "a complete extraction is reused")

	// A damaged extraction (truncated file) is detected and redone.
	require.NoError(t, os.Truncate(filepath.Join(dir, "model.safetensors"), 10))
	require.False(t, complete(dir))

	backend, err := models.NewBackend("go")
	require.NoError(t, err)
	m, tok, err := models.LoadWithTokenizer(filepath.Join("."), backend) // the repo copy
	require.NoError(t, err)
	require.Equal(t, "llama", m.Config.ModelType)
	require.Equal(t, m.Config.VocabSize, tok.VocabSize())
	require.GreaterOrEqual(t, m.Config.MaxPositions, 512)
}

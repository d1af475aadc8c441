package tinycoder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/internal/embedded"
	"github.com/pttrust/pttrust/models"
)

func TestExtractAndLoad(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	dir, err := embedded.Extract(files, ID, Files)
	require.NoError(t, err)
	require.Contains(t, filepath.Base(dir), ID+"-"+Hash())
	for _, name := range Files {
		want, err := files.ReadFile(name)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}

	backend, err := models.NewBackend("go")
	require.NoError(t, err)
	m, tok, err := models.LoadWithTokenizer(filepath.Join("."), backend) // the repo copy
	require.NoError(t, err)
	require.Equal(t, "llama", m.Config.ModelType)
	require.Equal(t, m.Config.VocabSize, tok.VocabSize())
	require.GreaterOrEqual(t, m.Config.MaxPositions, 512)
}

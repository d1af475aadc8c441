package pretrain

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// FuzzLoadConfig feeds arbitrary bytes, as an SAE configuration file, to LoadConfig. It must
// never panic: it returns an error naming the file, or a configuration that validates, holds no
// NaN or infinity, and survives a round trip through a TOML encoder. Seeded with the shipped
// experiments/sae_*.toml; the corpus is kept in testdata/fuzz/FuzzLoadConfig.
func FuzzLoadConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "experiments", "sae_*.toml"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("states_dir = \"s\"\nlatents_per_dim = 8\nk = 64\n"))
	f.Add([]byte("lr = nan\nmargin = inf\nepochs = 100001\n"))
	f.Add([]byte("latents = 128\nlatent = 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tomlconftest.Check(t, data, "sae.toml", LoadConfig, func(c Config) error { return c.Validate() }, nil)
	})
}

package finetune

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// FuzzLoadConfig feeds arbitrary bytes, as a binding configuration file, to LoadConfig. It must
// never panic: it returns an error naming the file, or a configuration that validates, holds no
// NaN or infinity, and survives a round trip through a TOML encoder. Seeded with the shipped
// experiments/binding_*.toml; the corpus is kept in testdata/fuzz/FuzzLoadConfig.
func FuzzLoadConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "experiments", "binding_*.toml"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("layers = 2\nhidden = 8\nloss = \"bce\"\n[data]\nsae_dir = \"s\"\n"))
	f.Add([]byte("lr = nan\ntemperature = inf\nepochs = 100001\n"))
	f.Add([]byte("layers = 0\nlayer = 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tomlconftest.Check(t, data, "binding.toml", LoadConfig, func(c Config) error { return c.Validate() }, nil)
	})
}

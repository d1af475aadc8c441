package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// FuzzLoadRunConfig feeds arbitrary bytes, as an LM training configuration file, to
// LoadRunConfig. It must never panic: it returns an error naming the file, or a configuration
// that validates, holds no NaN or infinity, and survives a round trip through a TOML encoder.
// Seeded with the shipped experiments/tinycoder.toml; the corpus is kept in
// testdata/fuzz/FuzzLoadRunConfig.
func FuzzLoadRunConfig(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "experiments", "tinycoder.toml")); err == nil {
		f.Add(data)
	}
	f.Add([]byte("name = \"x\"\n[model]\ncontext = 2048\nrope_theta = 1e6\n[tokenizer]\npath = \"t.json\"\n"))
	f.Add([]byte("[train]\nbeta1 = nan\n[model]\nnorm_eps = inf\n"))
	f.Add([]byte("[data]\nlanguages = [\"go\"]\nval_fraction = 0.5\ntest_fraction = 0.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tomlconftest.Check(t, data, "run.toml", LoadRunConfig, func(c RunConfig) error { return c.Validate() }, func(c *RunConfig) { c.ConfigPath = "" }) // ConfigPath is not part of the file
	})
}

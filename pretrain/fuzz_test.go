package pretrain

import (
	"os"
	"path/filepath"
	"strings"
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
		p := filepath.Join(t.TempDir(), "sae.toml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		if err := tomlconftest.Finite(cfg); err != nil {
			t.Fatal(err)
		}
		if err := tomlconftest.RoundTrip(cfg); err != nil {
			t.Fatal(err)
		}
	})
}

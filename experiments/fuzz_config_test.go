package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// FuzzLoad feeds an arbitrary experiment file and an arbitrary default.toml beside it (the file
// a `base = "default.toml"` names) to Load. It must never panic nor loop on a cycle of bases: it
// returns an error naming one of the two files, or a configuration that validates, holds no NaN
// or infinity, and survives a round trip through a TOML encoder. Seeded with the shipped
// experiments/*.toml over the shipped default.toml; the corpus is kept in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	base, _ := os.ReadFile("default.toml")
	files, _ := filepath.Glob("*.toml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil && len(data) < 8<<10 {
			f.Add(data, base)
		}
	}
	f.Add([]byte("base = \"default.toml\"\nname = \"x\"\n"), []byte("base = \"default.toml\"\n"))
	f.Add([]byte("base = \"exp.toml\"\n"), []byte(nil))
	f.Add([]byte("base = \"default.toml\"\n[flags]\nmax_flag_rate = nan\n"), []byte("[pretrain]\nmargin = inf\n"))
	f.Add([]byte("[[transfer]]\nname = \"he\"\n[transfer.data]\nformat = \"humanevalpack\"\npath = \"p\"\n"), []byte(nil))

	f.Fuzz(func(t *testing.T, data, baseData []byte) {
		dir := t.TempDir()
		p, bp := filepath.Join(dir, "exp.toml"), filepath.Join(dir, "default.toml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bp, baseData, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) && !strings.Contains(err.Error(), bp) {
				t.Fatalf("error names neither file: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		if err := tomlconftest.Finite(cfg); err != nil {
			t.Fatal(err)
		}
		cfg.path = "" // not part of the file
		if err := tomlconftest.RoundTrip(cfg); err != nil {
			t.Fatal(err)
		}
	})
}

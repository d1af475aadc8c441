package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/internal/tomlconf/tomlconftest"
)

// FuzzParseHFConfig feeds arbitrary bytes, as a checkpoint's config.json, to LoadConfig. It
// must never panic: it returns an error naming the file, or a configuration that validates and
// holds no NaN or infinity. Seeded with the golden checkpoints' config.json files; the corpus
// is kept in testdata/fuzz/FuzzParseHFConfig.
func FuzzParseHFConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*", ConfigFile))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"model_type": "llama", "vocab_size": 8, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "rope_theta": 1e400}`))
	f.Add([]byte(`{"model_type": "gpt2", "n_embd": 0}`))
	f.Add([]byte(`{"model_type": "bert"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, ConfigFile)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(dir)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		if err := tomlconftest.Finite(*c); err != nil {
			t.Fatal(err)
		}
	})
}

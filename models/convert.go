package models

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pttrust/pttrust/internal/atomicfile"
)

// ConvertGGUF writes the GGUF checkpoint src as a Hugging Face checkpoint directory out:
// config.json, model.safetensors (weights dequantized, stored as opts.DType, float32 by default),
// tokenizer.json and tokenizer_config.json (from the GGUF's tokenizer metadata), which
// transformers and this package load. The directory appears whole or not at all: it is written
// under a temporary name beside out and renamed. An existing out is refused.
func ConvertGGUF(src, out string, opts SaveOptions) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("models: %s already exists; remove it or choose another output directory", out)
	}
	m, err := LoadGGUF(src, nil)
	if err != nil {
		return err
	}
	tj, cj, err := ggufTokenizer(src)
	if err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	if opts.Metadata == nil {
		opts.Metadata = map[string]string{}
	}
	opts.Metadata["converted_from"] = filepath.Base(src)
	if err := m.Save(tmp, opts); err != nil {
		return err
	}
	for name, data := range map[string][]byte{TokenizerFile: tj, "tokenizer_config.json": cj} {
		if err := atomicfile.WriteFile(filepath.Join(tmp, name), data); err != nil {
			return fmt.Errorf("models: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return nil
}

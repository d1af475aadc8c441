package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pttrust/pttrust/internal/gctune"
	"github.com/pttrust/pttrust/internal/smollm2"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tinycoder"
)

// The experiment's model: which it is, what identifies it, the memory a run with it needs.

// modelOf resolves the experiment's model ("" is the embedded tinycoder, "smollm2" the cached
// GGUF) and reads its configuration.
func modelOf(cfg Config) (string, *models.Config, error) {
	dir, err := smollm2.Resolve(cfg.Model.Dir)
	if err != nil {
		return "", nil, err
	}
	if dir == "" {
		if dir, err = tinycoder.Dir(); err != nil {
			return "", nil, err
		}
	}
	mc, err := models.ConfigOf(dir) // a checkpoint directory or a GGUF file
	return dir, mc, err
}

// MemoryBudget is the soft memory limit under which the experiment runs at full speed
// (gctune.RunBudget of its model): 1.35 GiB for the embedded tinycoder. Commands set it.
func MemoryBudget(cfg Config) (int64, error) {
	_, mc, err := modelOf(cfg)
	if err != nil {
		return 0, err
	}
	return gctune.RunBudget(mc.NumParams()), nil
}

// modelIdentity hashes what identifies a model: for a checkpoint directory its config.json,
// tokenizer.json and the names and sizes of the weight files; for a single model file (a GGUF)
// its name, size and content.
func modelIdentity(dir string) (string, error) {
	h := sha256.New()
	if info, err := os.Stat(dir); err == nil && info.Mode().IsRegular() {
		f, err := os.Open(dir)
		if err != nil {
			return "", fmt.Errorf("model %s: %w", dir, err)
		}
		defer f.Close()
		fmt.Fprintf(h, "%s:%d;", filepath.Base(dir), info.Size())
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("model %s: %w", dir, err)
		}
		return hex.EncodeToString(h.Sum(nil)[:8]), nil
	}
	for _, name := range []string{"config.json", "tokenizer.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("model %s: %w", dir, err)
		}
		h.Write(data)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return "", err
	}
	slices.Sort(files)
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s:%d;", filepath.Base(f), info.Size())
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

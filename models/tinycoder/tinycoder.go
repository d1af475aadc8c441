// Package tinycoder embeds pttrust's default code LM: a ~6.5M-parameter Llama-style model that
// pttrust trained itself on source code found on the build machine (see MODEL_CARD.md, and
// experiments/tinycoder.toml to reproduce it). Every command uses it when --model is not given,
// so pttrust works offline with nothing downloaded.
package tinycoder

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ID names the model in artifacts.
const ID = "tinycoder"

//go:embed config.json model.safetensors tokenizer.json MODEL_CARD.md
var files embed.FS

// Files lists the embedded files.
var Files = []string{"config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md"}

// CacheEnv overrides the directory the embedded model is extracted to.
const CacheEnv = "PTTRUST_CACHE"

var dirOnce = sync.OnceValues(extract)

// Dir returns a directory holding the model's files, extracting the embedded copy on first use
// into $PTTRUST_CACHE (default: the user cache directory)/pttrust/tinycoder-<hash>. The directory
// name carries a hash of the contents, so a new build never reads an old extraction, and the
// extraction is atomic (temporary directory, then rename).
func Dir() (string, error) { return dirOnce() }

// Hash is a short hex digest of the embedded files.
func Hash() string {
	h := sha256.New()
	for _, name := range Files {
		data, _ := files.ReadFile(name)
		fmt.Fprintf(h, "%s:%d:", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func extract() (string, error) {
	base := os.Getenv(CacheEnv)
	if base == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		base = filepath.Join(cache, "pttrust")
	}
	dir := filepath.Join(base, ID+"-"+Hash())
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("tinycoder: %w", err)
	}
	tmp, err := os.MkdirTemp(base, "."+ID+"-tmp-*")
	if err != nil {
		return "", fmt.Errorf("tinycoder: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range Files {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return "", fmt.Errorf("tinycoder: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", fmt.Errorf("tinycoder: extracting %s: %w", name, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil && !complete(dir) { // a concurrent extraction may have won
		return "", fmt.Errorf("tinycoder: %w", err)
	}
	return dir, nil
}

func complete(dir string) bool {
	for _, name := range Files {
		st, err := os.Stat(filepath.Join(dir, name))
		want, _ := fs.Stat(files, name)
		if err != nil || want == nil || st.Size() != want.Size() {
			return false
		}
	}
	return true
}

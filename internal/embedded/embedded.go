// Package embedded extracts files embedded in the binary (the default model, the default
// assessor) to a content-addressed folder of the user cache, so code that reads directories
// can use them.
package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// CacheEnv overrides the directory embedded files are extracted to.
const CacheEnv = "PTTRUST_CACHE"

// Hash is a short hex digest of the named files of fsys (names and contents).
func Hash(fsys fs.FS, files []string) string {
	h := sha256.New()
	for _, name := range files {
		data, _ := fs.ReadFile(fsys, name)
		fmt.Fprintf(h, "%s:%d:", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Extract copies the named files of fsys (slash paths, folders allowed) into
// $PTTRUST_CACHE (default: the user cache directory)/pttrust/<id>-<Hash> and returns that
// directory. The name carries the hash, so a new build never reads an old extraction, and the
// extraction is atomic (temporary directory, then rename); an existing complete extraction is
// reused.
func Extract(fsys fs.FS, id string, files []string) (string, error) {
	base := os.Getenv(CacheEnv)
	if base == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		base = filepath.Join(cache, "pttrust")
	}
	dir := filepath.Join(base, id+"-"+Hash(fsys, files))
	if complete(fsys, dir, files) {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	tmp, err := os.MkdirTemp(base, "."+id+"-tmp-*")
	if err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", fmt.Errorf("%s: %w", id, err)
		}
		dst := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("%s: %w", id, err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return "", fmt.Errorf("%s: extracting %s: %w", id, name, err)
		}
	}
	if _, err := os.Stat(dir); err == nil && !complete(fsys, dir, files) {
		os.RemoveAll(dir) // a damaged extraction (a truncated file): replace it
	}
	if err := os.Rename(tmp, dir); err != nil && !complete(fsys, dir, files) { // a concurrent extraction may have won
		return "", fmt.Errorf("%s: %w", id, err)
	}
	return dir, nil
}

// Files lists the regular files of fsys under root (slash paths relative to fsys), sorted.
func Files(fsys fs.FS, root string) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, path.Clean(p))
		}
		return nil
	})
	return out, err
}

func complete(fsys fs.FS, dir string, files []string) bool {
	for _, name := range files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		want, _ := fs.Stat(fsys, name)
		if err != nil || want == nil || st.Size() != want.Size() {
			return false
		}
	}
	return true
}

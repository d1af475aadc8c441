// Package tinycoder embeds pttrust's default code LM: a ~6.5M-parameter Llama-style model that
// pttrust trained itself on source code found on the build machine (see MODEL_CARD.md, and
// experiments/tinycoder.toml to reproduce it). Every command uses it when --model is not given,
// so pttrust works offline with nothing downloaded.
package tinycoder

import (
	"embed"
	"sync"

	"github.com/pttrust/pttrust/internal/embedded"
)

// ID names the model in artifacts.
const ID = "tinycoder"

//go:embed config.json model.safetensors tokenizer.json MODEL_CARD.md
var files embed.FS

// Files lists the embedded files.
var Files = []string{"config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md"}

// CacheEnv overrides the directory the embedded model is extracted to.
const CacheEnv = embedded.CacheEnv

var dirOnce = sync.OnceValues(func() (string, error) { return embedded.Extract(files, ID, Files) })

// Dir returns a directory holding the model's files, extracting the embedded copy on first use
// into $PTTRUST_CACHE (default: the user cache directory)/pttrust/tinycoder-<hash>. The directory
// name carries a hash of the contents, so a new build never reads an old extraction, and the
// extraction is atomic (temporary directory, then rename).
func Dir() (string, error) { return dirOnce() }

// Hash is a short hex digest of the embedded files.
func Hash() string { return embedded.Hash(files, Files) }

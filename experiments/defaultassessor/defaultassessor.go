// Package defaultassessor embeds the assessor bundle that the default experiment trained
// (results/default/assessor, copied here by `just ship-assessor`), so `pttrust score` works
// offline with nothing but the binary.
package defaultassessor

import (
	"embed"
	"sync"

	"github.com/pttrust/pttrust/internal/embedded"
)

// ID names the bundle in the cache.
const ID = "assessor-default"

//go:embed all:bundle
var files embed.FS

var dirOnce = sync.OnceValues(func() (string, error) {
	names, err := embedded.Files(files, "bundle")
	if err != nil {
		return "", err
	}
	dir, err := embedded.Extract(files, ID, names)
	if err != nil {
		return "", err
	}
	return dir + "/bundle", nil
})

// Dir returns a directory holding the bundle (cfg.json, sae/, binding/, examples.json),
// extracted on first use into the user cache (see internal/embedded).
func Dir() (string, error) { return dirOnce() }

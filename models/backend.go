package models

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// DefaultBackend is the backend used when neither --backend nor GOMLX_BACKEND says otherwise:
// GoMLX's pure-Go backend, embedded, with no native library.
const DefaultBackend = gobackend.BackendName

// NewBackend creates a compute backend from a GoMLX backend spec ("go", "xla:/abs/plugin.so").
// An empty spec reads GOMLX_BACKEND and falls back to DefaultBackend. Backends other than "go"
// exist only in builds that compile them in (see the build tags in the README).
func NewBackend(spec string) (compute.Backend, error) {
	if spec == "" {
		spec = os.Getenv(compute.ConfigEnvVar)
	}
	if spec == "" {
		spec = DefaultBackend
	}
	name, _, _ := strings.Cut(spec, ":")
	registered := compute.List()
	found := false
	for _, r := range registered {
		found = found || r == name
	}
	if !found {
		return nil, fmt.Errorf("backend %q is not compiled into this binary (available: %s)", name, strings.Join(registered, ", "))
	}
	b, err := newBackendNoPanic(spec)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", spec, err)
	}
	return b, nil
}

func newBackendNoPanic(spec string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(spec)
}

// Package buildinfo reports the version of pttrust and how the running binary was built; every
// artifact records it.
package buildinfo

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/pttrust/pttrust/models"
)

// Version is the release of pttrust.
const Version = "0.1.0-dev"

// Info describes the binary.
type Info struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Revision  string `json:"revision,omitempty"`
	// RevisionFrom says where Revision came from: "vcs" (stamped by go build), "ldflags"
	// (-X .../buildinfo.revision=...), or "source tree" (the git checkout the binary was built
	// from, read at run time: go run and -buildvcs=false stamp nothing).
	RevisionFrom string `json:"revision_from,omitempty"`
	Modified     bool   `json:"modified,omitempty"`
	SIMD         bool   `json:"simd"`
	GOOS         string `json:"goos"`
	GOARCH       string `json:"goarch"`
}

// Get collects the build information.
func Get() Info {
	info := Info{Version: Version, GoVersion: runtime.Version(), SIMD: models.SIMDBuild, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case info.Revision != "":
		info.RevisionFrom = "vcs"
	case revision != "":
		info.Revision, info.RevisionFrom = revision, "ldflags"
	default:
		if rev := sourceRev(); rev != "" {
			info.Revision, info.RevisionFrom = rev, "source tree"
		}
	}
	return info
}

// revision can be set at link time: go build -ldflags "-X github.com/pttrust/pttrust/internal/buildinfo.revision=$(git rev-parse HEAD)".
var revision string

// sourceRev is sourceRevision, read once per process (Get is called for every artifact).
var sourceRev = sync.OnceValue(sourceRevision)

// sourceRevision is the commit checked out in the git tree holding this file's source, when the
// binary runs where it was built (empty otherwise, e.g. with -trimpath or on another machine).
func sourceRevision() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, ".git")); err == nil && st.IsDir() {
			return gitHead(filepath.Join(dir, ".git"))
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// gitHead resolves HEAD in a .git folder: a detached commit, a loose ref or a packed one.
func gitHead(git string) string {
	head, err := os.ReadFile(filepath.Join(git, "HEAD"))
	if err != nil {
		return ""
	}
	h := strings.TrimSpace(string(head))
	ref, ok := strings.CutPrefix(h, "ref: ")
	if !ok {
		return validHash(h)
	}
	if b, err := os.ReadFile(filepath.Join(git, filepath.FromSlash(ref))); err == nil {
		return validHash(strings.TrimSpace(string(b)))
	}
	packed, err := os.ReadFile(filepath.Join(git, "packed-refs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(packed), "\n") {
		if hash, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref {
			return validHash(hash)
		}
	}
	return ""
}

// validHash returns h when it is a 40- or 64-digit hex object name, else "".
func validHash(h string) string {
	if len(h) != 40 && len(h) != 64 {
		return ""
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return h
}

// String is the one-line form printed by `pttrust version`.
func (i Info) String() string {
	s := fmt.Sprintf("pttrust %s (%s, %s/%s, simd=%t", i.Version, i.GoVersion, i.GOOS, i.GOARCH, i.SIMD)
	if i.Revision != "" {
		s += ", rev " + i.Revision
		if i.Modified {
			s += "+dirty"
		}
		if i.RevisionFrom == "source tree" {
			s += " (the source tree's)"
		}
	}
	return s + ")"
}

// SIMDWarning is printed on stderr by binaries built without GOEXPERIMENT=simd.
const SIMDWarning = `WARNING: pttrust was built without GOEXPERIMENT=simd: GoMLX's pure-Go backend multiplies
WARNING: matrices about 20x slower. Rebuild with: GOEXPERIMENT=simd GOTOOLCHAIN=go1.27.4 go build ./cmd/pttrust`

// Package buildinfo reports the version of pttrust and how the running binary was built; every
// artifact records it.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/pttrust/pttrust/models"
)

// Version is the release of pttrust.
const Version = "0.1.0-dev"

// Info describes the binary.
type Info struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Revision  string `json:"revision,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	SIMD      bool   `json:"simd"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
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
	return info
}

// String is the one-line form printed by `pttrust version`.
func (i Info) String() string {
	s := fmt.Sprintf("pttrust %s (%s, %s/%s, simd=%t", i.Version, i.GoVersion, i.GOOS, i.GOARCH, i.SIMD)
	if i.Revision != "" {
		s += ", rev " + i.Revision
		if i.Modified {
			s += "+dirty"
		}
	}
	return s + ")"
}

// SIMDWarning is printed on stderr by binaries built without GOEXPERIMENT=simd.
const SIMDWarning = `WARNING: pttrust was built without GOEXPERIMENT=simd: GoMLX's pure-Go backend multiplies
WARNING: matrices about 20x slower. Rebuild with: GOEXPERIMENT=simd GOTOOLCHAIN=go1.27.4 go build ./cmd/pttrust`

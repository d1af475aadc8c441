//go:build xla

package models

// Building with -tags xla (and CGO_ENABLED=1; it links only -ldl) compiles go-xla's XLA/PJRT
// backend in. The PJRT plugin itself is a native .so loaded at run time from an explicit path
// (`--backend xla:/abs/path/xla_cuda_plugin.so` or `xla:cuda`, see ResolveBackendSpec). go-xla's
// autoinstall package is never imported, so nothing is downloaded.

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
)

func init() {
	xla.EnableAutoInstall(false) // no auto-installer is linked anyway; be explicit
	xlaDetails = func(b compute.Backend, info *BackendInfo) {
		xb, ok := b.(*xla.Backend)
		if !ok || xb.IsFinalized() {
			return
		}
		info.Plugin = xb.PluginName()
		if xb.IsCUDA() {
			tf32 := xb.DotGeneralUseTF32
			info.TF32 = &tf32
		}
	}
}

// Package doctor checks the setup pttrust runs on: how the binary was built (simd, compiled-in
// backends), whether the requested compute backend can be created and on which devices, whether
// it multiplies matrices correctly, and, for NVIDIA GPUs, where the PJRT CUDA plugin, the driver
// and the CUDA libraries are. `pttrust doctor` prints the Report made by Check.
package doctor

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models"
)

// Report is what `pttrust doctor` found.
type Report struct {
	// Build is the version and build of this binary.
	Build buildinfo.Info `json:"build"`
	// SIMDWarning is set when the binary was built without GOEXPERIMENT=simd.
	SIMDWarning string `json:"simd_warning,omitempty"`
	// NumCPU and GOMAXPROCS describe the CPUs Go sees.
	NumCPU     int `json:"num_cpu"`
	GOMAXPROCS int `json:"gomaxprocs"`
	// CompiledIn lists the backends compiled into this binary.
	CompiledIn []string `json:"compiled_in"`
	// XLACompiledIn reports whether the xla backend is compiled in (build tag xla).
	XLACompiledIn bool `json:"xla_compiled_in"`
	// Requested is the --backend value as given ("" when not given).
	Requested string `json:"requested"`
	// GOMLXBackend is $GOMLX_BACKEND ("" when unset).
	GOMLXBackend string `json:"gomlx_backend_env"`
	// Spec is the requested backend once parsed and resolved (plugin path found).
	Spec models.BackendSpec `json:"spec"`
	// OK reports whether the requested backend could be created.
	OK bool `json:"ok"`
	// Error says why the requested backend could not be created.
	Error string `json:"error,omitempty"`
	// PluginCheck is, for an xla spec in a binary without xla, the result of checking the plugin
	// anyway ("ok: PATH" or the problem), so one run tells everything.
	PluginCheck string `json:"plugin_check,omitempty"`
	// Backend describes the backend created (nil when it could not be).
	Backend *models.BackendInfo `json:"backend,omitempty"`
	// MatMul is a small float32 matrix product run on the backend (nil when not created).
	MatMul *MatMulCheck `json:"matmul,omitempty"`
	// CUDAPlugins are the PJRT CUDA plugins found on this machine, usable or not.
	CUDAPlugins []models.CUDAPlugin `json:"cuda_plugins"`
	// CUDA is the probe of the NVIDIA driver and, when a CUDA plugin is requested or found, of
	// the libraries that plugin needs.
	CUDA *models.CUDAProbe `json:"cuda"`
	// Env holds the environment variables that affect backends (only those set), read after the
	// backend was created (pttrust may set XLA_FLAGS for a CUDA plugin).
	Env map[string]string `json:"env"`
}

// MatMulCheck is a timed [M,K]x[K,N] float32 product with small-integer inputs, whose exact
// result is known (even TF32 represents the inputs exactly).
type MatMulCheck struct {
	M int `json:"m"`
	K int `json:"k"`
	N int `json:"n"`
	// FirstMS includes compilation; RunMS is the best of the following runs.
	FirstMS     float64 `json:"first_ms"`
	RunMS       float64 `json:"run_ms"`
	GFLOPS      float64 `json:"gflops"`
	MaxAbsError float64 `json:"max_abs_error"`
	OK          bool    `json:"ok"`
	Error       string  `json:"error,omitempty"`
}

// envVars are the environment variables shown by the report.
var envVars = []string{
	compute.ConfigEnvVar, models.CUDAPluginEnv, models.SkipCUDAChecksEnv, "PJRT_PLUGIN_LIBRARY_PATH",
	"GOMLX_NO_AUTO_INSTALL", "XLA_FLAGS", "TF_CPP_MIN_LOG_LEVEL", "GOPJRT_CUDA_CHECKS",
	"CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "GOEXPERIMENT", "GOMAXPROCS",
}

// Check examines the backend named by spec (a --backend value; "" means $GOMLX_BACKEND, then
// "go") and the machine. The report is always returned; the error is non-nil only when the
// requested backend cannot be created, and repeats Report.Error.
func Check(spec string) (*Report, error) {
	r := &Report{
		Build:         buildinfo.Get(),
		NumCPU:        runtime.NumCPU(),
		GOMAXPROCS:    runtime.GOMAXPROCS(0),
		CompiledIn:    compute.List(),
		XLACompiledIn: models.Compiled(models.XLABackend),
		Requested:     spec,
		GOMLXBackend:  os.Getenv(compute.ConfigEnvVar),
		Env:           map[string]string{},
	}
	slices.Sort(r.CompiledIn)
	if !models.SIMDBuild {
		r.SIMDWarning = buildinfo.SIMDWarning
	}
	r.CUDAPlugins = models.DiscoverCUDAPlugins()

	backend, s, err := models.NewBackendSpec(spec)
	r.Spec = s
	if err != nil {
		r.Error = err.Error()
		if s.IsXLA() && !r.XLACompiledIn {
			if rs, perr := models.ResolveBackendSpec(spec); perr != nil {
				r.PluginCheck = perr.Error()
			} else if rs.PluginPath != "" {
				r.PluginCheck = "ok: " + rs.PluginPath
			}
		}
	} else {
		r.OK = true
		info := models.DescribeBackend(backend)
		r.Backend = &info
		r.MatMul = matMulCheck(backend, 256, 512, 256)
		backend.Finalize()
	}

	plugin := r.Spec.PluginPath
	if plugin == "" || !r.Spec.IsCUDA() {
		plugin = ""
		for _, c := range r.CUDAPlugins {
			if c.Err == "" {
				plugin = c.Path
				break
			}
		}
	}
	r.CUDA = models.ProbeCUDA(plugin)

	for _, k := range envVars {
		if v, ok := os.LookupEnv(k); ok {
			r.Env[k] = v
		}
	}
	if !r.OK {
		return r, fmt.Errorf("requested backend is unavailable: %s", r.Error)
	}
	return r, nil
}

func matMulCheck(backend compute.Backend, m, k, n int) (c *MatMulCheck) {
	c = &MatMulCheck{M: m, K: k, N: n}
	defer func() {
		if p := recover(); p != nil {
			c.Error, c.OK = fmt.Sprint(p), false
		}
	}()
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range a {
		a[i] = float32(i*7%9 - 4)
	}
	for i := range b {
		b[i] = float32(i*5%7 - 3)
	}
	exec, err := NewExec(backend, func(x, y *Node) *Node { return MatMul(x, y) })
	if err != nil {
		c.Error = err.Error()
		return c
	}
	defer exec.Finalize()
	ta := tensors.FromFlatDataAndDimensions(a, m, k)
	tb := tensors.FromFlatDataAndDimensions(b, k, n)
	var got []float32
	best := math.Inf(1)
	for try := range 4 {
		start := time.Now()
		out, err := exec.Call(ta, tb)
		if err != nil {
			c.Error = err.Error()
			return c
		}
		got, err = tensors.CopyFlatData[float32](out[0])
		out[0].FinalizeAll()
		if err != nil {
			c.Error = err.Error()
			return c
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		if try == 0 {
			c.FirstMS = ms
		} else {
			best = math.Min(best, ms)
		}
	}
	c.RunMS = best
	if best > 0 {
		c.GFLOPS = 2 * float64(m*k*n) / (best / 1000) / 1e9
	}
	for i := range m {
		for j := range n {
			want := 0.0
			for l := range k {
				want += float64(a[i*k+l]) * float64(b[l*n+j])
			}
			c.MaxAbsError = math.Max(c.MaxAbsError, math.Abs(want-float64(got[i*n+j])))
		}
	}
	c.OK = c.MaxAbsError <= 1e-3
	if !c.OK {
		c.Error = fmt.Sprintf("wrong result: max abs error %g (inputs are small integers, the exact result is representable)", c.MaxAbsError)
	}
	return c
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	kv := func(k, format string, args ...any) { fmt.Fprintf(w, "  %-18s %s\n", k, fmt.Sprintf(format, args...)) }
	orNone := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return s
	}
	fmt.Fprintln(w, "build")
	kv("pttrust", "%s", r.Build.String())
	kv("go", "%s %s/%s", r.Build.GoVersion, r.Build.GOOS, r.Build.GOARCH)
	kv("simd", "%t", r.Build.SIMD)
	if r.SIMDWarning != "" {
		for l := range strings.SplitSeq(r.SIMDWarning, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	kv("cpus", "%d (GOMAXPROCS %d)", r.NumCPU, r.GOMAXPROCS)
	kv("compiled backends", "%s", strings.Join(r.CompiledIn, ", "))
	if !r.XLACompiledIn {
		kv("xla", "not compiled in (%s)", models.XLABuildHint)
	}

	fmt.Fprintln(w, "backend")
	kv("--backend", "%s", orNone(r.Requested))
	kv("GOMLX_BACKEND", "%s", orNone(r.GOMLXBackend))
	spec := r.Spec.Raw
	if r.Spec.Source != "" {
		spec += " (from " + r.Spec.Source + ")"
	}
	kv("spec", "%s", spec)
	if cfg := r.Spec.String(); r.Spec.PluginPath == "" && cfg != strings.TrimSpace(r.Spec.Raw) {
		kv("config", "%s (what GoMLX is given)", cfg) // e.g. the pure-Go backend's executors
	}
	if r.Spec.PluginPath != "" {
		kv("plugin", "%s (%s)", r.Spec.PluginPath, r.Spec.PluginSource)
	}
	if r.OK {
		kv("status", "ok")
	} else {
		lines := strings.Split(r.Error, "\n")
		kv("status", "UNAVAILABLE: %s", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-18s %s\n", "", strings.TrimSpace(l))
		}
		if r.PluginCheck != "" {
			kv("plugin check", "%s", r.PluginCheck)
		}
	}
	if b := r.Backend; b != nil {
		kv("name", "%s", b.Name)
		kv("description", "%s", b.Description)
		if b.TF32 != nil {
			kv("tf32 matmuls", "%t (add \",tf32=false\" to the spec for full float32)", *b.TF32)
		}
		kv("devices", "%d", len(b.Devices))
		for i, d := range b.Devices {
			fmt.Fprintf(w, "  %-18s [%d] %s\n", "", i, d)
		}
	}
	if c := r.MatMul; c != nil {
		status := "ok"
		if !c.OK {
			status = "FAILED: " + c.Error
		}
		kv("matmul check", "%dx%dx%d float32 %s: max |err| %g, first call %.1f ms (with compile), then %.2f ms (%.1f GFLOP/s)",
			c.M, c.K, c.N, status, c.MaxAbsError, c.FirstMS, c.RunMS, c.GFLOPS)
	}

	fmt.Fprintln(w, "cuda")
	if len(r.CUDAPlugins) == 0 {
		kv("plugins", "none found ($%s, $PJRT_PLUGIN_LIBRARY_PATH, site-packages jax_plugins/xla_cuda13|12)", models.CUDAPluginEnv)
	}
	for i, c := range r.CUDAPlugins {
		k := ""
		if i == 0 {
			k = "plugins"
		}
		if c.Err == "" {
			kv(k, "%s (%s)", c.Path, c.Source)
		} else {
			kv(k, "%s (%s): unusable: %s", c.Path, c.Source, c.Err)
		}
	}
	if p := r.CUDA; p != nil {
		if p.HasDriver() {
			kv("driver", "%s", orNone(p.DriverVersion))
			kv("device files", "%s", strings.Join(p.DeviceFiles, " "))
		} else {
			kv("driver", "none")
		}
		kv("libcuda.so.1", "%s", orDash(p.LibCUDA))
		if p.Plugin != "" {
			kv("probed plugin", "%s", p.Plugin)
			libs := make([]string, 0, len(p.Libraries))
			for name, path := range p.Libraries {
				libs = append(libs, name+" "+orDash(path))
			}
			slices.Sort(libs)
			for _, l := range libs {
				kv("library", "%s", l)
			}
			kv("cuda data dir", "%s", orDash(p.DataDir))
		}
		label := "note"
		if r.Spec.IsCUDA() {
			label = "problem"
		}
		for _, pr := range p.Problems {
			kv(label, "%s", pr)
		}
	}

	fmt.Fprintln(w, "environment")
	if len(r.Env) == 0 {
		kv("", "(none of %s set)", strings.Join(envVars, ", "))
	}
	for _, k := range envVars {
		if v, ok := r.Env[k]; ok {
			kv(k, "%s", v)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

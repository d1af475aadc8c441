package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// This file holds everything about choosing a compute backend that can be checked without a GPU
// and without cgo: spec parsing, PJRT plugin discovery and validation, and the probe of the NVIDIA
// driver and libraries. backend_xla.go (build tag xla) only links go-xla in.

// DefaultBackend is the backend used when neither --backend nor GOMLX_BACKEND says otherwise:
// GoMLX's pure-Go backend, embedded, with no native library.
const DefaultBackend = gobackend.BackendName

// XLABackend is the name of go-xla's backend; "stablehlo", "hlo" and "shlo" are aliases.
const XLABackend = "xla"

// CUDAPluginEnv names an explicit PJRT CUDA plugin (an absolute path to the .so); it is the first
// place `--backend xla:cuda` looks.
const CUDAPluginEnv = "PTTRUST_CUDA_PLUGIN"

// SkipCUDAChecksEnv, set to 1, skips the NVIDIA driver pre-check done before a CUDA plugin is
// loaded (for unusual setups where the check is wrong).
const SkipCUDAChecksEnv = "PTTRUST_SKIP_CUDA_CHECKS"

// XLABuildHint says how to get a binary with the XLA backend.
const XLABuildHint = "rebuild with the xla build tag and cgo: CGO_ENABLED=1 GOEXPERIMENT=simd GOTOOLCHAIN=go1.27.4 go build -tags xla ./cmd/pttrust"

var xlaAliases = []string{XLABackend, "stablehlo", "hlo", "shlo"}

// BackendSpec is a parsed GoMLX backend spec: "go", "go:parallelism=4", "xla:cuda",
// "xla:/abs/path/xla_cuda_plugin.so,tf32=false".
type BackendSpec struct {
	// Raw is the spec as given.
	Raw string `json:"raw"`
	// Source says where the spec came from: "flag", "GOMLX_BACKEND" or "default".
	Source string `json:"source,omitempty"`
	// Name is the backend: "go", "xla" (aliases normalised) or any other registered name.
	Name string `json:"name"`
	// Plugin is, for xla, the plugin as given: "" (go-xla's default search), a plugin name such
	// as "cpu" or "cuda", or a path.
	Plugin string `json:"plugin,omitempty"`
	// PluginPath is, for xla, the absolute path of the plugin once resolved and validated
	// (ResolveBackendSpec); empty when a plugin name is left to go-xla's own search.
	PluginPath string `json:"plugin_path,omitempty"`
	// PluginSource says how PluginPath was found ("spec", or a discovery source).
	PluginSource string `json:"plugin_source,omitempty"`
	// Options are the comma-separated options after the plugin (xla) or after "name:" (others).
	Options []string `json:"options,omitempty"`
}

// IsPureGo reports whether a backend is GoMLX's pure-Go one (its name is "Go Backend" or, in
// later versions, "Go Portable Compute Backend"): the code paths tuned for its costs check it.
func IsPureGo(backend compute.Backend) bool {
	return strings.HasPrefix(strings.ToLower(backend.Name()), "go")
}

// IsXLA reports whether the spec asks for go-xla's backend.
func (s BackendSpec) IsXLA() bool { return s.Name == XLABackend }

// IsCUDA reports whether the spec names an NVIDIA CUDA plugin (go-xla's heuristic: the plugin
// name or path mentions cuda or nvidia).
func (s BackendSpec) IsCUDA() bool {
	p := strings.ToLower(s.Plugin + " " + s.PluginPath)
	return s.IsXLA() && (strings.Contains(p, "cuda") || strings.Contains(p, "nvidia"))
}

// Option returns the value of option key ("" for a bare flag) and whether it is present.
func (s BackendSpec) Option(key string) (string, bool) {
	for _, o := range s.Options {
		k, v, _ := strings.Cut(o, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

// String is the configuration handed to GoMLX (compute.NewWithConfig): the resolved plugin path
// replaces the plugin as given.
func (s BackendSpec) String() string {
	var parts []string
	if s.IsXLA() {
		p := s.Plugin
		if s.PluginPath != "" {
			p = s.PluginPath
		}
		parts = append(parts, p)
	}
	parts = append(parts, s.Options...)
	cfg := strings.Join(parts, ",")
	if cfg == "" {
		return s.Name
	}
	return s.Name + ":" + cfg
}

// xlaOptions are the options go-xla v0.4.13 accepts after the plugin; bool options also accept a
// "no" prefix with no value ("notf32").
var xlaOptions = map[string]string{
	"tf32":                "bool",
	"shared_buffers":      "bool",
	"preallocate":         "bool",
	"use_tfrt_gpu_client": "bool",
	"memory_fraction":     "float",
	"allocator":           "string",
	"visible_devices":     "ints",
}

// ParseBackendSpec splits and checks a spec without touching the file system. An empty spec is
// an error (see ResolveBackendSpec for the GOMLX_BACKEND and default fallbacks).
func ParseBackendSpec(spec string) (BackendSpec, error) {
	s := BackendSpec{Raw: spec}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return s, errors.New("empty backend spec")
	}
	name, cfg, _ := strings.Cut(spec, ":")
	s.Name = strings.ToLower(strings.TrimSpace(name))
	if s.Name == "" {
		return s, fmt.Errorf("backend spec %q has no backend name before the colon (expected e.g. \"go\" or \"xla:/abs/path/xla_cuda_plugin.so\")", spec)
	}
	if slices.Contains(xlaAliases, s.Name) {
		s.Name = XLABackend
		parts := strings.Split(cfg, ",")
		s.Plugin = strings.TrimSpace(parts[0])
		for _, o := range parts[1:] {
			if o = strings.TrimSpace(o); o != "" {
				s.Options = append(s.Options, o)
			}
		}
		if s.Plugin == "help" {
			return s, fmt.Errorf("backend spec %q: %s", spec, xlaOptionsHelp())
		}
		if strings.Contains(s.Plugin, "=") {
			return s, fmt.Errorf("backend spec %q: the plugin must come first, before the options (e.g. \"xla:cuda,%s\")", spec, s.Plugin)
		}
		for _, o := range s.Options {
			if err := checkXLAOption(o); err != nil {
				return s, fmt.Errorf("backend spec %q: %w", spec, err)
			}
		}
		return s, nil
	}
	for o := range strings.SplitSeq(cfg, ",") {
		if o = strings.TrimSpace(o); o != "" {
			s.Options = append(s.Options, o)
		}
	}
	return s, nil
}

func xlaOptionsHelp() string {
	keys := make([]string, 0, len(xlaOptions))
	for k, kind := range xlaOptions {
		keys = append(keys, k+" ("+kind+")")
	}
	slices.Sort(keys)
	return "xla options: " + strings.Join(keys, ", ") + `; e.g. "xla:cuda,tf32=false,preallocate=false"`
}

func checkXLAOption(o string) error {
	key, val, hasVal := strings.Cut(o, "=")
	kind, ok := xlaOptions[key]
	if !ok {
		if base, found := strings.CutPrefix(key, "no"); found && xlaOptions[base] == "bool" && !hasVal {
			return nil
		}
		return fmt.Errorf("unknown xla option %q; %s", key, xlaOptionsHelp())
	}
	switch kind {
	case "bool":
		if hasVal {
			if _, err := strconv.ParseBool(val); err != nil {
				return fmt.Errorf("xla option %s=%q: want true or false", key, val)
			}
		}
	case "float":
		f, err := strconv.ParseFloat(val, 32)
		if err != nil || f <= 0 || f > 1 {
			return fmt.Errorf("xla option %s=%q: want a number in (0, 1]", key, val)
		}
	case "string":
		if val == "" {
			return fmt.Errorf("xla option %s needs a value", key)
		}
	case "ints":
		for f := range strings.FieldsFuncSeq(val, func(r rune) bool { return r == ';' || r == ' ' }) {
			if _, err := strconv.Atoi(f); err != nil {
				return fmt.Errorf("xla option %s=%q: want device numbers separated by ';' (e.g. \"0;1\")", key, val)
			}
		}
	}
	return nil
}

// ResolveBackendSpec turns a --backend value into a checked spec: an empty value falls back to
// $GOMLX_BACKEND and then to DefaultBackend. For xla it finds the plugin: "cuda" is looked up
// with DiscoverCUDAPlugins, a path (absolute, or relative with a slash or a .so suffix) is made
// absolute and validated with ValidatePlugin; other plugin names ("cpu") are left to go-xla's
// own search of PJRT_PLUGIN_LIBRARY_PATH. It does not check which backends are compiled in.
func ResolveBackendSpec(flag string) (BackendSpec, error) {
	raw, source := flag, "flag"
	if raw == "" {
		raw, source = os.Getenv(compute.ConfigEnvVar), compute.ConfigEnvVar
	}
	if raw == "" {
		raw, source = DefaultBackend, "default"
	}
	s, err := ParseBackendSpec(raw)
	s.Source = source
	if err != nil {
		return s, err
	}
	if !s.IsXLA() {
		return s, nil
	}
	switch {
	case s.Plugin == "cuda":
		path, src, err := FindCUDAPlugin()
		if err != nil {
			return s, err
		}
		s.PluginPath, s.PluginSource = path, src
	case looksLikePath(s.Plugin):
		path, err := filepath.Abs(s.Plugin)
		if err != nil {
			return s, fmt.Errorf("PJRT plugin %q: %w", s.Plugin, err)
		}
		if err := ValidatePlugin(path); err != nil {
			return s, err
		}
		s.PluginPath, s.PluginSource = path, "spec"
	}
	return s, nil
}

func looksLikePath(p string) bool {
	return filepath.IsAbs(p) || strings.ContainsRune(p, filepath.Separator) || strings.HasSuffix(p, ".so") || strings.Contains(p, ".so.")
}

// Compiled reports whether a backend name (aliases allowed) is compiled into this binary.
func Compiled(name string) bool {
	name = strings.ToLower(name)
	if slices.Contains(xlaAliases, name) {
		name = XLABackend
	}
	return slices.Contains(compute.List(), name)
}

// NewBackend creates a compute backend from a GoMLX backend spec ("go", "xla:cuda",
// "xla:/abs/plugin.so,tf32=false"). An empty spec reads GOMLX_BACKEND and falls back to
// DefaultBackend. The xla backend exists only in binaries built with -tags xla (and cgo); a plugin
// is checked before it is loaded, and a CUDA plugin also needs an NVIDIA driver. Nothing is ever
// downloaded.
func NewBackend(spec string) (compute.Backend, error) {
	b, _, err := NewBackendSpec(spec)
	return b, err
}

// NewBackendSpec is NewBackend that also returns the resolved spec.
func NewBackendSpec(spec string) (compute.Backend, BackendSpec, error) {
	raw := spec
	if raw == "" {
		raw = os.Getenv(compute.ConfigEnvVar)
	}
	if raw != "" {
		if name, _, _ := strings.Cut(strings.TrimSpace(raw), ":"); name != "" && !Compiled(name) {
			s, _ := ParseBackendSpec(raw)
			return nil, s, notCompiledError(name)
		}
	}
	s, err := ResolveBackendSpec(spec)
	if err != nil {
		return nil, s, err
	}
	var probe *CUDAProbe
	if s.IsCUDA() && s.PluginPath != "" {
		if probe, err = prepareCUDA(s); err != nil {
			return nil, s, err
		}
	}
	s = withGoExecutors(s)
	b, err := newBackendNoPanic(s.String())
	if err != nil {
		msg := fmt.Sprintf("backend %q: %v", s.Raw, err)
		if probe != nil && len(probe.Problems) > 0 {
			msg += "\n  likely cause: " + strings.Join(probe.Problems, "\n  likely cause: ")
		}
		if s.IsXLA() && s.PluginPath == "" {
			msg += "\n  pttrust never downloads PJRT plugins: give the plugin's absolute path (xla:/abs/path/plugin.so), use xla:cuda, or set PJRT_PLUGIN_LIBRARY_PATH to the directory holding pjrt_c_api_<name>_plugin.so"
		}
		if s.IsXLA() {
			msg += "\n  run `pttrust doctor --backend " + s.Raw + "` for details"
		}
		return nil, s, errors.New(msg)
	}
	return b, s, nil
}

// goExecutorsOption is the pure-Go backend's option for how many goroutines run a graph's ready
// ops at once ("num_executors=N").
const goExecutorsOption = "num_executors"

// GoExecutors is the number of op executors pttrust gives GoMLX's pure-Go backend unless the spec
// names num_executors or ops_sequential: GOMAXPROCS/2, at least 2 and at most GoMLX's default 8.
// GoMLX (compute v0.1.14) runs min(8, parallelism) executors, parallelism being 2 x GOMAXPROCS,
// and each executor but the caller holds a slot of the worker pool for the whole call, even while
// it waits for ready ops; a matmul splits only over the free slots. On 2 cores the 4 executors
// held 3 of the 4 slots and every matmul ran on one core. There (GOMAXPROCS=2), the code before
// and after alternately twice: BenchmarkMatMul 135-143 -> 284 GFLOP/s, SmolLM2's states
// pass 1 469-1 629 -> 2 244-2 417 tokens/s, its full pass 330-350 -> 515-520, BenchmarkPeerSAE
// (10 epochs) 2 048 latents 5 143-5 446 -> 6 970-7 244 lines/s, 128 latents 40.9-44.6 k ->
// 49.8-50.5 k; ops one after the other (ops_sequential) gained less (SAE 2 048: 5 659-5 891).
// The results are the same bits however the ops are scheduled (TestGoSchedulingSameBits).
func GoExecutors() int { return min(8, max(2, runtime.GOMAXPROCS(0)/2)) }

// withGoExecutors adds num_executors=GoExecutors() to a pure-Go spec that names neither it nor
// ops_sequential.
func withGoExecutors(s BackendSpec) BackendSpec {
	if s.Name != DefaultBackend {
		return s
	}
	for _, o := range []string{goExecutorsOption, "ops_sequential"} {
		if _, ok := s.Option(o); ok {
			return s
		}
	}
	s.Options = append(slices.Clone(s.Options), goExecutorsOption+"="+strconv.Itoa(GoExecutors()))
	return s
}

func notCompiledError(name string) error {
	msg := fmt.Sprintf("backend %q is not compiled into this binary (compiled in: %s)", name, strings.Join(sortedBackends(), ", "))
	if slices.Contains(xlaAliases, strings.ToLower(name)) {
		msg += "; " + XLABuildHint
	}
	return errors.New(msg)
}

func sortedBackends() []string {
	l := compute.List()
	slices.Sort(l)
	return l
}

func newBackendNoPanic(spec string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(spec)
}

// BackendInfo describes a live backend for reports.
type BackendInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Devices     []string `json:"devices"`
	// Plugin is the PJRT plugin (xla only).
	Plugin string `json:"plugin,omitempty"`
	// TF32 reports whether float32 matmuls may use TF32 (xla on CUDA; nil when not applicable).
	TF32 *bool `json:"tf32,omitempty"`
}

// xlaDetails is set by backend_xla.go: it fills the xla-only fields of BackendInfo.
var xlaDetails func(b compute.Backend, info *BackendInfo)

// DescribeBackend returns the name, description and devices of a backend.
func DescribeBackend(b compute.Backend) BackendInfo {
	info := BackendInfo{Name: b.Name(), Description: b.Description()}
	for i := range b.NumDevices() {
		info.Devices = append(info.Devices, b.DeviceDescription(compute.DeviceNum(i)))
	}
	if xlaDetails != nil {
		xlaDetails(b, &info)
	}
	return info
}

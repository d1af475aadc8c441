package models

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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

// PluginError is returned by ValidatePlugin; Path is the offending file.
type PluginError struct {
	Path   string
	Reason string
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("PJRT plugin %s %s (expected a PJRT plugin shared library such as "+
		"<site-packages>/jax_plugins/xla_cuda13/xla_cuda_plugin.so from the jax-cuda13-pjrt wheel)", e.Path, e.Reason)
}

// pjrtEntryPoint is the symbol every PJRT plugin exports.
const pjrtEntryPoint = "GetPjrtApi"

// ValidatePlugin checks, without loading it, that path is a PJRT plugin this process can load:
// it exists, is a regular file (symbolic links are followed), is an ELF shared object for this
// CPU architecture and, when its dynamic symbols can be read, exports GetPjrtApi.
func ValidatePlugin(path string) error {
	if !filepath.IsAbs(path) {
		return &PluginError{path, "is not an absolute path"}
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &PluginError{path, "does not exist"}
	case err != nil:
		return &PluginError{path, "cannot be read: " + err.Error()}
	case fi.IsDir():
		return &PluginError{path, "is a directory, not a file"}
	case !fi.Mode().IsRegular():
		return &PluginError{path, "is not a regular file (" + fi.Mode().Type().String() + ")"}
	}
	f, err := os.Open(path)
	if err != nil {
		return &PluginError{path, "cannot be opened: " + err.Error()}
	}
	defer f.Close()
	magic := make([]byte, 4)
	n, _ := io.ReadFull(f, magic)
	if !bytes.Equal(magic[:n], []byte(elf.ELFMAG)) {
		return &PluginError{path, fmt.Sprintf("is not an ELF shared object (it starts with %q, not \"\\x7fELF\")", magic[:n])}
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return &PluginError{path, "is a damaged ELF file: " + err.Error()}
	}
	if ef.Type != elf.ET_DYN {
		return &PluginError{path, fmt.Sprintf("is an ELF file of type %s, not a shared object (ET_DYN)", ef.Type)}
	}
	if want, ok := elfMachines[runtime.GOARCH]; ok && (ef.Machine != want || ef.Class != elf.ELFCLASS64) {
		return &PluginError{path, fmt.Sprintf("is built for %s/%s, but this binary runs on %s", ef.Machine, ef.Class, runtime.GOARCH)}
	}
	if syms, err := ef.DynamicSymbols(); err == nil {
		found := slices.ContainsFunc(syms, func(s elf.Symbol) bool {
			return s.Name == pjrtEntryPoint && s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC
		})
		if !found {
			return &PluginError{path, "is a shared object but not a PJRT plugin: it exports no " + pjrtEntryPoint + " function"}
		}
	}
	return nil
}

var elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// CUDAPlugin is one candidate found by DiscoverCUDAPlugins.
type CUDAPlugin struct {
	// Path is the absolute path of the .so.
	Path string `json:"path"`
	// Source says where it was found: "$PTTRUST_CUDA_PLUGIN", "$PJRT_PLUGIN_LIBRARY_PATH",
	// "python site-packages".
	Source string `json:"source"`
	// Err is why the file cannot be used (ValidatePlugin), "" when it can.
	Err string `json:"error,omitempty"`
}

// pluginSearch says where DiscoverCUDAPlugins looks; tests point it at a temporary tree.
type pluginSearch struct {
	getenv func(string) string
	// sitePackages are glob patterns of Python site-packages directories.
	sitePackages []string
	// prefixes are the installation prefixes behind sitePackages, for messages.
	prefixes []string
	// goXLADirs are where go-xla's installer puts plugins (pjrt_c_api_cuda_plugin.so).
	goXLADirs []string
}

func defaultPluginSearch() pluginSearch {
	s := pluginSearch{getenv: os.Getenv}
	var prefixes []string
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if v := os.Getenv(env); v != "" {
			prefixes = append(prefixes, v)
		}
	}
	// The prefix of the python3 on PATH (a virtual environment's bin/python3 is a link to the
	// system one: both the link's and the target's prefixes count).
	if py, err := exec.LookPath("python3"); err == nil {
		prefixes = append(prefixes, filepath.Dir(filepath.Dir(py)))
		if real, err := filepath.EvalSymlinks(py); err == nil {
			prefixes = append(prefixes, filepath.Dir(filepath.Dir(real)))
		}
	}
	s.goXLADirs = []string{"/usr/local/lib/go-xla"}
	if home, err := os.UserHomeDir(); err == nil {
		prefixes = append(prefixes, filepath.Join(home, ".local"), filepath.Join(home, ".venv"))
		s.goXLADirs = append(s.goXLADirs, filepath.Join(home, ".local/lib/go-xla"))
	}
	prefixes = append(prefixes, "/usr/local", "/usr", "/opt/*", "/opt/conda", "/venv")
	var uniq []string
	for _, p := range prefixes {
		if !slices.Contains(uniq, p) {
			uniq = append(uniq, p)
		}
	}
	prefixes = uniq
	s.prefixes = prefixes
	for _, p := range prefixes {
		for _, lib := range []string{"lib", "lib64"} {
			for _, sp := range []string{"site-packages", "dist-packages"} {
				s.sitePackages = append(s.sitePackages, filepath.Join(p, lib, "python3*", sp))
			}
		}
	}
	return s
}

// cudaPluginLayouts are the plugin paths inside site-packages, newest CUDA first.
var cudaPluginLayouts = []string{
	"jax_plugins/xla_cuda13/xla_cuda_plugin.so",
	"jax_plugins/xla_cuda12/xla_cuda_plugin.so",
}

// cudaPluginNames are the file patterns of CUDA plugins in a PJRT_PLUGIN_LIBRARY_PATH directory.
var cudaPluginNames = []string{"pjrt_c_api_cuda*_plugin.so", "pjrt_plugin_*cuda*.so", "pjrt-plugin-*cuda*.so", "xla_cuda_plugin.so"}

// DiscoverCUDAPlugins lists PJRT CUDA plugins, in the order `xla:cuda` prefers them: the file
// named by $PTTRUST_CUDA_PLUGIN, CUDA plugins in the $PJRT_PLUGIN_LIBRARY_PATH directories (and
// jax_plugins/xla_cuda1{3,2} below them), go-xla's own plugin directories (/usr/local/lib/go-xla,
// ~/.local/lib/go-xla), then jax-cuda13-pjrt / jax-cuda12-pjrt installs in
// Python site-packages ($VIRTUAL_ENV, $CONDA_PREFIX, the python3 on PATH, ~/.local, ~/.venv,
// /usr/local, /usr, /opt/*, /venv).
// Each candidate is validated; unusable ones are listed with the reason.
func DiscoverCUDAPlugins() []CUDAPlugin { return defaultPluginSearch().discover() }

func (ps pluginSearch) discover() []CUDAPlugin {
	var out []CUDAPlugin
	seen := map[string]bool{}
	add := func(path, source string) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		key := path
		if real, err := filepath.EvalSymlinks(path); err == nil {
			key = real
		}
		if seen[key] {
			return
		}
		seen[key] = true
		c := CUDAPlugin{Path: path, Source: source}
		if err := ValidatePlugin(path); err != nil {
			c.Err = err.Error()
		}
		out = append(out, c)
	}
	if p := ps.getenv(CUDAPluginEnv); p != "" {
		add(p, "$"+CUDAPluginEnv)
	}
	for dir := range strings.SplitSeq(ps.getenv("PJRT_PLUGIN_LIBRARY_PATH"), ":") {
		if dir == "" {
			continue
		}
		for _, pat := range cudaPluginNames {
			matches, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, m := range matches {
				add(m, "$PJRT_PLUGIN_LIBRARY_PATH")
			}
		}
		for _, l := range cudaPluginLayouts {
			if fileExists(filepath.Join(dir, l)) {
				add(filepath.Join(dir, l), "$PJRT_PLUGIN_LIBRARY_PATH")
			}
		}
	}
	for _, dir := range ps.goXLADirs {
		for _, pat := range cudaPluginNames {
			matches, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, m := range matches {
				add(m, "go-xla plugin dir")
			}
		}
	}
	for _, l := range cudaPluginLayouts {
		for _, pat := range ps.sitePackages {
			matches, _ := filepath.Glob(filepath.Join(pat, l))
			slices.Sort(matches)
			slices.Reverse(matches) // newest python3.N first (lexical is good enough for 3.1x)
			for _, m := range matches {
				add(m, "python site-packages")
			}
		}
	}
	return out
}

// FindCUDAPlugin returns the first usable plugin of DiscoverCUDAPlugins and where it came from.
// An invalid $PTTRUST_CUDA_PLUGIN is an error rather than skipped.
func FindCUDAPlugin() (path, source string, err error) { return defaultPluginSearch().find() }

func (ps pluginSearch) find() (string, string, error) {
	cands := ps.discover()
	if p := ps.getenv(CUDAPluginEnv); p != "" && len(cands) > 0 && cands[0].Err != "" {
		return "", "", fmt.Errorf("$%s: %s", CUDAPluginEnv, cands[0].Err)
	}
	for _, c := range cands {
		if c.Err == "" {
			return c.Path, c.Source, nil
		}
	}
	var b strings.Builder
	b.WriteString("no usable PJRT CUDA plugin found for \"xla:cuda\"")
	for _, c := range cands {
		fmt.Fprintf(&b, "\n  rejected (%s): %s", c.Source, c.Err)
	}
	fmt.Fprintf(&b, "\n  searched: $%s, $PJRT_PLUGIN_LIBRARY_PATH, %s, and jax_plugins/xla_cuda{13,12}/xla_cuda_plugin.so in the python3*/{site,dist}-packages of %s",
		CUDAPluginEnv, strings.Join(ps.goXLADirs, ", "), strings.Join(ps.prefixes, ", "))
	fmt.Fprintf(&b, "\n  fix: pip install jax-cuda13-pjrt (with the nvidia-*-cu13 wheels), or point $%s or --backend xla:/abs/path/xla_cuda_plugin.so at the plugin", CUDAPluginEnv)
	return "", "", errors.New(b.String())
}

// CUDAProbe is what can be learnt about the NVIDIA driver and libraries without loading anything.
type CUDAProbe struct {
	// Plugin is the plugin probed ("" when only the driver was probed).
	Plugin string `json:"plugin,omitempty"`
	// DeviceFiles are the /dev/nvidia* (or WSL /dev/dxg) device nodes.
	DeviceFiles []string `json:"device_files,omitempty"`
	// DriverVersion is the first line of /proc/driver/nvidia/version.
	DriverVersion string `json:"driver_version,omitempty"`
	// LibCUDA is where the driver library libcuda.so.1 was found ("" when not found).
	LibCUDA string `json:"libcuda,omitempty"`
	// Libraries maps the CUDA runtime libraries the plugin opens (cudart, cublas, cudnn) to the
	// file found, "" when missing.
	Libraries map[string]string `json:"libraries,omitempty"`
	// DataDir is the CUDA data directory (holding nvvm/libdevice) for XLA_FLAGS'
	// --xla_gpu_cuda_data_dir, "" when none was found.
	DataDir string `json:"cuda_data_dir,omitempty"`
	// Problems are human-readable findings, each one a likely cause of failure.
	Problems []string `json:"problems,omitempty"`
}

// HasDriver reports whether an NVIDIA kernel driver is visible (device nodes or /proc entry).
func (p *CUDAProbe) HasDriver() bool { return len(p.DeviceFiles) > 0 || p.DriverVersion != "" }

// cudaRuntimeLibs are the libraries XLA's CUDA plugin dlopens at start (prefixes of the soname).
var cudaRuntimeLibs = []string{"libcudart.so", "libcublas.so", "libcudnn.so"}

// systemLibDirs are searched after LD_LIBRARY_PATH and the plugin's RUNPATH (ld.so.cache is read
// too).
var systemLibDirs = []string{
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
	"/usr/local/cuda/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib",
}

// ProbeCUDA inspects the NVIDIA driver and, when plugin is not empty, the libraries and CUDA data
// directory that plugin will need. It never fails: what is missing is listed in Problems.
func ProbeCUDA(plugin string) *CUDAProbe { return probeCUDA("", plugin, os.Getenv) }

// probeCUDA reads the system below root ("" for the real one).
func probeCUDA(root, plugin string, getenv func(string) string) *CUDAProbe {
	p := &CUDAProbe{Plugin: plugin}
	for _, pat := range []string{"/dev/nvidia[0-9]*", "/dev/nvidiactl", "/dev/dxg"} {
		m, _ := filepath.Glob(root + pat)
		p.DeviceFiles = append(p.DeviceFiles, m...)
	}
	if data, err := os.ReadFile(root + "/proc/driver/nvidia/version"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		p.DriverVersion = strings.Join(strings.Fields(line), " ")
	}
	if !p.HasDriver() {
		p.Problems = append(p.Problems, "no NVIDIA driver: no /dev/nvidia* device nodes and no /proc/driver/nvidia/version (is there a GPU, and is the container started with GPU access?)")
	}

	var dirs []string
	if plugin != "" {
		dirs = append(dirs, elfRunPath(plugin)...)
	}
	for d := range strings.SplitSeq(getenv("LD_LIBRARY_PATH"), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, d := range systemLibDirs {
		dirs = append(dirs, root+d)
	}
	cache, _ := os.ReadFile(root + "/etc/ld.so.cache")
	lookup := func(prefix string) string {
		for _, d := range dirs {
			m, _ := filepath.Glob(filepath.Join(d, prefix+"*"))
			for _, f := range m {
				if fileExists(f) {
					return f
				}
			}
		}
		return ldCacheLookup(cache, prefix)
	}
	p.LibCUDA = lookup("libcuda.so.1")
	if p.LibCUDA == "" {
		p.Problems = append(p.Problems, "the NVIDIA driver library libcuda.so.1 was not found (LD_LIBRARY_PATH, ld.so.cache, "+strings.Join(systemLibDirs[:6], ", ")+", ...)")
	}
	if plugin == "" {
		return p
	}
	p.Libraries = map[string]string{}
	var missing []string
	for _, lib := range cudaRuntimeLibs {
		p.Libraries[lib] = lookup(lib + ".")
		if p.Libraries[lib] == "" {
			missing = append(missing, lib)
		}
	}
	if len(missing) > 0 {
		p.Problems = append(p.Problems, fmt.Sprintf("NVIDIA CUDA libraries not found: %s (looked in the plugin's RUNPATH, LD_LIBRARY_PATH, ld.so.cache and system dirs); "+
			"install the nvidia-*-cu13 wheels beside jax-cuda13-pjrt (pip install \"jax[cuda13]\") or add their lib dirs to LD_LIBRARY_PATH",
			strings.Join(missing, ", ")))
	}
	p.DataDir = cudaDataDir(plugin, root)
	if p.DataDir == "" {
		p.Problems = append(p.Problems, "no CUDA data directory with nvvm/libdevice found near the plugin (site-packages/nvidia/cu13, nvidia/cuda_nvcc) or in /usr/local/cuda: XLA may fail to compile GPU kernels; set XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR")
	}
	return p
}

// elfRunPath returns the existing directories of the DT_RUNPATH/DT_RPATH of an ELF file, with
// $ORIGIN expanded.
func elfRunPath(path string) []string {
	f, err := elf.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for d := range strings.SplitSeq(v, ":") {
				d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", filepath.Dir(path))
				if fi, err := os.Stat(d); err == nil && fi.IsDir() {
					out = append(out, filepath.Clean(d))
				}
			}
		}
	}
	return out
}

// ldCacheLookup finds "/dir/<prefix>..." among the NUL-terminated strings of /etc/ld.so.cache.
func ldCacheLookup(cache []byte, prefix string) string {
	for s := range bytes.SplitSeq(cache, []byte{0}) {
		if len(s) > 0 && s[0] == '/' && strings.HasPrefix(filepath.Base(string(s)), prefix) && fileExists(string(s)) {
			return string(s)
		}
	}
	return ""
}

// cudaDataDir finds a directory holding nvvm/libdevice for the plugin: the pip layouts next to
// a jax_plugins/xla_cudaNN/ install (site-packages/nvidia/cu13, nvidia/cu12, nvidia/cuda_nvcc,
// and jax_plugins/nvidia/cuda_nvcc), then /usr/local/cuda.
func cudaDataDir(plugin, root string) string {
	pluginDir := filepath.Dir(plugin)        // .../jax_plugins/xla_cuda13
	jaxPlugins := filepath.Dir(pluginDir)    // .../jax_plugins
	sitePackages := filepath.Dir(jaxPlugins) // .../site-packages
	cands := []string{
		filepath.Join(sitePackages, "nvidia", "cu13"),
		filepath.Join(sitePackages, "nvidia", "cu12"),
		filepath.Join(sitePackages, "nvidia", "cuda_nvcc"),
		filepath.Join(jaxPlugins, "nvidia", "cuda_nvcc"),
		filepath.Join(pluginDir, "nvidia", "cuda_nvcc"),
		root + "/usr/local/cuda",
	}
	if strings.Contains(filepath.Base(pluginDir), "cuda12") { // a CUDA 12 plugin wants CUDA 12 tools first
		cands[0], cands[1] = cands[1], cands[0]
	}
	for _, c := range cands {
		if fi, err := os.Stat(filepath.Join(c, "nvvm", "libdevice")); err == nil && fi.IsDir() {
			return c
		}
	}
	return ""
}

// xlaFlagsWithDataDir returns XLA_FLAGS with --xla_gpu_cuda_data_dir=dir added, unless the flags
// already set one.
func xlaFlagsWithDataDir(flags, dir string) string {
	if dir == "" || strings.Contains(flags, "--xla_gpu_cuda_data_dir") {
		return flags
	}
	return strings.TrimSpace(flags + " --xla_gpu_cuda_data_dir=" + dir)
}

// prepareCUDA runs before a CUDA plugin is loaded: it refuses to go on without an NVIDIA driver
// (unless $PTTRUST_SKIP_CUDA_CHECKS=1), and sets XLA_FLAGS' CUDA data dir itself, since go-xla
// only looks for an nvidia/ folder one level above the plugin, which is not where pip puts it.
func prepareCUDA(s BackendSpec) (*CUDAProbe, error) {
	plugin := s.PluginPath
	probe := ProbeCUDA(plugin)
	if !probe.HasDriver() && os.Getenv(SkipCUDAChecksEnv) != "1" {
		return probe, fmt.Errorf("backend %q: cannot use the CUDA plugin: %s (set %s=1 to try anyway)", s.Raw, probe.Problems[0], SkipCUDAChecksEnv)
	}
	if probe.DataDir != "" {
		if flags := xlaFlagsWithDataDir(os.Getenv("XLA_FLAGS"), probe.DataDir); flags != os.Getenv("XLA_FLAGS") {
			_ = os.Setenv("XLA_FLAGS", flags)
		}
		if os.Getenv("GOPJRT_CUDA_CHECKS") == "" {
			_ = os.Setenv("GOPJRT_CUDA_CHECKS", "0") // its nvidia/ warning does not apply: handled above
		}
	}
	return probe, nil
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

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
	"strings"
)

// Finding and checking the PJRT CUDA plugin that the XLA backend loads for "xla:cuda".

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

package models

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// What the NVIDIA driver and libraries look like before a CUDA plugin is loaded.

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

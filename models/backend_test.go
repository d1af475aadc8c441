package models

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/compute"
	"github.com/stretchr/testify/require"
)

func TestParseBackendSpec(t *testing.T) {
	cases := []struct {
		spec    string
		name    string
		plugin  string
		options []string
		str     string
		cuda    bool
		err     string
	}{
		{spec: "go", name: "go", str: "go"},
		{spec: " GO ", name: "go", str: "go"},
		{spec: "go:parallelism=4", name: "go", options: []string{"parallelism=4"}, str: "go:parallelism=4"},
		{spec: "xla", name: "xla", str: "xla"},
		{spec: "xla:cuda", name: "xla", plugin: "cuda", str: "xla:cuda", cuda: true},
		{spec: "stablehlo:cpu", name: "xla", plugin: "cpu", str: "xla:cpu"},
		{spec: "xla:/opt/p/jax_plugins/xla_cuda13/xla_cuda_plugin.so,tf32=false,preallocate",
			name: "xla", plugin: "/opt/p/jax_plugins/xla_cuda13/xla_cuda_plugin.so", options: []string{"tf32=false", "preallocate"},
			str: "xla:/opt/p/jax_plugins/xla_cuda13/xla_cuda_plugin.so,tf32=false,preallocate", cuda: true},
		{spec: "xla:cuda, notf32 ,memory_fraction=0.5,visible_devices=0;1,allocator=cuda_async", name: "xla", plugin: "cuda",
			options: []string{"notf32", "memory_fraction=0.5", "visible_devices=0;1", "allocator=cuda_async"},
			str:     "xla:cuda,notf32,memory_fraction=0.5,visible_devices=0;1,allocator=cuda_async", cuda: true},
		{spec: "xla:/x/libpjrt_nvidia.so", name: "xla", plugin: "/x/libpjrt_nvidia.so", str: "xla:/x/libpjrt_nvidia.so", cuda: true},
		{spec: "onnx:/abs/libonnxruntime.so.1", name: "onnx", options: []string{"/abs/libonnxruntime.so.1"}, str: "onnx:/abs/libonnxruntime.so.1"},
		{spec: "", err: "empty backend spec"},
		{spec: ":cuda", err: "no backend name"},
		{spec: "xla:cuda,bogus=1", err: `unknown xla option "bogus"`},
		{spec: "xla:cuda,tf32=maybe", err: "want true or false"},
		{spec: "xla:cuda,memory_fraction=2", err: "in (0, 1]"},
		{spec: "xla:cuda,visible_devices=a", err: "device numbers"},
		{spec: "xla:cuda,allocator", err: "needs a value"},
		{spec: "xla:cuda,nomemory_fraction", err: "unknown xla option"},
		{spec: "xla:tf32=false", err: "plugin must come first"},
		{spec: "xla:help", err: "xla options: allocator"},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			s, err := ParseBackendSpec(c.spec)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.name, s.Name)
			require.Equal(t, c.plugin, s.Plugin)
			require.Equal(t, c.options, s.Options)
			require.Equal(t, c.str, s.String())
			require.Equal(t, c.cuda, s.IsCUDA())
			require.Equal(t, c.name == "xla", s.IsXLA())
		})
	}
	s, err := ParseBackendSpec("xla:cuda,tf32=false,preallocate")
	require.NoError(t, err)
	v, ok := s.Option("tf32")
	require.True(t, ok)
	require.Equal(t, "false", v)
	_, ok = s.Option("preallocate")
	require.True(t, ok)
	_, ok = s.Option("allocator")
	require.False(t, ok)
	s.PluginPath = "/resolved/xla_cuda_plugin.so"
	require.Equal(t, "xla:/resolved/xla_cuda_plugin.so,tf32=false,preallocate", s.String())
}

// fakeELF writes a minimal ELF64 little-endian file: with syms != nil it has a .dynsym holding
// those function symbols; with syms == nil it has no section headers at all.
func fakeELF(t *testing.T, path string, typ elf.Type, machine elf.Machine, syms []string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	le := binary.LittleEndian
	var body bytes.Buffer // everything after the 64-byte header
	var shoff, shnum, shstrndx int
	if syms != nil {
		dynstr := []byte{0}
		var dynsym bytes.Buffer
		dynsym.Write(make([]byte, 24)) // the null symbol
		for _, name := range syms {
			var e [24]byte
			le.PutUint32(e[0:], uint32(len(dynstr)))
			e[4] = byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_FUNC)
			le.PutUint16(e[6:], 1) // defined in section 1
			le.PutUint64(e[8:], 0x1000)
			dynsym.Write(e[:])
			dynstr = append(append(dynstr, name...), 0)
		}
		shstr := []byte("\x00.dynstr\x00.dynsym\x00.shstrtab\x00")
		off := 64
		dynstrOff := off
		body.Write(dynstr)
		dynsymOff := off + body.Len()
		body.Write(dynsym.Bytes())
		shstrOff := off + body.Len()
		body.Write(shstr)
		for (off+body.Len())%8 != 0 {
			body.WriteByte(0)
		}
		shoff, shnum, shstrndx = off+body.Len(), 4, 3
		sh := func(name uint32, typ elf.SectionType, offset, size int, link, info uint32, entsize uint64) {
			var h [64]byte
			le.PutUint32(h[0:], name)
			le.PutUint32(h[4:], uint32(typ))
			le.PutUint64(h[24:], uint64(offset))
			le.PutUint64(h[32:], uint64(size))
			le.PutUint32(h[40:], link)
			le.PutUint32(h[44:], info)
			le.PutUint64(h[48:], 1)
			le.PutUint64(h[56:], entsize)
			body.Write(h[:])
		}
		sh(0, elf.SHT_NULL, 0, 0, 0, 0, 0)
		sh(1, elf.SHT_STRTAB, dynstrOff, len(dynstr), 0, 0, 0)
		sh(9, elf.SHT_DYNSYM, dynsymOff, dynsym.Len(), 1, 1, 24)
		sh(17, elf.SHT_STRTAB, shstrOff, len(shstr), 0, 0, 0)
	}
	var h [64]byte
	copy(h[:], elf.ELFMAG)
	h[elf.EI_CLASS], h[elf.EI_DATA], h[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	le.PutUint16(h[16:], uint16(typ))
	le.PutUint16(h[18:], uint16(machine))
	le.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(h[40:], uint64(shoff))
	le.PutUint16(h[52:], 64)
	le.PutUint16(h[54:], 56)
	le.PutUint16(h[58:], 64)
	le.PutUint16(h[60:], uint16(shnum))
	le.PutUint16(h[62:], uint16(shstrndx))
	require.NoError(t, os.WriteFile(path, append(h[:], body.Bytes()...), 0o755))
}

func hostMachine(t *testing.T) elf.Machine {
	m, ok := elfMachines[runtime.GOARCH]
	if !ok {
		t.Skipf("no ELF machine known for %s", runtime.GOARCH)
	}
	return m
}

// fakePlugin writes a file that passes ValidatePlugin.
func fakePlugin(t *testing.T, path string) string {
	fakeELF(t, path, elf.ET_DYN, hostMachine(t), []string{"PJRT_Other", pjrtEntryPoint})
	return path
}

func TestValidatePlugin(t *testing.T) {
	dir := t.TempDir()
	m := hostMachine(t)
	other := elf.EM_AARCH64
	if m == elf.EM_AARCH64 {
		other = elf.EM_X86_64
	}
	good := fakePlugin(t, filepath.Join(dir, "good.so"))
	require.NoError(t, ValidatePlugin(good))

	noSections := filepath.Join(dir, "nosections.so")
	fakeELF(t, noSections, elf.ET_DYN, m, nil)
	require.NoError(t, ValidatePlugin(noSections), "without readable symbols the symbol check is skipped")

	link := filepath.Join(dir, "link.so")
	require.NoError(t, os.Symlink(good, link))
	require.NoError(t, ValidatePlugin(link))

	noEntry := filepath.Join(dir, "noentry.so")
	fakeELF(t, noEntry, elf.ET_DYN, m, []string{"something_else"})
	exec := filepath.Join(dir, "exec")
	fakeELF(t, exec, elf.ET_EXEC, m, []string{pjrtEntryPoint})
	foreign := filepath.Join(dir, "foreign.so")
	fakeELF(t, foreign, elf.ET_DYN, other, []string{pjrtEntryPoint})
	text := filepath.Join(dir, "text.so")
	require.NoError(t, os.WriteFile(text, []byte("#!/bin/sh\necho not a library\n"), 0o644))
	short := filepath.Join(dir, "short.so")
	require.NoError(t, os.WriteFile(short, []byte{0x7f}, 0o644))
	empty := filepath.Join(dir, "empty.so")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	damaged := filepath.Join(dir, "damaged.so")
	require.NoError(t, os.WriteFile(damaged, []byte("\x7fELF\x09junk"), 0o644))
	fifo := filepath.Join(dir, "fifo.so")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))

	for _, c := range []struct{ path, want string }{
		{"relative/plugin.so", "is not an absolute path"},
		{filepath.Join(dir, "missing.so"), "does not exist"},
		{dir, "is a directory"},
		{fifo, "is not a regular file"},
		{text, `is not an ELF shared object (it starts with "#!/b"`},
		{short, `is not an ELF shared object (it starts with "\x7f", not`},
		{empty, `is not an ELF shared object (it starts with "", not`},
		{damaged, "damaged ELF file"},
		{exec, "type ET_EXEC, not a shared object"},
		{foreign, "but this binary runs on " + runtime.GOARCH},
		{noEntry, "not a PJRT plugin: it exports no GetPjrtApi"},
	} {
		err := ValidatePlugin(c.path)
		require.ErrorContains(t, err, c.want, c.path)
		require.ErrorContains(t, err, "jax_plugins/xla_cuda13/xla_cuda_plugin.so", "the error says what is expected")
		var pe *PluginError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, c.path, pe.Path)
	}

	// A real shared library of this system that is not a PJRT plugin.
	for _, lib := range []string{"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6"} {
		if fileExists(lib) {
			require.ErrorContains(t, ValidatePlugin(lib), "exports no GetPjrtApi")
			break
		}
	}
}

// sitePackagesTree makes a fake file system with Python installs and returns a search over it.
func testSearch(root string, env map[string]string) pluginSearch {
	return pluginSearch{
		getenv: func(k string) string { return env[k] },
		sitePackages: []string{
			filepath.Join(root, "home/.local/lib/python3*/site-packages"),
			filepath.Join(root, "usr/local/lib/python3*/site-packages"),
			filepath.Join(root, "usr/lib/python3*/dist-packages"),
		},
		prefixes:  []string{filepath.Join(root, "home/.local"), filepath.Join(root, "usr/local"), filepath.Join(root, "usr")},
		goXLADirs: []string{filepath.Join(root, "usr/local/lib/go-xla")},
	}
}

func TestDiscoverCUDAPlugins(t *testing.T) {
	root := t.TempDir()
	cuda12 := fakePlugin(t, filepath.Join(root, "usr/lib/python3.11/dist-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so"))
	cuda13Old := fakePlugin(t, filepath.Join(root, "usr/local/lib/python3.11/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	cuda13New := fakePlugin(t, filepath.Join(root, "usr/local/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	broken := filepath.Join(root, "home/.local/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	require.NoError(t, os.MkdirAll(filepath.Dir(broken), 0o755))
	require.NoError(t, os.WriteFile(broken, []byte("not elf"), 0o644))
	pjrtDir := filepath.Join(root, "pjrt")
	named := fakePlugin(t, filepath.Join(pjrtDir, "pjrt_c_api_cuda_plugin.so"))
	fakePlugin(t, filepath.Join(pjrtDir, "pjrt_c_api_cpu_plugin.so")) // not CUDA: not listed
	explicit := fakePlugin(t, filepath.Join(root, "explicit/xla_cuda_plugin.so"))
	// A symlink to an already listed plugin is listed once.
	require.NoError(t, os.Symlink(cuda12, filepath.Join(pjrtDir, "xla_cuda_plugin.so")))

	// No environment: site-packages only, CUDA 13 before 12, newer python first; broken listed with its reason.
	got := testSearch(root, nil).discover()
	var paths []string
	for _, c := range got {
		paths = append(paths, c.Path)
		require.Equal(t, "python site-packages", c.Source)
	}
	require.Equal(t, []string{broken, cuda13New, cuda13Old, cuda12}, paths)
	require.Contains(t, got[0].Err, "is not an ELF shared object")
	for _, c := range got[1:] {
		require.Empty(t, c.Err)
	}
	path, src, err := testSearch(root, nil).find()
	require.NoError(t, err)
	require.Equal(t, cuda13New, path)
	require.Equal(t, "python site-packages", src)

	// The environment comes first: PTTRUST_CUDA_PLUGIN, then PJRT_PLUGIN_LIBRARY_PATH.
	env := map[string]string{CUDAPluginEnv: explicit, "PJRT_PLUGIN_LIBRARY_PATH": "/nonexistent:" + pjrtDir}
	got = testSearch(root, env).discover()
	require.Equal(t, explicit, got[0].Path)
	require.Equal(t, "$"+CUDAPluginEnv, got[0].Source)
	require.Equal(t, named, got[1].Path)
	require.Equal(t, "$PJRT_PLUGIN_LIBRARY_PATH", got[1].Source)
	require.Equal(t, filepath.Join(pjrtDir, "xla_cuda_plugin.so"), got[2].Path)
	require.Len(t, got, 6, "the symlinked cuda12 plugin is not listed twice")

	// go-xla's own directory comes after the environment, before site-packages.
	goxla := fakePlugin(t, filepath.Join(root, "usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so"))
	got = testSearch(root, nil).discover()
	require.Equal(t, goxla, got[0].Path)
	require.Equal(t, "go-xla plugin dir", got[0].Source)
	require.NoError(t, os.Remove(goxla))
	path, src, err = testSearch(root, env).find()
	require.NoError(t, err)
	require.Equal(t, explicit, path)
	require.Equal(t, "$"+CUDAPluginEnv, src)

	// PJRT_PLUGIN_LIBRARY_PATH pointing at a site-packages directory finds the jax layout.
	env = map[string]string{"PJRT_PLUGIN_LIBRARY_PATH": filepath.Join(root, "usr/lib/python3.11/dist-packages")}
	path, src, err = testSearch(t.TempDir(), env).find()
	require.NoError(t, err)
	require.Equal(t, cuda12, path)
	require.Equal(t, "$PJRT_PLUGIN_LIBRARY_PATH", src)

	// An unusable PTTRUST_CUDA_PLUGIN is an error, not skipped.
	env = map[string]string{CUDAPluginEnv: filepath.Join(root, "nope.so")}
	_, _, err = testSearch(root, env).find()
	require.ErrorContains(t, err, "$"+CUDAPluginEnv+": PJRT plugin "+filepath.Join(root, "nope.so")+" does not exist")

	// Nothing usable: the error lists what was rejected, where it looked, and how to fix it.
	empty := t.TempDir()
	bad := filepath.Join(empty, "usr/local/lib/python3.12/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
	require.NoError(t, os.MkdirAll(bad, 0o755)) // a directory where the file should be
	_, _, err = testSearch(empty, nil).find()
	require.ErrorContains(t, err, `no usable PJRT CUDA plugin found for "xla:cuda"`)
	require.ErrorContains(t, err, "rejected (python site-packages): PJRT plugin "+bad+" is a directory")
	require.ErrorContains(t, err, "$"+CUDAPluginEnv)
	require.ErrorContains(t, err, "pip install jax-cuda13-pjrt")
	require.Empty(t, testSearch(t.TempDir(), nil).discover())
}

func TestResolveBackendSpec(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	s, err := ResolveBackendSpec("")
	require.NoError(t, err)
	require.Equal(t, "go", s.Name)
	require.Equal(t, "default", s.Source)

	t.Setenv(compute.ConfigEnvVar, "go:parallelism=2")
	s, err = ResolveBackendSpec("")
	require.NoError(t, err)
	require.Equal(t, compute.ConfigEnvVar, s.Source)
	require.Equal(t, "go:parallelism=2", s.String())
	s, err = ResolveBackendSpec("go")
	require.NoError(t, err)
	require.Equal(t, "flag", s.Source, "the flag wins over the environment")

	dir := t.TempDir()
	plugin := fakePlugin(t, filepath.Join(dir, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	s, err = ResolveBackendSpec("xla:" + plugin + ",tf32=false")
	require.NoError(t, err)
	require.Equal(t, plugin, s.PluginPath)
	require.Equal(t, "spec", s.PluginSource)
	require.True(t, s.IsCUDA())
	require.Equal(t, "xla:"+plugin+",tf32=false", s.String())

	// A relative path is made absolute.
	t.Chdir(dir)
	s, err = ResolveBackendSpec("xla:jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	require.NoError(t, err)
	require.Equal(t, plugin, s.PluginPath)

	_, err = ResolveBackendSpec("xla:" + filepath.Join(dir, "missing.so"))
	require.ErrorContains(t, err, "missing.so does not exist")

	// xla:cuda goes through discovery, with PTTRUST_CUDA_PLUGIN first.
	t.Setenv(CUDAPluginEnv, plugin)
	s, err = ResolveBackendSpec("xla:cuda,notf32")
	require.NoError(t, err)
	require.Equal(t, plugin, s.PluginPath)
	require.Equal(t, "$"+CUDAPluginEnv, s.PluginSource)
	require.Equal(t, "xla:"+plugin+",notf32", s.String())
	t.Setenv(CUDAPluginEnv, filepath.Join(dir, "gone.so"))
	_, err = ResolveBackendSpec("xla:cuda")
	require.ErrorContains(t, err, "gone.so does not exist")

	// A plugin name other than cuda is left to go-xla's search.
	s, err = ResolveBackendSpec("xla:cpu")
	require.NoError(t, err)
	require.Empty(t, s.PluginPath)
	require.Equal(t, "xla:cpu", s.String())
}

func TestNewBackendErrors(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	b, s, err := NewBackendSpec("")
	require.NoError(t, err)
	require.Equal(t, "go", s.Name)
	require.NotEmpty(t, b.Name())
	require.Equal(t, "default", s.Source)
	info := DescribeBackend(b)
	require.Equal(t, b.Name(), info.Name)
	require.Len(t, info.Devices, b.NumDevices())
	require.Nil(t, info.TF32)

	_, err = NewBackend("nosuchbackend")
	require.ErrorContains(t, err, `backend "nosuchbackend" is not compiled into this binary (compiled in: go`)
	require.NotContains(t, err.Error(), "-tags xla")
	_, err = NewBackend("xla:cuda,bogus")
	if Compiled(XLABackend) {
		require.ErrorContains(t, err, `unknown xla option "bogus"`)
	} else {
		require.ErrorContains(t, err, "-tags xla")
	}

	// GOMLX_BACKEND is used when the flag is empty.
	t.Setenv(compute.ConfigEnvVar, "nosuchbackend:x")
	_, err = NewBackend("")
	require.ErrorContains(t, err, `backend "nosuchbackend" is not compiled`)
	t.Setenv(compute.ConfigEnvVar, "")

	// The message of a build without xla says how to rebuild.
	msg := notCompiledError("xla").Error()
	require.Contains(t, msg, `backend "xla" is not compiled into this binary`)
	require.Contains(t, msg, "-tags xla")
	require.Contains(t, msg, "CGO_ENABLED=1")
	require.Contains(t, notCompiledError("stablehlo").Error(), "-tags xla")

	if Compiled(XLABackend) {
		t.Log("xla is compiled in: checking its plugin errors")
		_, err = NewBackend("xla:/nonexistent/xla_cuda_plugin.so")
		require.ErrorContains(t, err, "PJRT plugin /nonexistent/xla_cuda_plugin.so does not exist")
		notELF := filepath.Join(t.TempDir(), "plugin.so")
		require.NoError(t, os.WriteFile(notELF, []byte("hello"), 0o644))
		_, err = NewBackend("xla:" + notELF)
		require.ErrorContains(t, err, "is not an ELF shared object")
		return
	}
	_, err = NewBackend("xla:/nonexistent.so")
	require.ErrorContains(t, err, `backend "xla" is not compiled into this binary`)
	require.ErrorContains(t, err, "CGO_ENABLED=1")
	require.ErrorContains(t, err, "go build -tags xla ./cmd/pttrust")
}

func TestCompiled(t *testing.T) {
	require.True(t, Compiled("go"))
	require.True(t, Compiled("GO"))
	require.False(t, Compiled("nosuchbackend"))
	require.Equal(t, Compiled("xla"), Compiled("stablehlo"))
}

// fakeSystem lays out a machine with an NVIDIA driver and a pip-installed jax CUDA plugin.
func fakeSystem(t *testing.T, driver bool) (root, plugin string) {
	root = t.TempDir()
	touch := func(p string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), nil, 0o644))
	}
	if driver {
		touch("dev/nvidia0")
		touch("dev/nvidiactl")
		require.NoError(t, os.MkdirAll(filepath.Join(root, "proc/driver/nvidia"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "proc/driver/nvidia/version"),
			[]byte("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:14 UTC 2025\nGCC version: gcc\n"), 0o644))
		touch("usr/lib/x86_64-linux-gnu/libcuda.so.1")
	}
	sp := "usr/local/lib/python3.12/site-packages"
	plugin = fakePlugin(t, filepath.Join(root, sp, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"))
	touch(sp + "/nvidia/cu13/lib/libcudart.so.13")
	touch(sp + "/nvidia/cu13/lib/libcublas.so.13")
	touch(sp + "/nvidia/cudnn/lib/libcudnn.so.9")
	touch(sp + "/nvidia/cu13/nvvm/libdevice/libdevice.10.bc")
	return root, plugin
}

func TestProbeCUDA(t *testing.T) {
	root, plugin := fakeSystem(t, true)
	sp := filepath.Join(root, "usr/local/lib/python3.12/site-packages")
	env := map[string]string{"LD_LIBRARY_PATH": filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/cudnn/lib")}
	p := probeCUDA(root, plugin, func(k string) string { return env[k] })
	require.True(t, p.HasDriver())
	require.Equal(t, []string{filepath.Join(root, "dev/nvidia0"), filepath.Join(root, "dev/nvidiactl")}, p.DeviceFiles)
	require.Equal(t, "NVRM version: NVIDIA UNIX x86_64 Kernel Module 580.65.06 Sun Jul 27 07:09:14 UTC 2025", p.DriverVersion)
	require.Equal(t, filepath.Join(root, "usr/lib/x86_64-linux-gnu/libcuda.so.1"), p.LibCUDA)
	require.Equal(t, filepath.Join(sp, "nvidia/cu13/lib/libcudart.so.13"), p.Libraries["libcudart.so"])
	require.Equal(t, filepath.Join(sp, "nvidia/cudnn/lib/libcudnn.so.9"), p.Libraries["libcudnn.so"])
	require.Equal(t, filepath.Join(sp, "nvidia/cu13"), p.DataDir)
	require.Empty(t, p.Problems)

	// No driver, no libraries reachable, no data dir.
	bare, plugin2 := fakeSystem(t, false)
	require.NoError(t, os.RemoveAll(filepath.Join(bare, "usr/local/lib/python3.12/site-packages/nvidia")))
	p = probeCUDA(bare, plugin2, func(string) string { return "" })
	require.False(t, p.HasDriver())
	require.Empty(t, p.DataDir)
	all := strings.Join(p.Problems, "\n")
	require.Contains(t, all, "no NVIDIA driver")
	require.Contains(t, all, "libcuda.so.1 was not found")
	require.Contains(t, all, "NVIDIA CUDA libraries not found: libcudart.so, libcublas.so, libcudnn.so")
	require.Contains(t, all, "--xla_gpu_cuda_data_dir")

	// Driver only (no plugin): the libraries are not looked at.
	p = probeCUDA(root, "", func(string) string { return "" })
	require.True(t, p.HasDriver())
	require.Nil(t, p.Libraries)
	require.Empty(t, p.Problems)
}

func TestCUDADataDirLayouts(t *testing.T) {
	for _, layout := range []string{"nvidia/cu13", "nvidia/cu12", "nvidia/cuda_nvcc", "jax_plugins/nvidia/cuda_nvcc"} {
		sp := t.TempDir()
		plugin := filepath.Join(sp, "jax_plugins/xla_cuda12/xla_cuda_plugin.so")
		require.NoError(t, os.MkdirAll(filepath.Join(sp, layout, "nvvm/libdevice"), 0o755))
		require.Equal(t, filepath.Join(sp, layout), cudaDataDir(plugin, t.TempDir()), layout)
	}
	// With both CUDA 12 and 13 tools installed, each plugin gets its own.
	sp := t.TempDir()
	for _, v := range []string{"cu12", "cu13"} {
		require.NoError(t, os.MkdirAll(filepath.Join(sp, "nvidia", v, "nvvm/libdevice"), 0o755))
	}
	require.Equal(t, filepath.Join(sp, "nvidia/cu13"), cudaDataDir(filepath.Join(sp, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"), ""))
	require.Equal(t, filepath.Join(sp, "nvidia/cu12"), cudaDataDir(filepath.Join(sp, "jax_plugins/xla_cuda12/xla_cuda_plugin.so"), ""))

	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/local/cuda/nvvm/libdevice"), 0o755))
	require.Equal(t, root+"/usr/local/cuda", cudaDataDir(filepath.Join(t.TempDir(), "p.so"), root))
	require.Empty(t, cudaDataDir(filepath.Join(t.TempDir(), "p.so"), t.TempDir()))
}

func TestXLAFlagsWithDataDir(t *testing.T) {
	require.Equal(t, "--xla_gpu_cuda_data_dir=/d", xlaFlagsWithDataDir("", "/d"))
	require.Equal(t, "--xla_dump_to=/tmp/x --xla_gpu_cuda_data_dir=/d", xlaFlagsWithDataDir("--xla_dump_to=/tmp/x", "/d"))
	require.Equal(t, "--xla_gpu_cuda_data_dir=/mine", xlaFlagsWithDataDir("--xla_gpu_cuda_data_dir=/mine", "/d"), "a flag set by the user is kept")
	require.Equal(t, "--x", xlaFlagsWithDataDir("--x", ""))
}

func TestLDCacheLookup(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libcuda.so.1")
	require.NoError(t, os.WriteFile(lib, nil, 0o644))
	cache := []byte("glibc-ld.so.cache1.1\x00\x01\x02libcuda.so.1\x00" + lib + "\x00libm.so.6\x00/nonexistent/libcudart.so.13\x00")
	require.Equal(t, lib, ldCacheLookup(cache, "libcuda.so.1"))
	require.Empty(t, ldCacheLookup(cache, "libcudart.so."), "entries whose file is gone are ignored")
	require.Empty(t, ldCacheLookup(nil, "libcuda.so.1"))
}

func TestPrepareCUDA(t *testing.T) {
	if ProbeCUDA("").HasDriver() {
		t.Skip("this machine has an NVIDIA driver: the no-driver path cannot be checked here")
	}
	root, plugin := fakeSystem(t, false)
	_ = root
	s, err := ParseBackendSpec("xla:" + plugin)
	require.NoError(t, err)
	s.PluginPath = plugin
	t.Setenv(SkipCUDAChecksEnv, "")
	_, err = prepareCUDA(s)
	require.ErrorContains(t, err, "cannot use the CUDA plugin: no NVIDIA driver")
	require.ErrorContains(t, err, SkipCUDAChecksEnv+"=1")

	// With the check skipped, XLA_FLAGS gets the CUDA data dir next to the plugin, unless set.
	t.Setenv(SkipCUDAChecksEnv, "1")
	t.Setenv("XLA_FLAGS", "--xla_dump_to=/tmp/d")
	t.Setenv("GOPJRT_CUDA_CHECKS", "")
	probe, err := prepareCUDA(s)
	require.NoError(t, err)
	want := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(plugin))), "nvidia/cu13")
	require.Equal(t, want, probe.DataDir)
	require.Equal(t, "--xla_dump_to=/tmp/d --xla_gpu_cuda_data_dir="+want, os.Getenv("XLA_FLAGS"))
	require.Equal(t, "0", os.Getenv("GOPJRT_CUDA_CHECKS"))
	t.Setenv("XLA_FLAGS", "--xla_gpu_cuda_data_dir=/mine")
	_, err = prepareCUDA(s)
	require.NoError(t, err)
	require.Equal(t, "--xla_gpu_cuda_data_dir=/mine", os.Getenv("XLA_FLAGS"))
}

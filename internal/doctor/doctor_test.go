package doctor

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

func TestCheckGoBackend(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	r, err := Check("")
	require.NoError(t, err)
	require.True(t, r.OK)
	require.Empty(t, r.Error)
	require.Equal(t, "go", r.Spec.Name)
	require.Equal(t, "default", r.Spec.Source)
	require.Contains(t, r.CompiledIn, "go")
	require.Equal(t, models.Compiled("xla"), r.XLACompiledIn)
	require.NotNil(t, r.Backend)
	require.NotEmpty(t, r.Backend.Devices)
	require.NotNil(t, r.MatMul)
	require.True(t, r.MatMul.OK, r.MatMul.Error)
	require.Zero(t, r.MatMul.MaxAbsError)
	require.Positive(t, r.MatMul.GFLOPS)
	require.Positive(t, r.NumCPU)
	require.NotNil(t, r.CUDA)
	require.Equal(t, models.SIMDBuild, r.Build.SIMD)
	require.Equal(t, !models.SIMDBuild, r.SIMDWarning != "")

	var buf bytes.Buffer
	r.WriteText(&buf)
	out := buf.String()
	for _, want := range []string{"build", "pttrust 0.1.0-dev", "simd", "compiled backends  go", "spec               go (from default)",
		"config             go:num_executors=" + strconv.Itoa(models.GoExecutors()) + " (what GoMLX is given)",
		"status             ok", "devices            1", "matmul check       256x512x256 float32 ok: max |err| 0", "cuda", "environment"} {
		require.Contains(t, out, want)
	}
	if !models.SIMDBuild {
		require.Contains(t, out, "GOEXPERIMENT=simd")
	}
	if !r.XLACompiledIn {
		require.Contains(t, out, "-tags xla")
	}

	data, err := json.Marshal(r)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, true, back["ok"])
	require.Equal(t, "go", back["spec"].(map[string]any)["name"])
	require.Contains(t, back, "cuda_plugins")
	require.Contains(t, back["matmul"], "max_abs_error")
}

func TestCheckEnvAndErrors(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "go:parallelism=1")
	r, err := Check("")
	require.NoError(t, err)
	require.Equal(t, compute.ConfigEnvVar, r.Spec.Source)
	require.Equal(t, "go:parallelism=1", r.GOMLXBackend)
	require.Equal(t, "go:parallelism=1", r.Env[compute.ConfigEnvVar])

	r, err = Check("nosuchbackend")
	require.Error(t, err)
	require.False(t, r.OK)
	require.Nil(t, r.Backend)
	require.Nil(t, r.MatMul)
	require.Contains(t, r.Error, `backend "nosuchbackend" is not compiled into this binary`)
	require.Contains(t, err.Error(), r.Error)
	var buf bytes.Buffer
	r.WriteText(&buf)
	require.Contains(t, buf.String(), "UNAVAILABLE: backend \"nosuchbackend\"")

	r, err = Check("xla:cuda,bogus")
	require.Error(t, err)
	if r.XLACompiledIn {
		require.Contains(t, r.Error, `unknown xla option "bogus"`)
	} else {
		require.Contains(t, r.Error, "-tags xla")
		require.Contains(t, r.PluginCheck, `unknown xla option "bogus"`, "the plugin is checked even without xla")
	}

	r, err = Check("xla:/nonexistent/xla_cuda_plugin.so")
	require.Error(t, err)
	buf.Reset()
	r.WriteText(&buf)
	require.Contains(t, buf.String(), "/nonexistent/xla_cuda_plugin.so does not exist")
	if !r.XLACompiledIn {
		require.Contains(t, buf.String(), "plugin check")
		require.True(t, strings.Contains(r.Error, "CGO_ENABLED=1"), r.Error)
	}
}

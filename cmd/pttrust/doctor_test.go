package main

import (
	"encoding/json"
	"testing"

	"github.com/gomlx/compute"
	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

func TestDoctor(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	out, _, err := run(t, "doctor")
	require.NoError(t, err)
	for _, want := range []string{"status             ok", "matmul check", "compiled backends", "cuda", "environment"} {
		require.Contains(t, out, want)
	}

	out, _, err = run(t, "doctor", "--json", "--backend", "go")
	require.NoError(t, err)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Equal(t, true, r["ok"])
	require.Equal(t, "go", r["requested"])
	require.Equal(t, "flag", r["spec"].(map[string]any)["source"])
	require.Equal(t, true, r["matmul"].(map[string]any)["ok"])

	// An unavailable backend: the report is still printed, and the command fails.
	out, _, err = run(t, "--backend", "xla:/nonexistent.so", "doctor")
	require.Error(t, err)
	require.Contains(t, err.Error(), "requested backend is unavailable")
	require.Contains(t, out, "UNAVAILABLE")
	if !models.Compiled("xla") {
		require.Contains(t, out, "-tags xla")
		require.Contains(t, err.Error(), "CGO_ENABLED=1")
	}
	require.Contains(t, out, "/nonexistent.so does not exist")

	out, _, err = run(t, "doctor", "--json", "--backend", "nosuchbackend")
	require.Error(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Equal(t, false, r["ok"])
	require.Contains(t, r["error"], "not compiled into this binary")
}

package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// --model and --hook override the experiment file and are checked before anything runs.
func TestExperimentModelAndHookFlags(t *testing.T) {
	_, _, err := run(t, "experiment", "run", "--hook", "blocks.x.resid_post", "--out", t.TempDir(), "../../experiments/default.toml")
	require.ErrorContains(t, err, "states.hook")
	_, _, err = run(t, "demo", "--hook", "nonsense", "--out", t.TempDir(), "--work", t.TempDir())
	require.ErrorContains(t, err, "states.hook")
	t.Setenv("PTTRUST_SMOLLM2", "/nonexistent/smollm2.gguf")
	_, _, err = run(t, "demo", "--model", "smollm2", "--out", t.TempDir(), "--work", t.TempDir())
	require.ErrorContains(t, err, "scripts/models/smollm2.sh")
}

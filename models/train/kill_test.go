package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// killPointsEnv, when set in a child process of TestSIGKILLAtSeveralPoints, holds "DIR|LINE": the
// child trains in DIR and kills itself with SIGKILL when it prints a progress line starting with
// LINE.
const killPointsEnv = "PTTRUST_TRAIN_KILL_AT"

func killPointsConfig() Config {
	c := tinyTrainConfig()
	c.Steps, c.CheckpointEvery, c.EvalEvery, c.LogEvery = 120, 20, 40, 1
	return c
}

// A run SIGKILLed at chosen points (mid-interval, during a validation pass before the checkpoint
// of its step, right after a checkpoint, during the final validation) and rerun after each kill
// ends with the same weights and AdamW moments (bit for bit), the same loss log and the same
// validation log as an uninterrupted run; a rerun of the finished run changes nothing (it used to
// append a second validation row for the last step).
func TestSIGKILLAtSeveralPoints(t *testing.T) {
	if v := os.Getenv(killPointsEnv); v != "" {
		dir, line, _ := strings.Cut(v, "|")
		tr := newTiny(t, dir, killPointsConfig())
		tr.Progress = &killWriter{prefix: line}
		err := tr.Run(context.Background())
		t.Fatalf("the child was to be killed at %q but the run ended (err %v)", line, err)
	}
	cfg := killPointsConfig()
	ref := newTiny(t, "", cfg)
	require.NoError(t, ref.Run(context.Background()))

	dir := t.TempDir()
	for _, k := range []struct {
		line     string
		resumeAt int // the step the next run resumes at
	}{
		{"step     30/", 20},        // ten steps past the checkpoint at 20
		{"eval  step 40 ", 20},      // the validation of step 40 runs before its checkpoint
		{"step     41/", 40},        // right after the checkpoint at 40
		{"step    113/", 100},       // late in the schedule
		{"eval  step 120 ", 120},    // the final validation: the checkpoint at 120 is written
		{"no such line", cfg.Steps}, // not killed: the run finishes in the child
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLAtSeveralPoints$", "-test.count=1")
		cmd.Env = append(os.Environ(), killPointsEnv+"="+dir+"|"+k.line)
		out, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		status := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if k.line == "no such line" {
			require.Contains(t, string(out), "the run ended (err <nil>)")
		} else {
			require.True(t, status.Signaled() && status.Signal() == syscall.SIGKILL, "killed at %q: %v\n%s", k.line, status, out)
		}
		probe := newTiny(t, dir, cfg)
		require.Equal(t, k.resumeAt, probe.Step(), "after the kill at %q", k.line)
		t.Logf("killed at %q: resumes at step %d", strings.TrimSpace(k.line), probe.Step())
	}

	for range 2 { // the run that finishes, then a rerun of the finished run
		resumed := newTiny(t, dir, cfg)
		require.NoError(t, resumed.Run(context.Background()))
		require.Equal(t, ref.Log(), resumed.Log())
		require.Equal(t, ref.Evals(), resumed.Evals())
		n := 0
		for v := range ref.Model.Store.IterVariables() {
			w := resumed.Model.Store.GetVariable(v.Path())
			require.NotNil(t, w, v.Path())
			a := tensors.MustCopyFlatData[float32](v.MustValue())
			b := tensors.MustCopyFlatData[float32](w.MustValue())
			require.True(t, bytes.Equal(f32Bytes(a), f32Bytes(b)), "%s differs from the uninterrupted run's", v.Path())
			n++
		}
		require.Greater(t, n, 20, "weights and AdamW moments compared")
	}
}

// killWriter SIGKILLs the process when a line starting with prefix is written.
type killWriter struct{ prefix string }

var lineStart = regexp.MustCompile(`(?m)^`)

func (w *killWriter) Write(b []byte) (int, error) {
	for _, loc := range lineStart.FindAllIndex(b, -1) {
		if bytes.HasPrefix(b[loc[0]:], []byte(w.prefix)) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	return len(b), nil
}

// f32Bytes is the little-endian bytes of v (NaN-safe, bit-exact comparison).
func f32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

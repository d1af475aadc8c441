package pretrain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// killChildEnv, when set in a child process of TestSIGKILLResume, holds "DIR STEP": the child
// trains in DIR and kills itself with SIGKILL after optimizer step STEP.
const killChildEnv = "PTTRUST_PRETRAIN_KILL_CHILD"

// killSetup is the run of TestSIGKILLResume: three epochs (one cold) of 50 steps, a checkpoint
// every 10 steps (so one falls on each epoch's last step).
func killSetup(dir string) (Config, []Item) {
	p := newPlanted(9, 32, 64)
	cfg := testConfig(dir)
	cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.BatchSize, cfg.ShuffleBuffer = 64, 4, 3, 1, 64, 256
	cfg.EvalEvery, cfg.DeadAfterLines, cfg.AuxK, cfg.CheckpointEvery = 7, 256, 16, 10
	return cfg, p.pairs(10, 1600, 3)
}

// A run killed with real SIGKILLs (the process gets no chance to save anything) at several
// points and rerun each time ends with the same bytes in every artifact (weights, cfg.json,
// metrics.csv, curves.png) as an uninterrupted run. The kill points: right after a periodic
// checkpoint, five steps past one (those steps are redone), right after the checkpoint on the
// first epoch's last step, mid-epoch in the contrastive phase, and after the last step (before
// the final metrics row and the export).
func TestSIGKILLResume(t *testing.T) {
	if v := os.Getenv(killChildEnv); v != "" {
		killChild(t, v)
		return
	}
	dir := t.TempDir()
	cfg, items := killSetup(dir)
	ref, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	refOut := filepath.Join(t.TempDir(), "ref")
	require.NoError(t, os.Rename(cfg.OutDir, refOut))
	require.NoError(t, os.RemoveAll(cfg.WorkDir))
	perEpoch := ref.Steps / cfg.Epochs
	require.Equal(t, 3*perEpoch, ref.Steps)

	kills := []int{10, 25, perEpoch, 2*perEpoch + 5, ref.Steps}
	resumedAt := regexp.MustCompile(`resuming at step (\d+)`)
	last := 0
	for _, step := range kills {
		out, status := runKillChild(t, fmt.Sprintf("%s %d", dir, step))
		require.True(t, status.Signaled() && status.Signal() == syscall.SIGKILL,
			"the child must die of SIGKILL at step %d, got %v:\n%s", step, status, out)
		// Each child resumes from the last checkpoint its predecessor wrote.
		want := last / cfg.CheckpointEvery * cfg.CheckpointEvery
		got := 0
		if m := resumedAt.FindSubmatch(out); m != nil {
			got, _ = strconv.Atoi(string(m[1]))
		}
		require.Equal(t, want, got, "child killed at step %d:\n%s", step, out)
		t.Logf("killed at step %d (had resumed at %d)", step, got)
		last = step
	}
	_, err = os.Stat(filepath.Join(cfg.OutDir, WeightsFile))
	require.ErrorIs(t, err, os.ErrNotExist, "no child got as far as the export")

	res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	require.True(t, res.Resumed)
	require.Equal(t, ref.Steps, res.Steps)
	require.Equal(t, ref.Lines, res.Lines)
	require.Equal(t, ref.Metrics, res.Metrics)
	for _, name := range []string{WeightsFile, ConfigFile, MetricsFile, CurvesFile} {
		a, err := os.ReadFile(filepath.Join(refOut, name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(cfg.OutDir, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "%s differs from the uninterrupted run's", name)
	}
}

// runKillChild runs this test in a child process with killChildEnv = v and returns its output and
// wait status.
func runKillChild(t *testing.T, v string) ([]byte, syscall.WaitStatus) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLResume$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), killChildEnv+"="+v)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("child: %v", err)
	}
	return out, cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// killChild trains as TestSIGKILLResume's parent does and SIGKILLs itself after the given step.
func killChild(t *testing.T, v string) {
	var dir string
	var step int
	_, err := fmt.Sscanf(v, "%s %d", &dir, &step)
	require.NoError(t, err)
	cfg, items := killSetup(dir)
	_, err = trainOn(context.Background(), cfg, &SliceSource{Items: items}, os.Stderr, func(s int) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	})
	t.Fatalf("the child was to be killed at step %d but the run ended (err %v)", step, err)
}

package finetune

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// killEpochEnv, when set in a child process of TestSIGKILLRerun, holds "OUT|LINE": the child
// trains the binding and saves it to OUT, killing itself with SIGKILL when it prints a progress
// line starting with LINE.
const killEpochEnv = "PTTRUST_FINETUNE_KILL_AT"

// trainAndSave is `pttrust finetune` on synthetic lists: train, then save to out.
func trainAndSave(out string, progress *killWriter) error {
	cfg := quickConfig()
	cfg.Epochs, cfg.Patience = 12, 0
	a, err := Train(context.Background(), cfg, synthTask(1, 60, 16, 2, false), synthTask(2, 20, 16, 2, false), progress)
	if err != nil {
		return err
	}
	return a.Save(out)
}

// The binding trainer keeps no checkpoint: a run killed with SIGKILL is rerun from the start. The
// rerun, in another process, must end with the same bytes as an uninterrupted run: killed in
// epoch 3, killed again in epoch 10, then a finished run, then a retrain into the finished folder
// killed in epoch 5 (the folder keeps the finished run's files), then the final rerun.
func TestSIGKILLRerun(t *testing.T) {
	if v := os.Getenv(killEpochEnv); v != "" {
		out, line, _ := strings.Cut(v, "|")
		err := trainAndSave(out, &killWriter{prefix: line})
		if line != "" {
			t.Fatalf("the child was to be killed at %q but the run ended (err %v)", line, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	ref := filepath.Join(t.TempDir(), "binding")
	if err := trainAndSave(ref, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "binding")
	for _, line := range []string{"epoch   3/", "epoch  10/", "", "epoch   5/"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLRerun$", "-test.count=1")
		cmd.Env = append(os.Environ(), killEpochEnv+"="+out+"|"+line)
		log, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if killed := ws.Signaled() && ws.Signal() == syscall.SIGKILL; killed != (line != "") || (line == "" && !cmd.ProcessState.Success()) {
			t.Fatalf("child for %q: %v\n%s", line, ws, log)
		}
		_, err = os.Stat(filepath.Join(out, ConfigFile))
		if finished := err == nil; finished != (line == "" || line == "epoch   5/") {
			t.Fatalf("after the child for %q: saved folder present = %v", line, finished)
		}
	}
	if err := trainAndSave(out, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{WeightsFile, ConfigFile} {
		a, err := os.ReadFile(filepath.Join(ref, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted run's", name)
		}
	}
}

// killWriter SIGKILLs the process when a line starting with prefix is written (nil or an empty
// prefix: never).
type killWriter struct{ prefix string }

func (w *killWriter) Write(b []byte) (int, error) {
	if w != nil && w.prefix != "" {
		for _, line := range strings.SplitAfter(string(b), "\n") {
			if strings.HasPrefix(line, w.prefix) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	return len(b), nil
}

// An output folder that cannot be written fails the run before the data is read or a step is
// trained, naming out_dir.
func TestRunUnwritableOutDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.OutDir = filepath.Join(file, "out")
	cfg.Data.StatesDir, cfg.Data.Hook = filepath.Join(t.TempDir(), "no-states-here"), "blocks.1.resid_post"
	_, err := Run(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "out_dir "+cfg.OutDir+" cannot be written") {
		t.Fatalf("err = %v", err)
	}
}

package experiments

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/internal/filelock"
)

// A run into a results folder that another run holds is refused at once, naming the folder and
// the holder, before it touches anything.
func TestOutDirLockRefusesSecondRun(t *testing.T) {
	cfg := tinyConfig(t)
	holder, err := lockOut(cfg)
	require.NoError(t, err)
	other := cfg
	other.Name = "other"
	start := time.Now()
	_, err = Run(context.Background(), other, nil)
	require.ErrorIs(t, err, filelock.ErrBusy)
	require.ErrorContains(t, err, "results folder "+cfg.OutDir+" is held by another run")
	require.ErrorContains(t, err, "experiment tiny")
	require.ErrorContains(t, err, "--out")
	require.Less(t, time.Since(start), 2*time.Second, "refused at once, not after a wait")
	require.NoDirExists(t, cfg.OutDir)
	require.NoDirExists(t, cfg.WorkDir, "nothing was started")
	require.NoError(t, holder.Unlock())

	// Once free, the lock is taken again and what a killed run left beside the folder goes.
	stale := filepath.Join(filepath.Dir(cfg.OutDir), ".results.tmp-123")
	require.NoError(t, os.MkdirAll(filepath.Join(stale, "assessor"), 0o755))
	l, err := lockOut(cfg)
	require.NoError(t, err)
	require.NoDirExists(t, stale)
	require.NoError(t, l.Unlock())

	cfg.OutDir = "."
	_, err = Run(context.Background(), cfg, nil)
	require.ErrorContains(t, err, "name a folder of its own")
}

// checkWholeResults runs cfg again (its stages cached, its results in OutDir) to check that the
// results folder changes as a whole and is not shared: a different experiment started into the
// same folder while the run is going is refused at once and the folder then holds the run's
// results only; what a killed run left beside it is removed; a run whose writing fails (an
// injected error after results.md and the tables are written, before the assessor) leaves the
// previous folder byte for byte and nothing beside it.
func checkWholeResults(t *testing.T, cfg Config) {
	t.Helper()
	parent := filepath.Dir(cfg.OutDir)
	stale := filepath.Join(parent, "."+filepath.Base(cfg.OutDir)+".tmp-killed")
	require.NoError(t, os.MkdirAll(stale, 0o755))

	started := make(chan struct{})
	var once sync.Once
	progress := writerFunc(func(p []byte) { once.Do(func() { close(started) }) })
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		_, err := Run(context.Background(), cfg, progress)
		done <- err
	}()
	select {
	case <-started: // the first progress line comes after the lock is taken
	case err := <-done:
		t.Fatalf("run ended before it wrote anything: %v", err)
	}
	other := cfg
	other.Name = "other"
	start := time.Now()
	_, err := Run(context.Background(), other, nil)
	require.ErrorIs(t, err, filelock.ErrBusy)
	require.Less(t, time.Since(start), 2*time.Second)
	require.NoError(t, <-done)
	t.Logf("rerun with cached stages: %v; the other experiment refused in %v", time.Since(t0).Round(time.Millisecond), time.Since(start).Round(time.Microsecond))
	md, err := os.ReadFile(filepath.Join(cfg.OutDir, ResultsMarkdown))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(md), "# Results: "+cfg.Name+"\n"))
	a, err := LoadAssessor(filepath.Join(cfg.OutDir, AssessorDir))
	require.NoError(t, err)
	require.Equal(t, cfg.Name, a.Info.Experiment)
	require.NoDirExists(t, stale)

	before := snapshot(t, cfg.OutDir)
	writeFault = func() error { return errors.New("no space left on device (injected)") }
	defer func() { writeFault = nil }()
	_, err = Run(context.Background(), other, nil)
	require.ErrorContains(t, err, "no space left on device (injected)")
	require.ErrorContains(t, err, "left as it was")
	require.Equal(t, before, snapshot(t, cfg.OutDir), "the previous results, byte for byte")
	ents, err := os.ReadDir(parent)
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.Contains(e.Name(), ".tmp-"), "left beside the results: %s", e.Name())
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// snapshot maps every file below dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = string(data)
		return err
	}))
	require.NotEmpty(t, out)
	return out
}

package filelock

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A second acquirer waits until the first unlocks; within a process each Acquire opens its own
// file, so flock excludes it like another process.
func TestLockExcludes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	p := filepath.Join(t.TempDir(), "sub", "stage.lock")
	a, err := Acquire(p, nil)
	require.NoError(t, err)
	got := make(chan time.Time, 1)
	waited := make(chan bool, 1)
	go func() {
		b, err := Acquire(p, func() { waited <- true })
		require.NoError(t, err)
		got <- time.Now()
		require.NoError(t, b.Unlock())
	}()
	require.True(t, <-waited, "the second acquirer is told it waits")
	time.Sleep(300 * time.Millisecond)
	released := time.Now()
	require.NoError(t, a.Unlock())
	require.True(t, (<-got).After(released), "the second lock came after the first was released")
	require.NoError(t, a.Unlock(), "a second Unlock is harmless")
}

// The kernel drops the lock of a killed process: no stale lock.
func TestLockReleasedWhenProcessDies(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock(1) command")
	}
	p := filepath.Join(t.TempDir(), "x.lock")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	cmd := exec.Command("flock", "-o", p, "sleep", "3") // -o: only flock itself holds the lock
	require.NoError(t, cmd.Start())
	time.Sleep(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		l, err := Acquire(p, func() { _ = cmd.Process.Kill() })
		if err == nil {
			err = l.Unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the lock of a killed process was not released")
	}
	_ = cmd.Wait()
}

// TryAcquire does not wait: a second holder is refused at once with what the first recorded;
// once the first unlocks, the lock is free again.
func TestTryAcquire(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	p := filepath.Join(t.TempDir(), "sub", ".out.lock")
	a, err := TryAcquire(p, "experiment one")
	require.NoError(t, err)
	start := time.Now()
	_, err = TryAcquire(p, "experiment two")
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorContains(t, err, fmt.Sprintf("pid %d, experiment one", os.Getpid()))
	require.Less(t, time.Since(start), time.Second, "no wait")
	require.NoError(t, a.Unlock())
	b, err := TryAcquire(p, "experiment two")
	require.NoError(t, err)
	require.NoError(t, b.Unlock())
}

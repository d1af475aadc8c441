package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// reset restores the collector's settings and the package's policy after a test.
func reset(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	debug.SetGCPercent(oldGC)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		state.mu.Lock()
		state.adaptive, state.cap = false, 0
		state.mu.Unlock()
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
	})
}

// settle collects until the finalizer hook has set the limit for the live heap (or 2 s passed).
func settle() {
	deadline := time.Now().Add(2 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if debug.SetMemoryLimit(-1) == Target(liveHeap(), state.cap) || time.Now().After(deadline) {
			return
		}
	}
}

func TestTarget(t *testing.T) {
	const gib = 1 << 30
	require.Equal(t, int64(Floor), Target(0, 6*gib), "a small live heap: the floor")
	require.Equal(t, int64(Floor), Target(100<<20, 6*gib))
	require.Equal(t, int64(3*gib), Target(1*gib, 6*gib), "Factor × live")
	require.Equal(t, int64(6*gib), Target(4*gib, 6*gib), "never above the cap")
	require.Equal(t, int64(512<<20), Target(0, 512<<20), "a cap below the floor wins")
}

func TestApplyFollowsTheLiveHeap(t *testing.T) {
	reset(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	pct, limit := Apply()
	require.Equal(t, Percent, pct)
	require.Equal(t, Percent, debug.SetGCPercent(Percent))
	total := int64(physicalMemory())
	require.GreaterOrEqual(t, limit, min(int64(Floor), int64(float64(total)*MaxFraction)))
	require.LessOrEqual(t, limit, int64(float64(total)*MaxFraction))
	if total >= 8*MinLimit {
		require.Equal(t, int64(float64(total)*MemoryFraction), state.cap, "a quarter of the memory as the cap")
	}

	// 600 MiB live: after collections the limit is Factor × live (the finalizer hook ran).
	live := make([][]byte, 600)
	for i := range live {
		live[i] = make([]byte, 1<<20)
		live[i][0] = 1
	}
	settle()
	want := Target(liveHeap(), state.cap)
	require.Greater(t, want, int64(Floor))
	require.Equal(t, want, debug.SetMemoryLimit(-1), "the limit follows the live heap")
	runtime.KeepAlive(live)

	// Released: the limit falls back to the floor.
	live = nil
	settle()
	require.Equal(t, int64(Floor), debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1GiB")
	pct, limit = Apply()
	require.Equal(t, -2, pct, "an explicit GOGC is left alone")
	require.Equal(t, int64(-1), limit)
}

func TestTighten(t *testing.T) {
	reset(t)
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(8 << 30)
	require.Equal(t, int64(1<<30), Tighten(1<<30))
	require.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))
	require.Equal(t, int64(1<<30), Tighten(2<<30), "never raised")
	t.Setenv("GOMEMLIMIT", "4GiB")
	require.Equal(t, int64(1<<30), Tighten(512<<20), "GOMEMLIMIT set: left alone")
}

func TestTightenCapsTheAdaptiveLimit(t *testing.T) {
	reset(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	Apply()
	require.Equal(t, int64(900<<20), Tighten(900<<20), "below the floor: the cap")
	require.Equal(t, int64(900<<20), Tighten(2<<30), "never raised")
	settle()
	require.Equal(t, int64(900<<20), debug.SetMemoryLimit(-1), "collections keep the cap")
}

package gctune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApply(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(oldGC)
	defer debug.SetMemoryLimit(oldLimit)
	pct, limit := Apply()
	require.Equal(t, Percent, pct)
	require.Equal(t, Percent, debug.SetGCPercent(Percent))
	require.Greater(t, limit, int64(1<<28), "a soft limit from physical memory")
	total := int64(physicalMemory())
	require.LessOrEqual(t, limit, int64(float64(total)*MaxFraction))
	if total >= 4*MinLimit {
		require.InDelta(t, float64(total)*MemoryFraction, float64(limit), 1<<20, "a quarter of the memory")
	}
	require.Equal(t, limit, debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1GiB")
	pct, limit = Apply()
	require.Equal(t, -2, pct, "an explicit GOGC is left alone")
	require.Equal(t, int64(-1), limit)
}

func TestTighten(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	old := debug.SetMemoryLimit(8 << 30)
	defer debug.SetMemoryLimit(old)
	require.Equal(t, int64(1<<30), Tighten(1<<30))
	require.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))
	require.Equal(t, int64(1<<30), Tighten(2<<30), "never raised")
	t.Setenv("GOMEMLIMIT", "4GiB")
	require.Equal(t, int64(1<<30), Tighten(512<<20), "GOMEMLIMIT set: left alone")
}

func TestRunBudget(t *testing.T) {
	require.Equal(t, int64(RunBase), RunBudget(0))
	require.Equal(t, int64(RunBase+16*6_500_000), RunBudget(6_500_000), "tinycoder: about 1.35 GiB")
}

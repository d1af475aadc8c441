// Package gctune sets the Go garbage collector for pttrust's workloads: GoMLX's pure-Go backend
// allocates large, short-lived buffers on every pass, and with the default GOGC=100 the collector
// runs so often that a 0.5B-parameter forward pass loses ~15 % of its speed. A higher GOGC with a
// soft memory limit keeps the speed and still bounds the heap.
package gctune

import (
	"os"
	"runtime/debug"
	"syscall"
)

// Percent is the GOGC value applied when the environment does not set GOGC.
const Percent = 400

// MemoryFraction is the share of physical memory used as the soft limit when GOMEMLIMIT is
// unset (at least MinLimit, but never more than MaxFraction of it). A quarter leaves room for a
// second run beside this one: with 60 % two SmolLM2 runs on a 24 GB machine were killed for
// memory, each heap having grown to 14 GB of mostly garbage.
const MemoryFraction = 0.25

// MinLimit is the least soft limit (on machines with little memory, up to MaxFraction of it).
const MinLimit = 3 << 30

// MaxFraction caps the soft limit whatever MinLimit says.
const MaxFraction = 0.6

// RunBase is the heap a pipeline run (extraction, SAE and binding training, evaluation) needs
// besides the model: measured on the default study, extraction of its 1 518 snippets peaked at
// 1.42 GB RSS under a 1.3 GiB limit and ran no slower (457 s vs 477 s at 6 GiB).
const RunBase = 1280 << 20

// RunBudget is the soft limit for a run with a model of params parameters: RunBase plus 16 bytes
// per parameter (its float32 weights twice, the store's and the backend's, and as much again for
// activations and compiled graphs).
func RunBudget(params int64) int64 { return RunBase + 16*params }

// Apply sets GOGC and the soft memory limit unless GOGC / GOMEMLIMIT are set in the environment,
// and returns the values in force.
func Apply() (gcPercent int, memLimit int64) {
	gcPercent, memLimit = -2, -1
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
		gcPercent = Percent
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := physicalMemory(); total > 0 {
			memLimit = min(max(int64(float64(total)*MemoryFraction), MinLimit), int64(float64(total)*MaxFraction))
			debug.SetMemoryLimit(memLimit)
		}
	}
	return gcPercent, memLimit
}

// Tighten lowers the soft memory limit to limit (when that is lower than the one in force) unless
// GOMEMLIMIT is set in the environment, and returns the limit in force. For commands whose live
// memory is small and known, like score, which streams its files: with GOGC=400 their heap would
// otherwise grow far past what is live before each collection.
func Tighten(limit int64) int64 {
	cur := debug.SetMemoryLimit(-1)
	if os.Getenv("GOMEMLIMIT") != "" || limit <= 0 || limit >= cur {
		return cur
	}
	debug.SetMemoryLimit(limit)
	return limit
}

func physicalMemory() uint64 {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}

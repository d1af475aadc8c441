// Package gctune sets the Go garbage collector for pttrust's workloads: GoMLX's pure-Go backend
// allocates large, short-lived buffers on every pass, and with the default GOGC=100 the collector
// runs so often that a 0.5B-parameter forward pass loses ~15 % of its speed. A higher GOGC keeps
// the speed; a soft memory limit that follows the live heap (Factor × live, at least Floor, at
// most a share of physical memory) bounds it: with GOGC=400 alone the heap grows to 5× what is
// live between collections, and a fixed limit of a quarter of the memory let a run whose live
// heap was 0.3 GB peak at 6 GB.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"syscall"
)

// Percent is the GOGC value applied when the environment does not set GOGC.
const Percent = 400

// MemoryFraction is the share of physical memory the soft limit never exceeds when GOMEMLIMIT is
// unset (at least MinLimit, but never more than MaxFraction of it). A quarter leaves room for a
// second run beside this one: with 60 % two SmolLM2 runs on a 24 GB machine were killed for
// memory, each heap having grown to 14 GB of mostly garbage.
const MemoryFraction = 0.25

// MinLimit is the least cap (on machines with little memory, up to MaxFraction of it).
const MinLimit = 3 << 30

// MaxFraction caps the soft limit whatever MinLimit says.
const MaxFraction = 0.6

// Floor is the least soft limit while the live heap is small: collections are cheap when little
// is live, so a floor of 1.25 GiB costs no measurable speed (states extraction of the demo's
// snippets: 457 s at a 1.3 GiB limit vs 477 s at 6 GiB) and keeps small runs under 2 GB RSS.
const Floor = 1280 << 20

// Factor is the soft limit's multiple of the live heap once Factor × live exceeds Floor.
const Factor = 3

// state is the limit policy in force; guarded by mu (the GC hook reads it from the finalizer
// goroutine).
var state struct {
	mu       sync.Mutex
	cap      int64 // the most the limit may be
	adaptive bool  // the hook runs
}

// Apply sets GOGC and the soft memory limit unless GOGC / GOMEMLIMIT are set in the environment,
// and returns the values in force. The limit then follows the live heap after every collection:
// max(Floor, Factor × live), at most the cap (a quarter of physical memory, see MemoryFraction).
func Apply() (gcPercent int, memLimit int64) {
	gcPercent, memLimit = -2, -1
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
		gcPercent = Percent
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := physicalMemory(); total > 0 {
			limit := min(max(int64(float64(total)*MemoryFraction), MinLimit), int64(float64(total)*MaxFraction))
			state.mu.Lock()
			state.cap = limit
			start := !state.adaptive
			state.adaptive = true
			state.mu.Unlock()
			memLimit = follow(liveHeap())
			if start {
				watchCollections()
			}
		}
	}
	return gcPercent, memLimit
}

// Tighten lowers the cap of the soft memory limit to limit (when that is lower than the one in
// force) unless GOMEMLIMIT is set in the environment, and returns the limit in force. For
// commands whose live memory is small and known, like score, which streams its files.
func Tighten(limit int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" || limit <= 0 {
		return debug.SetMemoryLimit(-1)
	}
	state.mu.Lock()
	if state.adaptive {
		state.cap = min(state.cap, limit)
		state.mu.Unlock()
		return follow(liveHeap())
	}
	state.mu.Unlock()
	if cur := debug.SetMemoryLimit(-1); limit >= cur {
		return cur
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// Target is the soft limit for a live heap of live bytes under a cap.
func Target(live, cap int64) int64 {
	return min(cap, max(Floor, Factor*live))
}

// follow sets the limit for the live heap and returns it.
func follow(live int64) int64 {
	state.mu.Lock()
	defer state.mu.Unlock()
	if !state.adaptive || state.cap <= 0 {
		return debug.SetMemoryLimit(-1)
	}
	limit := Target(live, state.cap)
	debug.SetMemoryLimit(limit)
	return limit
}

// liveHeap is the heap marked live by the last collection (0 before the first).
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// watchCollections runs follow after every collection: a sentinel's finalizer runs once the
// collector found it unreachable, and each run re-arms a new sentinel.
func watchCollections() {
	type sentinel struct{ _ [16]byte }
	var arm func()
	arm = func() {
		s := new(sentinel)
		runtime.SetFinalizer(s, func(*sentinel) {
			follow(liveHeap())
			arm()
		})
	}
	arm()
}

func physicalMemory() uint64 {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}

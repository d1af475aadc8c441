package models

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/gomlx/compute"
	"github.com/stretchr/testify/require"
)

// The pure-Go backend gets GoExecutors() op executors unless the spec names num_executors or
// ops_sequential (withGoExecutors); other backends' specs are left alone.
func TestGoBackendExecutors(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	for procs, want := range map[int]int{1: 2, 2: 2, 4: 2, 6: 3, 16: 8, 64: 8} {
		old := runtime.GOMAXPROCS(procs)
		require.Equal(t, want, GoExecutors(), "GOMAXPROCS %d", procs)
		runtime.GOMAXPROCS(old)
	}
	n := "num_executors=" + strconv.Itoa(GoExecutors())
	for _, c := range []struct{ spec, want string }{
		{"", "go:" + n},
		{"go", "go:" + n},
		{"go:ops_parallel", "go:ops_parallel," + n},
		{"go:num_executors=5", "go:num_executors=5"},
		{"go:ops_sequential", "go:ops_sequential"},
	} {
		b, s, err := NewBackendSpec(c.spec)
		require.NoError(t, err, c.spec)
		require.Equal(t, c.want, s.String(), c.spec)
		b.Finalize()
	}
	t.Setenv(compute.ConfigEnvVar, "go:num_executors=3")
	b, s, err := NewBackendSpec("")
	require.NoError(t, err)
	require.Equal(t, "go:num_executors=3", s.String())
	b.Finalize()
	x, err := ParseBackendSpec("xla:cuda,tf32=false")
	require.NoError(t, err)
	require.Equal(t, x, withGoExecutors(x))
}

// The scheduling changes when ops run and over how many workers a matmul splits, not what they
// compute: a forward pass (matmuls, attention, norms, logits) gives the same bits with pttrust's
// executors, GoMLX's default ones and ops one after the other.
func TestGoSchedulingSameBits(t *testing.T) {
	cfg := tinyBenchConfig()
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([][]int32, 2)
	for i := range ids {
		for range 200 {
			ids[i] = append(ids[i], int32(rng.IntN(cfg.VocabSize)))
		}
	}
	hooks := []string{ResidPost(0), ResidPost(cfg.NumLayers - 1), HookLogits, HookTokenLogProb, HookTokenEntropy}
	run := func(spec string) map[string]*Array {
		backend, err := NewBackend(spec)
		require.NoError(t, err)
		t.Cleanup(backend.Finalize)
		m, err := NewRandom(cfg, backend, 9)
		require.NoError(t, err)
		out, err := m.Run(ids, Request{Hooks: hooks})
		require.NoError(t, err)
		return out
	}
	want := run("go:ops_sequential")
	for _, spec := range []string{"go", "go:ops_parallel,num_executors=8"} {
		got := run(spec)
		for _, h := range hooks {
			requireSameBits(t, fmt.Sprintf("%s, ops one after the other (want) vs %q", h, spec), want[h].Data, got[h].Data)
		}
	}
}

package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/stretchr/testify/require"
)

// The pure-Go backend runs a graph's ops one after the other unless the spec names a
// scheduling (withGoScheduling); other backends' specs are left alone.
func TestGoBackendSchedulesOpsSequentially(t *testing.T) {
	t.Setenv(compute.ConfigEnvVar, "")
	for _, c := range []struct{ spec, want string }{
		{"", "go:ops_sequential"},
		{"go", "go:ops_sequential"},
		{"go:parallelism=2", "go:parallelism=2,ops_sequential"},
		{"go:ops_parallel", "go:ops_parallel"},
		{"go:ops_sequential", "go:ops_sequential"},
	} {
		b, s, err := NewBackendSpec(c.spec)
		require.NoError(t, err, c.spec)
		require.Equal(t, c.want, s.String(), c.spec)
		b.Finalize()
	}
	t.Setenv(compute.ConfigEnvVar, "go:ops_parallel")
	_, s, err := NewBackendSpec("")
	require.NoError(t, err)
	require.Equal(t, "go:ops_parallel", s.String())
	x, err := ParseBackendSpec("xla:cuda,tf32=false")
	require.NoError(t, err)
	require.Equal(t, x, withGoScheduling(x))
}

// The scheduling changes when ops run, not what they compute: a forward pass (matmuls split over
// the worker pool, attention, norms, logits) gives the same bits both ways.
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
		m, err := NewRandom(cfg, backend, 9)
		require.NoError(t, err)
		out, err := m.Run(ids, Request{Hooks: hooks})
		require.NoError(t, err)
		return out
	}
	seq, par := run("go"), run("go:ops_parallel")
	for _, h := range hooks {
		want, got := par[h].Data, seq[h].Data
		require.Len(t, got, len(want), h)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(math.IsNaN(float64(want[i])) && math.IsNaN(float64(got[i]))) {
				t.Fatalf("%s: element %d: %v with ops in parallel, %v one after the other", h, i, want[i], got[i])
			}
		}
	}
}

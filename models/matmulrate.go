package models

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// MatMulRate measures the float32 matmul rate (GFLOP/s) of a backend on transformer-MLP shapes:
// one graph chains reps pairs of [m,k]x[k,n] and [m,n]x[n,k] products, so input transfers are
// amortised as for weights held on the device. The best of three timed calls is kept (the first
// call compiles and warms up). Benchmarks report model FLOP/s as a fraction of this rate.
func MatMulRate(backend compute.Backend, m, k, n, reps int) (float64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(size int, scale float64) []float32 {
		v := make([]float32, size)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	exec, err := NewExec(backend, func(x, up, down *Node) *Node {
		for range reps {
			x = MatMul(MatMul(x, up), down) // [m,k] -> [m,n] -> [m,k]
		}
		return x
	})
	if err != nil {
		return 0, err
	}
	defer exec.Finalize()
	x := tensors.FromFlatDataAndDimensions(randn(m*k, 1), m, k)
	up := tensors.FromFlatDataAndDimensions(randn(k*n, 1/math.Sqrt(float64(k))), k, n)
	down := tensors.FromFlatDataAndDimensions(randn(n*k, 1/math.Sqrt(float64(n))), n, k)
	best := math.Inf(1)
	for try := range 4 {
		start := time.Now()
		out, err := exec.Call(x, up, down)
		if err != nil {
			return 0, err
		}
		out[0].FinalizeAll()
		if try > 0 {
			best = math.Min(best, time.Since(start).Seconds())
		}
	}
	return 2 * 2 * float64(m*k*n) * float64(reps) / best / 1e9, nil
}

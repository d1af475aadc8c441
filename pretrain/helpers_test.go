package pretrain

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// planted is synthetic data from a known dictionary: every line is a sparse positive
// combination of unit atoms.
type planted struct {
	dim   int
	atoms [][]float32
}

func newPlanted(seed uint64, dim, n int) *planted {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := &planted{dim: dim}
	for range n {
		a := make([]float32, dim)
		var s float64
		for i := range a {
			v := rng.NormFloat64()
			a[i] = float32(v)
			s += v * v
		}
		for i := range a {
			a[i] /= float32(math.Sqrt(s))
		}
		p.atoms = append(p.atoms, a)
	}
	return p
}

// newSubspacePlanted draws n atoms inside a random sub-dimensional subspace of R^dim: most
// directions of R^dim carry no data, so latents pointing there never fire.
func newSubspacePlanted(seed uint64, dim, sub, n int) *planted {
	basis := newPlanted(seed, dim, sub)
	coef := newPlanted(seed+1, sub, n)
	p := &planted{dim: dim}
	for _, c := range coef.atoms {
		a := make([]float32, dim)
		for j, cj := range c {
			for i, b := range basis.atoms[j] {
				a[i] += cj * b
			}
		}
		var s float64
		for _, v := range a {
			s += float64(v) * float64(v)
		}
		for i := range a {
			a[i] /= float32(math.Sqrt(s))
		}
		p.atoms = append(p.atoms, a)
	}
	return p
}

// sample returns a vector made of `active` distinct atoms with coefficients in [0.5, 1.5), and
// the atoms used.
func (p *planted) sample(rng *rand.Rand, active int) ([]float32, []int) {
	x := make([]float32, p.dim)
	idx := rng.Perm(len(p.atoms))[:active]
	for _, j := range idx {
		c := float32(0.5 + rng.Float64())
		for i, a := range p.atoms[j] {
			x[i] += c * a
		}
	}
	return x, idx
}

func (p *planted) lines(seed uint64, n, active int) []Item {
	rng := rand.New(rand.NewPCG(seed, 11))
	items := make([]Item, n)
	for i := range items {
		x, _ := p.sample(rng, active)
		items[i] = Item{Line: x}
	}
	return items
}

// matched counts the atoms that some decoder row (of s) reaches with cosine > thr.
func matched(s *SAE, atoms [][]float32, thr float64) int {
	d := s.Config.DIn
	n := 0
	for _, a := range atoms {
		best := -1.0
		for j := range s.Config.DSAE {
			row := s.WDec[j*d : (j+1)*d]
			var dot, nr float64
			for i := range row {
				dot += float64(row[i]) * float64(a[i])
				nr += float64(row[i]) * float64(row[i])
			}
			best = math.Max(best, dot/math.Sqrt(nr))
		}
		if best > thr {
			n++
		}
	}
	return n
}

// batchesOf cuts items into the trainer's batches of size rows of dimension dim, the last one
// padded.
func batchesOf(tb testing.TB, size, dim int, items []Item) []*batch {
	var out []*batch
	bt := &batcher{size: size, dim: dim, emit: func(x *batch) error { out = append(out, x); return nil }}
	for _, it := range items {
		require.NoError(tb, bt.add(it))
	}
	require.NoError(tb, bt.flush(true))
	return out
}

// testConfig is a small, fast run writing under dir.
func testConfig(dir string) Config {
	c := DefaultConfig()
	c.OutDir, c.WorkDir = dir+"/out", dir+"/work"
	c.BatchSize, c.ShuffleBuffer, c.BPreSamples = 256, 2048, 1024
	c.EvalEvery, c.CheckpointEvery = 20, 0
	c.LR, c.WarmupSteps = 2e-3, 20
	return c
}

// scanVectors scans s whole and returns its vectors in order (each line, then its mutants).
func scanVectors(t *testing.T, s Source) [][]float32 {
	t.Helper()
	var items []Item
	require.NoError(t, s.Scan(context.Background(), func(it Item) error {
		items = append(items, it)
		return nil
	}))
	return vectors(items)
}

func vectors(items []Item) [][]float32 {
	var xs [][]float32
	for _, it := range items {
		xs = append(xs, it.Line)
		xs = append(xs, it.Mutants...)
	}
	return xs
}

// pairs returns n items, each an original line and one mutated counterpart: the same sparse
// code with one atom swapped for another at the same coefficient.
func (p *planted) pairs(seed uint64, n, active int) []Item {
	rng := rand.New(rand.NewPCG(seed, 13))
	items := make([]Item, n)
	for i := range items {
		x, idx := p.sample(rng, active)
		m := append([]float32(nil), x...)
		out := idx[0]
		in := rng.IntN(len(p.atoms))
		for in == out || contains(idx, in) {
			in = rng.IntN(len(p.atoms))
		}
		c := float32(0.5 + rng.Float64())
		for d := range m {
			m[d] += c * (p.atoms[in][d] - p.atoms[out][d])
		}
		items[i] = Item{Line: x, Mutants: [][]float32{m}}
	}
	return items
}

func contains(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// meanPairDistance is the mean normalised latent distance of each item's line and mutant.
func meanPairDistance(s *SAE, items []Item) float64 {
	var sum float64
	for _, it := range items {
		sum += LatentDistance(s.Encode(it.Line), s.Encode(it.Mutants[0]))
	}
	return sum / float64(len(items))
}

// saeBytes is the weights file of the SAE trained into outDir.
func saeBytes(t *testing.T, outDir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outDir, WeightsFile))
	require.NoError(t, err)
	return b
}

// requireSameTraining trains on items twice, with *flag false and then true, each with the
// Config that cfg builds for a fresh folder, and requires the same SAE bytes, the same last
// checkpoint (the Adam moments with it) and the same metrics. Returns both results.
func requireSameTraining(t *testing.T, name string, flag *bool, items []Item, cfg func(dir string) Config) (off, on *Result) {
	t.Helper()
	run := func(v bool) (sae, ckpt []byte, res *Result) {
		*flag = v
		defer func() { *flag = false }()
		c := cfg(t.TempDir())
		res, err := TrainOn(context.Background(), c, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		ckpt, err = os.ReadFile(filepath.Join(c.WorkDir, CheckpointFile))
		require.NoError(t, err)
		return saeBytes(t, c.OutDir), ckpt, res
	}
	offSAE, offCkpt, off := run(false)
	onSAE, onCkpt, on := run(true)
	require.Equal(t, onSAE, offSAE, name)
	require.Equal(t, onCkpt, offCkpt, "%s: checkpoint (moments)", name)
	require.Equal(t, on.Metrics, off.Metrics, name)
	return off, on
}

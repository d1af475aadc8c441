package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// Interval is a confidence interval; both ends are NaN when unknown.
type Interval struct{ Lo, Hi float64 }

// NoCI is the interval of a value without a confidence interval.
var NoCI = Interval{math.NaN(), math.NaN()}

// Bootstrap returns Compute(snips, threshold) and 95 % percentile bootstrap intervals for every
// name in MetricNames: reps data sets are drawn by resampling whole snippets with replacement,
// each is evaluated exactly as Compute would evaluate it (with a NaN threshold, the Youden
// threshold is re-picked in every resample), and the interval is the 2.5th and 97.5th percentile
// (linear interpolation) of the replicate values, ignoring replicates where the metric is
// undefined (NaN). The result depends only on the data, reps and seed (replicate r draws from
// PCG(seed, r)), not on the number of CPUs.
//
// Work per replicate is linear in the number of lines: per-snippet contributions and the global
// score order are computed once.
func Bootstrap(snips []SnippetScores, threshold float64, reps int, seed uint64) (point Metrics, ci map[string]Interval) {
	p := prepare(snips, threshold)
	n := len(snips)
	ones := make([]int32, n)
	for i := range ones {
		ones[i] = 1
	}
	point = p.evaluate(ones)
	names := MetricNames()
	ci = make(map[string]Interval, len(names))
	if reps <= 0 || n == 0 {
		for _, name := range names {
			ci[name] = NoCI
		}
		return point, ci
	}
	vals := make([][]float64, len(names)) // vals[metric][rep]
	for i := range vals {
		vals[i] = make([]float64, reps)
	}
	workers := min(runtime.GOMAXPROCS(0), reps)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := make([]int32, n)
			for r := wk; r < reps; r += workers {
				resampleWeights(w, seed, r)
				m := p.evaluate(w)
				for i, name := range names {
					vals[i][r] = m.Value(name)
				}
			}
		}()
	}
	wg.Wait()
	for i, name := range names {
		ci[name] = percentileInterval(vals[i], 0.025, 0.975)
	}
	return point, ci
}

// resampleWeights sets w[i] to how often snippet i is drawn in replicate r.
func resampleWeights(w []int32, seed uint64, r int) {
	rng := rand.New(rand.NewPCG(seed, uint64(r)))
	clear(w)
	n := len(w)
	for range n {
		w[rng.IntN(n)]++
	}
}

// percentileInterval returns the lo and hi quantiles (type 7, linear interpolation) of the
// non-NaN values; NoCI when there are none. xs is reordered.
func percentileInterval(xs []float64, lo, hi float64) Interval {
	v := xs[:0]
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return NoCI
	}
	sort.Float64s(v)
	return Interval{quantile(v, lo), quantile(v, hi)}
}

func quantile(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

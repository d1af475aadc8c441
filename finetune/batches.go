package finetune

// The training data: snippet lists, their checks and standardization, and the units and
// batches an epoch visits.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gomlx/gomlx/core/tensors"
)

// List is one snippet: the features of its scored lines, in line order, and their labels.
type List struct {
	// ID identifies the snippet (for error messages and reports).
	ID string
	// Features holds one vector per line: [lines][dim].
	Features [][]float32
	// Labels holds 1 for a buggy line and 0 for a clean one; graded relevance is derived from
	// them (Config.GradedRelevance).
	Labels []int32
}

// unit is one training list (a snippet or a chunk of one), standardised.
type unit struct {
	x    [][]float32
	lab  []int32
	rel  []float64
	idcg float64
}

// checkLists validates lists against dim (0: take it from the first line found) and returns dim.
func checkLists(lists []List, split string, dim int) (int, error) {
	for _, l := range lists {
		if len(l.Features) != len(l.Labels) {
			return dim, fmt.Errorf("finetune: %s list %q: %d feature rows but %d labels", split, l.ID, len(l.Features), len(l.Labels))
		}
		for i, f := range l.Features {
			if dim == 0 {
				dim = len(f)
			}
			if len(f) != dim || dim == 0 {
				return dim, fmt.Errorf("finetune: %s list %q line %d: %d features, want %d", split, l.ID, i, len(f), dim)
			}
			if l.Labels[i] != 0 && l.Labels[i] != 1 {
				return dim, fmt.Errorf("finetune: %s list %q line %d: label %d (want 0 or 1)", split, l.ID, i, l.Labels[i])
			}
			for _, v := range f {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return dim, fmt.Errorf("finetune: %s list %q line %d: non-finite feature", split, l.ID, i)
				}
			}
		}
	}
	return dim, nil
}

// standardStats returns the per-feature mean and standard deviation of every training line
// (float32, as stored); a feature with std < 1e-6 gets std 1 (centred only).
func standardStats(lists []List, dim int) (mean, std []float32) {
	sum, sq := make([]float64, dim), make([]float64, dim)
	n := 0
	for _, l := range lists {
		for _, f := range l.Features {
			for d, v := range f {
				sum[d] += float64(v)
			}
			n++
		}
	}
	mean, std = make([]float32, dim), make([]float32, dim)
	for d := range dim {
		mean[d] = float32(sum[d] / float64(n))
	}
	for _, l := range lists {
		for _, f := range l.Features {
			for d, v := range f {
				e := float64(v) - float64(mean[d])
				sq[d] += e * e
			}
		}
	}
	for d := range dim {
		s := math.Sqrt(sq[d] / float64(n))
		if s < 1e-6 {
			s = 1
		}
		std[d] = float32(s)
	}
	return mean, std
}

// standardize returns (x − mean)/std as float32 (x itself when mean is nil).
func standardize(x, mean, std []float32) []float32 {
	if mean == nil {
		return x
	}
	out := make([]float32, len(x))
	for d, v := range x {
		out[d] = float32((float64(v) - float64(mean[d])) / float64(std[d]))
	}
	return out
}

// makeUnits standardises the lists and cuts them into chunks of at most maxLines lines. Graded
// relevance is derived on the whole list before cutting. Lists without lines are skipped; so are
// chunks without gain when ranking is trained (their NDCG is undefined).
func makeUnits(lists []List, cfg Config, mean, std []float32) []unit {
	var out []unit
	ranking := cfg.Aggregate == AggregateNone && cfg.Loss != LossBCE
	for _, l := range lists {
		rel := relevance(l.Labels, cfg.GradedRelevance, cfg.RelevanceWindow)
		for lo := 0; lo < len(l.Features); lo += cfg.MaxLines {
			hi := min(lo+cfg.MaxLines, len(l.Features))
			u := unit{lab: l.Labels[lo:hi], rel: rel[lo:hi]}
			for _, f := range l.Features[lo:hi] {
				u.x = append(u.x, standardize(f, mean, std))
			}
			u.idcg = idealDCG(u.rel)
			if ranking && !hasPositive(u.lab) {
				continue
			}
			out = append(out, u)
		}
	}
	return out
}

func hasPositive(labels []int32) bool {
	for _, l := range labels {
		if l != 0 {
			return true
		}
	}
	return false
}

// padLength is the padded list length of a batch whose longest list has n lines: 8, 16, then
// the next multiple of 16, capped at maxLines, so that few graph shapes are compiled.
func padLength(n, maxLines int) int {
	p := 8
	switch {
	case n > 16:
		p = (n + 15) / 16 * 16
	case n > 8:
		p = 16
	}
	return min(p, max(maxLines, n))
}

// sortWindow is the number of batches whose units are sorted by length together (after the
// epoch's shuffle), so that a batch holds lists of similar length and pads little.
const sortWindow = 8

// epochBatches returns the batches of one epoch: the units in a random order drawn from seed and
// epoch, sorted by length within windows of sortWindow batches, cut into batches of size, the
// batches then shuffled.
func epochBatches(units []unit, size int, seed uint64, epoch int) [][]int {
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
	order := rng.Perm(len(units))
	var batches [][]int
	for lo := 0; lo < len(order); lo += sortWindow * size {
		win := order[lo:min(lo+sortWindow*size, len(order))]
		sort.SliceStable(win, func(a, b int) bool { return len(units[win[a]].x) < len(units[win[b]].x) })
		for b := 0; b < len(win); b += size {
			batches = append(batches, win[b:min(b+size, len(win))])
		}
	}
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	return batches
}

// batchTensors builds the inputs of one step from up to size units (missing ones are empty lists
// of weight 0): x [B, n, D], mask [B, n], rel [B, n], labels [B, n], idcg [B], weight [B].
func batchTensors(units []unit, size, dim, maxLines int) []*tensors.Tensor {
	longest := 1
	for _, u := range units {
		longest = max(longest, len(u.x))
	}
	n := padLength(longest, maxLines)
	x := make([]float32, size*n*dim)
	mask, rel, lab := make([]float32, size*n), make([]float32, size*n), make([]float32, size*n)
	idcg, w := make([]float32, size), make([]float32, size)
	for b, u := range units {
		for i := range u.x {
			copy(x[(b*n+i)*dim:], u.x[i])
			mask[b*n+i] = 1
			rel[b*n+i] = float32(u.rel[i])
			lab[b*n+i] = float32(u.lab[i])
		}
		idcg[b] = float32(u.idcg)
		w[b] = 1
	}
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(x, size, n, dim),
		tensors.FromFlatDataAndDimensions(mask, size, n),
		tensors.FromFlatDataAndDimensions(rel, size, n),
		tensors.FromFlatDataAndDimensions(lab, size, n),
		tensors.FromFlatDataAndDimensions(idcg, size),
		tensors.FromFlatDataAndDimensions(w, size),
	}
}

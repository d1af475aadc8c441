package pretrain

import (
	"math"
	"runtime"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pttrust/pttrust/models"
)

// TopK thresholds computed on the host. On the pure-Go backend the graph's bisection
// (kthLargest: 31 rounds of compare, count and select over [batch, latents]) is a large share of
// a training step; a quickselect per row in Go finds the same values in one pass over the data.
// The trainer then runs the step in two executions: preGraph gives the pre-activations and the dead
// latents, the host finds the thresholds, and the step graph masks with them (stepGraph with
// shape.hostKth). The masks, and so every weight, are those of the in-graph bisection: the
// same ops compute the pre-activations in both graphs, and the host value is the exact k-th
// largest (a test trains both ways and compares the bytes).

// kthLargestHost is kthLargest for one row: the k-th largest positive value of row, or 0 when
// fewer than k values are positive (v >= 0 and v > 0 then keep every positive value, as the
// graph's threshold in [0, smallest positive] does); +Inf when k <= 0 (keep nothing). scratch
// needs room for len(row) values; it may be row itself, whose positives are then gathered in
// place (row is otherwise not modified).
func kthLargestHost(row []float32, k int, scratch []float32) float32 {
	if k <= 0 {
		return float32(math.Inf(1))
	}
	pos := scratch[:0]
	for _, v := range row {
		if v > 0 {
			pos = append(pos, v)
		}
	}
	if len(pos) < k {
		return 0
	}
	return selectDesc(pos, k-1)
}

// selectDesc returns the value at index i of a sorted in descending order, reordering a
// (quickselect with a median-of-three pivot and a three-way partition, so ties cost nothing).
func selectDesc(a []float32, i int) float32 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		p := median3(a[lo], a[lo+(hi-lo)/2], a[hi])
		lt, j, gt := lo, lo, hi // a[lo:lt] > p, a[lt:j] == p, a[gt+1:hi+1] < p
		for j <= gt {
			switch v := a[j]; {
			case v > p:
				a[lt], a[j] = v, a[lt]
				lt++
				j++
			case v < p:
				a[j], a[gt] = a[gt], v
				gt--
			default:
				j++
			}
		}
		switch {
		case i < lt:
			hi = lt - 1
		case i > gt:
			lo = gt + 1
		default:
			return p
		}
	}
	return a[i]
}

func median3(a, b, c float32) float32 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

// rowThresholds fills thr[r] with kthLargestHost of each row of v ([rows, n] row-major), times
// mask[j] when mask is not nil (AuxK: only the dead latents compete). k >= n keeps every positive
// value (topK returns its input then): threshold 0. Rows are split over the available cores from
// 4 096 values on (a [256, 128] batch took 270 µs on one core, 88-144 on two: 2 vCPU AMD EPYC;
// from 32 768, as before, it ran on one).
func rowThresholds(v []float32, rows, n, k int, mask []float32, thr []float32) {
	if k >= n {
		clear(thr[:rows])
		return
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, rows*n/(1<<12)), rows)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			scratch := make([]float32, n)
			masked := make([]float32, n)
			for r := w; r < rows; r += workers {
				row := v[r*n : (r+1)*n]
				if mask != nil {
					for j, m := range mask {
						masked[j] = row[j] * m
					}
					row = masked
				}
				thr[r] = kthRow(row, k, scratch)
			}
		})
	}
	wg.Wait()
}

// batchThreshold is batchTopK's threshold: the (k × Σ rowW)-th largest of v · rowW over the
// whole batch ([rows, n], rowW [rows] of 0 and 1).
func batchThreshold(v []float32, rows, n, k int, rowW []float32) float32 {
	vm := make([]float32, 0, rows*n)
	real := 0
	for r := range rows {
		real += int(rowW[r])
		for _, x := range v[r*n : (r+1)*n] {
			vm = append(vm, x*rowW[r])
		}
	}
	return kthLargestHost(vm, k*real, vm)
}

// quickselectOnly, set by a benchmark, makes kthRow quickselect every row.
var quickselectOnly bool

// inGraphKth, set by tests, makes the pure-Go backend bisect for the TopK thresholds in the step
// graph, as other backends do, instead of finding them on the host (hostkth.go).
var inGraphKth bool

// hostKthOn says whether the step's TopK thresholds are found on the host: on the pure-Go
// backend, where the graph's bisection is a large share of the step; an accelerator keeps the
// search in the graph rather than copy the pre-activations out.
func hostKthOn(backend compute.Backend) bool {
	return !inGraphKth && models.IsPureGo(backend)
}

// thresholds finds the step's TopK thresholds on the host (shape.hostKth) into t.thr and, when
// the step runs AuxK, t.thrAux. It returns preGraph's pre-activations, which the caller finalizes
// after the step (its input with shape.preIn).
func (t *trainer) thresholds(x *tensors.Tensor, rowW []float32, withAux bool) (pre *tensors.Tensor, err error) {
	outs, err := t.preExec.Call(x)
	if err != nil {
		return nil, err
	}
	defer func() {
		outs[1].FinalizeAll()
		if err != nil {
			outs[0].FinalizeAll()
		}
	}()
	B, L := t.cfg.BatchSize, t.s.latents
	r, err := outputFloats(t.backend, outs[0]) // read in place: outs live until the deferred finalize
	if err != nil {
		return nil, err
	}
	if t.s.batchTopK {
		v := batchThreshold(r, B, L, t.s.k, rowW)
		for i := range t.thr {
			t.thr[i] = v
		}
	} else {
		rowThresholds(r, B, L, t.s.k, nil, t.thr)
	}
	if withAux {
		dead, err := outputFloats(t.backend, outs[1])
		if err != nil {
			return nil, err
		}
		rowThresholds(r, B, L, min(t.s.auxK, L), dead, t.thrAux)
	}
	return outs[0], nil
}

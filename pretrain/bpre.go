package pretrain

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

var errEnough = errors.New("enough samples")

// scanSample calls take on the first n vectors of the source (each line, then its mutants, in
// the source's order) after checking their dimension, and returns how many it took: the sample
// b_pre is initialised from and a BatchTopK threshold is calibrated on.
func (t *trainer) scanSample(ctx context.Context, n int, take func(v []float32)) (int, error) {
	seen := 0
	one := func(v []float32) error {
		if len(v) != t.s.dim {
			return fmt.Errorf("pretrain: a vector has %d values, the data's dimension is %d", len(v), t.s.dim)
		}
		take(v)
		if seen++; seen >= n {
			return errEnough
		}
		return nil
	}
	err := t.src.Scan(ctx, func(it Item) error {
		if err := one(it.Line); err != nil {
			return err
		}
		for _, m := range it.Mutants {
			if err := one(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return seen, err
	}
	return seen, nil
}

// initBPre sets b_pre to the mean or geometric median of the first BPreSamples (normalised)
// lines of the source, in its own order.
func (t *trainer) initBPre(ctx context.Context) error {
	var xs [][]float64
	norm := &SAE{Config: SAEConfig{Normalization: t.normalization(), NormEps: normEps}}
	if _, err := t.scanSample(ctx, t.cfg.BPreSamples, func(v []float32) {
		n := norm.Normalize(v)
		x := make([]float64, len(n))
		for i, f := range n {
			x[i] = float64(f)
		}
		xs = append(xs, x)
	}); err != nil {
		return err
	}
	if len(xs) == 0 {
		return errors.New("pretrain: the data holds no lines (check split and states_dir)")
	}
	var b []float64
	if t.cfg.BPreInit == BPreGeometricMedian {
		b = geometricMedian(xs, 100)
	} else {
		b = meanOf(xs)
	}
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = float32(v)
	}
	return t.store.GetVariable(saePath(varBPre)).SetValue(tensors.FromFlatDataAndDimensions(out, len(out)))
}

func (t *trainer) normalization() string {
	if t.s.inputNorm {
		return NormLayerNorm
	}
	return NormNone
}

func meanOf(xs [][]float64) []float64 {
	m := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i, v := range x {
			m[i] += v
		}
	}
	for i := range m {
		m[i] /= float64(len(xs))
	}
	return m
}

// geometricMedian runs Weiszfeld's iterations from the mean.
func geometricMedian(xs [][]float64, iters int) []float64 {
	y := meanOf(xs)
	next := make([]float64, len(y))
	for range iters {
		clear(next)
		var wsum float64
		for _, x := range xs {
			var d float64
			for i, v := range x {
				e := v - y[i]
				d += e * e
			}
			w := 1 / math.Max(math.Sqrt(d), 1e-9)
			wsum += w
			for i, v := range x {
				next[i] += w * v
			}
		}
		var move float64
		for i := range y {
			v := next[i] / wsum
			move += (v - y[i]) * (v - y[i])
			y[i] = v
		}
		if move < 1e-14 {
			break
		}
	}
	return y
}

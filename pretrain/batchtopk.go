package pretrain

import (
	"cmp"
	"context"
	"errors"
	"slices"
)

// calibrateThreshold is a BatchTopK SAE's inference threshold: over the first BPreSamples lines
// of the source (the lines b_pre was initialised from, mutants included), the (K × lines)-th
// largest positive pre-activation, so that a line keeps K latents on average there, as a
// training batch does. Fewer positive values than that: the smallest positive one.
func (t *trainer) calibrateThreshold(ctx context.Context, s *SAE) (float32, error) {
	var pos []float32
	lines, err := t.scanSample(ctx, t.cfg.BPreSamples, func(v []float32) {
		for _, p := range s.PreActivations(v) {
			if p > 0 {
				pos = append(pos, p)
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if len(pos) == 0 {
		return 0, errors.New("pretrain: batchtopk: no positive pre-activation on the calibration lines")
	}
	slices.SortFunc(pos, func(a, b float32) int { return cmp.Compare(b, a) })
	return pos[min(len(pos), t.s.k*lines)-1], nil
}

package pretrain

import (
	"context"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// supConRef is the SupCon loss in float64, written from its definition: for each labelled line i
// with another line of its label, −(1/|P(i)|) Σ_{p∈P(i)} log(exp(s_ip/τ) / Σ_{a≠i labelled}
// exp(s_ia/τ)), averaged over those lines; s is the cosine similarity.
func supConRef(zn [][]float64, label []int, tau float64) float64 {
	total, anchors := 0.0, 0
	for i := range zn {
		if label[i] == 0 {
			continue
		}
		dot := func(a, b []float64) float64 {
			s := 0.0
			for k := range a {
				s += a[k] * b[k]
			}
			return s
		}
		den := 0.0
		for a := range zn {
			if a != i && label[a] != 0 {
				den += math.Exp(dot(zn[i], zn[a]) / tau)
			}
		}
		sum, n := 0.0, 0
		for p := range zn {
			if p != i && label[p] == label[i] {
				sum += dot(zn[i], zn[p])/tau - math.Log(den)
				n++
			}
		}
		if n > 0 {
			total += -sum / float64(n)
			anchors++
		}
	}
	return total / float64(anchors)
}

// The graph's SupCon term equals the float64 reference on a hand-made batch: rows 0 and 2
// original, 1 and 4 mutated (row 0 is the original of two pairs), row 3 unlabelled, row 5 a
// padding pair's target.
func TestSupConMatchesReference(t *testing.T) {
	raw := [][]float64{{1, 0, 2}, {0.5, 1, 0}, {0, 0, 1}, {3, 1, 1}, {1, 1, 1}, {0, 2, 1}}
	zn := make([][]float64, len(raw))
	flat := []float32{}
	for i, r := range raw {
		n := math.Sqrt(r[0]*r[0] + r[1]*r[1] + r[2]*r[2])
		for _, v := range r {
			zn[i] = append(zn[i], v/n)
			flat = append(flat, float32(v/n))
		}
	}
	pa := []int32{0, 2, 0, 3, 0, 0}
	pb := []int32{1, 4, 4, 5, 0, 0}
	pw := []float32{1, 1, 1, 0, 0, 0} // the pair (3, 5) is padding
	label := []int{1, 2, 1, 0, 2, 0}  // 1 original, 2 mutated
	b, err := models.NewBackend("go")
	require.NoError(t, err)
	out, err := ExecOnce(b, func(in []*Node) *Node { return supConLoss(in[0], in[1], in[2], in[3], 0.5) },
		tensors.FromFlatDataAndDimensions(flat, 6, 3), tensors.FromFlatDataAndDimensions(pa, 6),
		tensors.FromFlatDataAndDimensions(pb, 6), tensors.FromFlatDataAndDimensions(pw, 6))
	require.NoError(t, err)
	got := tensors.MustCopyFlatData[float32](out)[0]
	require.InDelta(t, supConRef(zn, label, 0.5), float64(got), 1e-5)
}

// SupCon as the contrastive term pulls each line's latents away from its mutant's (on held-out
// pairs) compared with the same run without a contrastive term.
func TestSupConSeparatesPairs(t *testing.T) {
	p := newPlanted(6, 64, 128)
	train, test := p.pairs(7, 6144, 4), p.pairs(8, 500, 4)
	run := func(weight float64) *SAE {
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.ContrastWeight = 128, 8, 5, 2, weight
		cfg.Contrast = ContrastSupCon
		_, err := TrainOn(context.Background(), cfg, &SliceSource{Items: train}, nil)
		require.NoError(t, err)
		s, err := Load(cfg.OutDir)
		require.NoError(t, err)
		return s
	}
	off, on := run(0), run(1)
	dOff, dOn := meanPairDistance(off, test), meanPairDistance(on, test)
	t.Logf("held-out pair distance: without contrast %.3f (FVU %.4f), SupCon %.3f (FVU %.4f)", dOff, off.FVU(vectors(test)), dOn, on.FVU(vectors(test)))
	require.Greater(t, dOn, dOff*1.1)
}

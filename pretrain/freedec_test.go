package pretrain

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// A free decoder (decoder_norm "free", SAELens' parametrisation) trains its rows' norms, and the
// written SAE folds them into the encoder: its pre-activations and reconstructions are those of
// the trained variables under the parametrisation's formula, computed here in float64 —
// pre_j = n_j (W_enc[:, j]·(x̂ - b_pre) + b_enc_j), x̃ = Σ_j z_j W_dec_j / n_j + b_pre, with
// n_j = ||W_dec_j|| — and its decoder rows have unit norm.
func TestFreeDecoderFold(t *testing.T) {
	p := newPlanted(1, 32, 64)
	items := p.lines(2, 1024, 3)
	cfg := testConfig(t.TempDir())
	cfg.Latents, cfg.K, cfg.BatchSize, cfg.ShuffleBuffer, cfg.BPreSamples = 64, 4, 128, 1024, 256
	cfg.DecoderNorm, cfg.DecoderInitNorm, cfg.LR, cfg.WarmupSteps = DecoderNormFree, 0.2, 1e-2, 1
	tr, _, err := newTrainer(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	defer tr.exec.Finalize()
	defer tr.adam.finalize()
	for _, x := range batchesOf(t, cfg.BatchSize, 32, items) {
		require.NoError(t, tr.stepOn(x))
		tr.st.Step++
	}
	raw := map[string][]float32{}
	for _, v := range []string{varWEnc, varBEnc, varWDec, varBPre} {
		raw[v], err = tr.values(saePath(v))
		require.NoError(t, err)
	}
	s, err := tr.sae()
	require.NoError(t, err)
	d, l := 32, 64
	norms := make([]float64, l)
	moved := 0
	for j := range l {
		var ss, saved float64
		for i := range d {
			ss += float64(raw[varWDec][j*d+i]) * float64(raw[varWDec][j*d+i])
			saved += float64(s.WDec[j*d+i]) * float64(s.WDec[j*d+i])
		}
		norms[j] = math.Sqrt(ss + 1e-12)
		require.InDelta(t, 1, saved, 1e-5, "written decoder row %d has unit norm", j)
		if math.Abs(norms[j]-0.2) > 0.01 {
			moved++
		}
	}
	require.Greater(t, moved, l/2, "the rows' norms train (started at 0.2): %v", norms)
	for _, it := range items[:32] {
		xn := s.Normalize(it.Line)
		pre := make([]float64, l)
		for j := range l {
			acc := float64(raw[varBEnc][j])
			for i := range d {
				acc += float64(raw[varWEnc][i*l+j]) * (float64(xn[i]) - float64(raw[varBPre][i]))
			}
			pre[j] = norms[j] * acc
		}
		got := s.PreActivations(it.Line)
		for j := range l {
			require.InDelta(t, pre[j], got[j], 1e-5*(1+math.Abs(pre[j])), "pre-activation %d", j)
		}
		z := s.Encode(it.Line)
		want := make([]float64, d)
		for i := range d {
			want[i] = float64(raw[varBPre][i])
		}
		for j, zj := range z {
			if zj != 0 {
				require.Greater(t, pre[j], 0.0, "latent %d kept", j)
				for i := range d {
					want[i] += float64(zj) * float64(raw[varWDec][j*d+i]) / norms[j]
				}
			}
		}
		rec := s.Decode(z)
		for i := range d {
			require.InDelta(t, want[i], rec[i], 1e-4, "reconstruction %d", i)
		}
	}
}

// The step graph that takes the pre-activations from preGraph (shape.preIn) adds a free
// decoder's gain gradients by hand (preInGradients): it trains the SAE the recomputing graph
// trains, to rounding (the bits differ: u is preIn / n there).
func TestPreActivationsOnceFreeDecoder(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.pairs(9, 2048, 3)
	train := func(recompute bool) (*SAE, *Result) {
		recomputePre = recompute
		defer func() { recomputePre = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ColdStartEpochs = 128, 3, true, 2, 1
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef, cfg.ContrastWeight = 1024, 32, 1, 1
		cfg.DecoderNorm, cfg.GradClip = DecoderNormFree, 0.01
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		s, err := Load(cfg.OutDir)
		require.NoError(t, err)
		return s, res
	}
	once, resOnce := train(false)
	again, resAgain := train(true)
	require.Greater(t, resOnce.Steps, 10)
	require.Equal(t, resAgain.Steps, resOnce.Steps)
	for _, w := range []struct {
		name string
		a, b []float32
	}{{"W_enc", once.WEnc, again.WEnc}, {"b_enc", once.BEnc, again.BEnc}, {"W_dec", once.WDec, again.WDec}, {"b_dec", once.BDec, again.BDec}} {
		rel, _ := relDiff(w.a, w.b)
		require.Less(t, rel, 1e-3, "%s: relative difference", w.name)
	}
	xs := vectors(items[:512])
	require.InEpsilon(t, again.FVU(xs), once.FVU(xs), 1e-3)
}

// A free decoder recovers a planted sparse dictionary as the unit one does
// (TestPlantedDictionary); the bound is looser than there: seeds 1-4 gave held-out FVUs of
// 0.042-0.054 after the same 24 epochs (its rows start at norm 0.1).
func TestPlantedDictionaryFreeDecoder(t *testing.T) {
	p := newPlanted(1, 64, 128)
	items := p.lines(2, 16384, 4)
	cfg := testConfig(t.TempDir())
	cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ContrastWeight = 256, 4, false, 24, 0
	cfg.DeadAfterLines, cfg.DecoderNorm = 4096, DecoderNormFree
	res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
	require.NoError(t, err)
	s, err := Load(cfg.OutDir)
	require.NoError(t, err)
	fvu, m := s.FVU(vectors(p.lines(3, 2000, 4))), matched(s, p.atoms, 0.9)
	t.Logf("train FVU %.4f; held-out FVU %.4f, atoms matched %d/%d", res.FVU, fvu, m, len(p.atoms))
	require.Less(t, fvu, 0.065)
	require.GreaterOrEqual(t, m, 116)
}

// The same step's gradients from both graphs, to rounding: the encoder's and the decoder's
// (the host update's inputs) and the global gradient norm, which counts b_enc's and b_pre's.
// Adam's first steps hide a gradient's scale (each element moves by about lr), so the
// trajectories alone would not show a gain gradient off by a factor.
func TestPreInGradientsFreeDecoder(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.pairs(9, 512, 3)
	step := func(recompute bool) (stats []float32, grads [][]float32) {
		recomputePre = recompute
		defer func() { recomputePre = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = 128, 3, 1, 32, 1
		cfg.DecoderNorm, cfg.DecoderInitNorm, cfg.GradClip = DecoderNormFree, 0.3, 0
		tr, _, err := newTrainer(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		defer tr.exec.Finalize()
		defer tr.adam.finalize()
		require.Equal(t, !recompute, tr.s.preIn)
		require.NotNil(t, tr.adam, "the pure-Go backend updates the matrices on the host")
		first := batchesOf(t, cfg.BatchSize, 64, items)[0]
		onStepOutputs = func(s []float32, gs []*tensors.Tensor) error {
			stats = slices.Clone(s)
			for _, g := range gs {
				v, err := tensors.CopyFlatData[float32](g)
				if err != nil {
					return err
				}
				grads = append(grads, v)
			}
			return nil
		}
		defer func() { onStepOutputs = nil }()
		tr.deadNow = true // every latent is dead (dead_after_lines 1): the AuxK graph
		require.NoError(t, tr.stepOn(first))
		return stats, grads
	}
	sOnce, gOnce := step(false)
	sAgain, gAgain := step(true)
	require.Len(t, gOnce, 2)
	require.InEpsilon(t, sAgain[statGradNorm], sOnce[statGradNorm], 1e-4, "global gradient norm")
	require.InEpsilon(t, sAgain[statLoss], sOnce[statLoss], 1e-5, "loss")
	for i, name := range []string{"W_enc", "W_dec"} {
		rel, norm := relDiff(gOnce[i], gAgain[i])
		require.Greater(t, norm, 0.0, name)
		require.Less(t, rel, 1e-4, "%s gradient: relative difference", name)
	}
}

// relDiff is ||a - b|| / ||b|| (float64 sums), with ||b||.
func relDiff(a, b []float32) (rel, normB float64) {
	var diff, norm float64
	for i := range a {
		e := float64(a[i]) - float64(b[i])
		diff += e * e
		norm += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(diff / norm), math.Sqrt(norm)
}

package pretrain

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The SAE recovers a planted sparse dictionary: low FVU and most true atoms matched by a
// decoder row.
func TestPlantedDictionary(t *testing.T) {
	p := newPlanted(1, 64, 128)
	items := p.lines(2, 16384, 4)
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ContrastWeight = 256, 4, false, 24, 0
	cfg.DeadAfterLines = 4096
	start := time.Now()
	res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, testWriter{t})
	require.NoError(t, err)
	t.Logf("trained in %v: %+v", time.Since(start), res.Metrics[len(res.Metrics)-1])
	s, err := Load(cfg.OutDir)
	require.NoError(t, err)
	test := p.lines(3, 2000, 4)
	fvu := s.FVU(vectors(test))
	m := matched(s, p.atoms, 0.9)
	t.Logf("held-out FVU %.4f, atoms matched %d/%d", fvu, m, len(p.atoms))
	require.Less(t, fvu, 0.05)
	require.GreaterOrEqual(t, m, 116) // >= 90 % of 128
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// AuxK revives latents that a run without it leaves dead. The data lies in a 16-dimensional
// subspace of R^64 and holds more atoms (512) than the SAE has latents (128): latents pointing
// away from the subspace die early, and the atoms they could take are left in the residual,
// which AuxK teaches the dead latents to reconstruct until they win the TopK again.
func TestAuxKRevivesDeadLatents(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.lines(5, 8192, 3)
	run := func(auxK int) *Result {
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ContrastWeight = 128, 3, false, 10, 0
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = 2048, auxK, 1
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		return res
	}
	without, with := run(0), run(32)
	t.Logf("dead without AuxK %.1f%% (FVU %.4f), with AuxK %.1f%% (FVU %.4f, aux loss %.3f)",
		100*without.DeadFrac, without.FVU, 100*with.DeadFrac, with.FVU, with.AuxLoss)
	require.Greater(t, without.DeadFrac, 0.1)
	require.Less(t, with.DeadFrac, without.DeadFrac/2)
}

// The contrastive hinge raises the latent distance between original and mutated lines compared
// with the same run without it, at a small cost in reconstruction.
func TestContrastRaisesPairDistance(t *testing.T) {
	p := newPlanted(6, 64, 128)
	train, test := p.pairs(7, 6144, 4), p.pairs(8, 500, 4)
	run := func(weight float64) (*Result, *SAE) {
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.ContrastWeight = 128, 8, 5, 2, weight
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: train}, nil)
		require.NoError(t, err)
		s, err := Load(cfg.OutDir)
		require.NoError(t, err)
		return res, s
	}
	offRes, off := run(0)
	onRes, on := run(1)
	dOff, dOn := meanPairDistance(off, test), meanPairDistance(on, test)
	t.Logf("held-out pair distance: without contrast %.3f (FVU %.4f), with %.3f (FVU %.4f); margin met during training %.1f%%",
		dOff, off.FVU(vectors(test)), dOn, on.FVU(vectors(test)), 100*onRes.MarginSatisfied)
	require.Greater(t, dOn, dOff*1.1)
	require.False(t, offRes.Metrics[len(offRes.Metrics)-1].Contrast)
	require.True(t, onRes.Metrics[len(onRes.Metrics)-1].Contrast)
	require.False(t, onRes.Metrics[0].Contrast, "cold start")
	require.Greater(t, onRes.Metrics[0].Pairs, int64(0))
}

// While no latent is dead the step runs without its AuxK term (multiplied by 0 then): the same
// weights and metrics as a run that always computes it, both in a run where latents die (the
// step switches between the two graphs) and in one where none does.
func TestAuxKSkippedWhileNoneDead(t *testing.T) {
	p := newSubspacePlanted(4, 64, 16, 512)
	items := p.lines(5, 4096, 3)
	run := func(always bool, deadAfter int) ([]byte, *Result) {
		alwaysAuxK = always
		defer func() { alwaysAuxK = false }()
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.InputNorm, cfg.Epochs, cfg.ContrastWeight = 128, 3, false, 4, 0
		cfg.DeadAfterLines, cfg.AuxK, cfg.AuxKCoef = deadAfter, 32, 1
		res, err := TrainOn(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		return saeBytes(t, cfg.OutDir), res
	}
	for _, deadAfter := range []int{1024, 1 << 30} {
		skip, sRes := run(false, deadAfter)
		always, aRes := run(true, deadAfter)
		require.Equal(t, always, skip, "dead after %d lines", deadAfter)
		require.Equal(t, aRes.Metrics, sRes.Metrics)
		if deadAfter == 1024 {
			require.Greater(t, aRes.AuxLoss, 0.0, "latents die: the AuxK term runs")
		} else {
			require.Zero(t, aRes.AuxLoss)
		}
	}
}

// EncoderInitScale starts the encoder at that multiple of the decoder's transpose, the same
// decoder either way; 0 and 1 both leave the transpose as is.
func TestEncoderInitScale(t *testing.T) {
	items := newPlanted(1, 16, 8).lines(2, 64, 2)
	start := func(scale float64) (wEnc, wDec []float32) {
		cfg := testConfig(t.TempDir())
		cfg.Latents, cfg.K, cfg.BPreSamples, cfg.EncoderInitScale = 32, 4, 64, scale
		tr, _, err := newTrainer(context.Background(), cfg, &SliceSource{Items: items}, nil)
		require.NoError(t, err)
		defer tr.exec.Finalize()
		defer tr.adam.finalize()
		wEnc, err = tr.values(saePath(varWEnc))
		require.NoError(t, err)
		wDec, err = tr.values(saePath(varWDec))
		require.NoError(t, err)
		return wEnc, wDec
	}
	enc0, dec0 := start(0)
	enc1, dec1 := start(1)
	enc3, dec3 := start(0.3)
	require.Equal(t, dec0, dec1)
	require.Equal(t, dec0, dec3)
	require.Equal(t, enc0, enc1)
	d, l := 16, 32
	for i := range d {
		for j := range l {
			require.Equal(t, dec0[j*d+i], enc0[i*l+j], "W_enc[%d][%d] is W_dec[%d][%d]", i, j, j, i)
			require.Equal(t, float32(0.3)*dec0[j*d+i], enc3[i*l+j], "W_enc[%d][%d] is 0.3 W_dec[%d][%d]", i, j, j, i)
		}
	}
}

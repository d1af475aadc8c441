package pretrain

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/internal/matrix"
	"github.com/pttrust/pttrust/models/safetensors"
)

// The trainer's files: the exported SAE with its metrics and curves, and the checkpoint.

// values returns a store variable's data.
func (t *trainer) values(path string) ([]float32, error) {
	v := t.store.GetVariable(path)
	if v == nil {
		return nil, fmt.Errorf("pretrain: no variable %s", path)
	}
	val, err := v.Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](val)
}

// sae returns the current weights as an SAE.
func (t *trainer) sae() (*SAE, error) {
	d, l := t.s.dim, t.s.latents
	arch := ActivationTopK
	if t.s.batchTopK {
		arch = ActivationBatchTopK
	}
	s := &SAE{Config: SAEConfig{Architecture: arch, DIn: d, DSAE: l, K: t.s.k, Tied: t.s.tied,
		Normalization: t.normalization(), NormEps: normEps, HookName: t.info.Hook, HookLayer: t.info.Layer,
		ModelName: t.info.ModelID, Seed: t.cfg.Seed, DataManifestSHA256: t.info.DataHash,
		Lines: t.st.Lines, Steps: t.st.Step, Train: t.cfg, Code: buildinfo.Get()}}
	var err error
	if s.WDec, err = t.values(saePath(varWDec)); err != nil {
		return nil, err
	}
	if s.BEnc, err = t.values(saePath(varBEnc)); err != nil {
		return nil, err
	}
	if s.BDec, err = t.values(saePath(varBPre)); err != nil {
		return nil, err
	}
	if t.s.tied {
		s.WEnc = matrix.Transpose(s.WDec, l, d)
	} else if s.WEnc, err = t.values(saePath(varWEnc)); err != nil {
		return nil, err
	}
	if t.s.freeDec {
		foldDecoderNorms(s)
	}
	return s, nil
}

// foldDecoderNorms writes a free decoder's norms (the latents' gains) into the encoder: each
// latent's decoder row divided by its norm n (as decoderNorms: +1e-12 under the root), its
// encoder column and b_enc multiplied by n. The pre-activations n·(W_enc(x - b_pre) + b_enc) and
// the reconstruction are the trained ones, in the unit-row layout every SAE is written in.
func foldDecoderNorms(s *SAE) {
	d, l := s.Config.DIn, s.Config.DSAE
	for j := range l {
		row := s.WDec[j*d : (j+1)*d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		n := math.Sqrt(ss + 1e-12)
		for i := range row {
			row[i] = float32(float64(row[i]) / n)
		}
		for i := range d {
			s.WEnc[i*l+j] = float32(float64(s.WEnc[i*l+j]) * n)
		}
		s.BEnc[j] = float32(float64(s.BEnc[j]) * n)
	}
}

// export writes the SAE, metrics.csv and curves.png to OutDir.
func (t *trainer) export(ctx context.Context) error {
	s, err := t.sae()
	if err != nil {
		return err
	}
	if t.s.batchTopK {
		if s.Config.Threshold, err = t.calibrateThreshold(ctx, s); err != nil {
			return err
		}
	}
	dir := t.cfg.OutDir
	if err := s.save(dir); err != nil {
		return fmt.Errorf("pretrain: writing %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, MetricsFile), metricsCSV(t.rows)); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	png, err := curvesPNG(t.rows)
	if err != nil {
		return fmt.Errorf("pretrain: drawing %s: %w", CurvesFile, err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, CurvesFile), png)
}

// metricsHeader is the first line of MetricsFile.
const metricsHeader = "step,epoch,lines,lr,loss,fvu,l0,dead_pct,aux_loss,margin_satisfied_pct,pair_distance,hinge,pairs,contrast,grad_norm"

func metricsCSV(rows []MetricsRow) []byte {
	var b strings.Builder
	b.WriteString(metricsHeader + "\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	for _, r := range rows {
		fmt.Fprintf(&b, "%d,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%t,%s\n", r.Step, r.Epoch, r.Lines, f(r.LR), f(r.Loss), f(r.FVU),
			f(r.L0), f(r.DeadPct), f(r.AuxLoss), f(r.MarginSatisfiedPct), f(r.PairDistance), f(r.Hinge), r.Pairs, r.Contrast, f(r.GradNorm))
	}
	return []byte(b.String())
}

// checkpointMeta is the JSON metadata of CheckpointFile.
type checkpointMeta struct {
	State runState     `json:"state"`
	Acc   accum        `json:"acc"`
	Rows  []MetricsRow `json:"rows"`
}

// checkpoint writes every variable (weights, moments, counters) and the run state to
// WorkDir/CheckpointFile atomically.
func (t *trainer) checkpoint() error {
	if t.cfg.WorkDir == "" {
		return nil
	}
	if err := os.MkdirAll(t.cfg.WorkDir, 0o755); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	var ts []safetensors.Tensor
	for v := range t.store.IterVariables() {
		data, err := t.values(v.Path())
		if err != nil {
			return err
		}
		ts = append(ts, safetensors.F32Tensor(v.Path(), v.Shape().Dimensions, data))
	}
	meta, err := json.Marshal(checkpointMeta{State: t.st, Acc: t.acc, Rows: t.rows})
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(filepath.Join(t.cfg.WorkDir, CheckpointFile), ts, map[string]string{"pttrust_sae_train": string(meta)}); err != nil {
		return fmt.Errorf("pretrain: checkpoint: %w", err)
	}
	return nil
}

// restore loads WorkDir's checkpoint when there is one; it must come from the same settings.
func (t *trainer) restore() (bool, error) {
	if t.cfg.WorkDir == "" {
		return false, nil
	}
	path := filepath.Join(t.cfg.WorkDir, CheckpointFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return false, nil
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return false, fmt.Errorf("pretrain: resuming: %w", err)
	}
	defer f.Close()
	var meta checkpointMeta
	if err := json.Unmarshal([]byte(f.Metadata["pttrust_sae_train"]), &meta); err != nil {
		return false, fmt.Errorf("pretrain: resuming from %s: bad run-state metadata: %w", path, err)
	}
	if meta.State.Config != t.st.Config {
		return false, fmt.Errorf("pretrain: %s was written by a run with other settings or data; use a fresh work_dir (or delete it)\n  checkpoint: %s\n  this run:   %s", path, meta.State.Config, t.st.Config)
	}
	for v := range t.store.IterVariables() {
		data, shape, err := f.Float32(v.Path())
		if err != nil {
			return false, fmt.Errorf("pretrain: resuming: %w", err)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, shape...)); err != nil {
			return false, fmt.Errorf("pretrain: resuming %s: %w", v.Path(), err)
		}
	}
	t.st, t.acc, t.rows = meta.State, meta.Acc, meta.Rows
	return true, nil
}

package pretrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/models"
)

// MetricsRow is one eval interval: averages over the training batches of the interval (each
// measured before its update), and the dead fraction at its end.
type MetricsRow struct {
	Step  int   // steps done
	Epoch int   // 0-based epoch of the interval's last step
	Lines int64 // training lines seen so far
	LR    float64
	// Loss is the total loss; FVU the fraction of variance unexplained (normalised MSE) over the
	// interval's lines; L0 the mean number of active latents per line.
	Loss, FVU, L0 float64
	// DeadPct is the percentage of latents that have not fired for Config.DeadAfterLines lines.
	DeadPct float64
	// AuxLoss is the AuxK loss (normalised MSE of the residual's reconstruction by dead latents;
	// 0 while no latent is dead).
	AuxLoss float64
	// MarginSatisfiedPct is the percentage of (original, mutated) pairs whose normalised latent
	// distance reaches Config.Margin; PairDistance their mean distance; Hinge the mean hinge.
	MarginSatisfiedPct, PairDistance, Hinge float64
	// Pairs is the number of pairs in the interval; Contrast whether the contrastive term was on.
	Pairs    int64
	Contrast bool
	GradNorm float64 // mean global gradient norm before clipping
}

// Result is what a training run produced.
type Result struct {
	// Metrics of the last eval interval (see MetricsRow).
	FVU, L0, DeadFrac, AuxLoss, MarginSatisfied, PairDistance float64
	// Steps and Lines done in total (including earlier runs of a resumed training); Epochs done.
	Steps  int
	Lines  int64
	Epochs int
	// LinesPerSec is the training rate of this invocation (lines per second of wall time,
	// data streaming included).
	LinesPerSec float64
	// Dim and Latents are the SAE's input dimension and dictionary size.
	Dim, Latents int
	// Resumed says the run started from a checkpoint in WorkDir.
	Resumed bool
	// OutDir holds the artifacts (WeightsFile, ConfigFile, MetricsFile, CurvesFile).
	OutDir string
	// Metrics are every eval interval's row.
	Metrics []MetricsRow
}

// Train trains an SAE on the line states of cfg.StatesDir (see StatesSource) and writes it to
// cfg.OutDir. Progress lines go to progress (nil: silent). When ctx is cancelled a checkpoint is
// saved in cfg.WorkDir and ctx's error is returned; a rerun resumes.
func Train(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	if cfg.StatesDir == "" {
		return nil, errors.New("pretrain: states_dir must be set")
	}
	src, err := OpenStates(cfg.StatesDir, cfg.Hook, cfg.Split)
	if err != nil {
		return nil, err
	}
	return TrainOn(ctx, cfg, src, progress)
}

// TrainOn trains an SAE on the items of src (see Train).
func TrainOn(ctx context.Context, cfg Config, src Source, progress io.Writer) (*Result, error) {
	return trainOn(ctx, cfg, src, progress, nil)
}

// alwaysAuxK, set by tests, runs the step with the AuxK term even while no latent is dead.
var alwaysAuxK bool

// trainer holds one run's state.
type trainer struct {
	cfg     Config
	s       shape
	src     Source
	info    SourceInfo
	backend compute.Backend
	store   *model.Store
	exec    *model.Exec
	// execNoAux is the step without the AuxK term, run while no latent is dead: the term is then
	// multiplied by 0 (its gradients are exact zeros), so skipping its TopK and decoder matmul
	// leaves every weight the same. nil when AuxK is off.
	execNoAux *model.Exec
	// preExec computes what the host finds the TopK thresholds from (preGraph); nil unless
	// shape.hostKth.
	preExec *model.Exec
	// adam updates the weight matrices on the host (shape.hostAdam); nil otherwise.
	adam     *hostAdam
	deadNow  bool // some latent is dead before the next step (from the last step's counter)
	thr      []float32
	thrAux   []float32
	progress io.Writer
	// afterStep, when set (tests), runs after every step.
	afterStep func(step int)

	st   runState
	acc  accum
	rows []MetricsRow
}

// runState is the position of a run, saved in checkpoints.
type runState struct {
	Step         int    `json:"step"`
	Epoch        int    `json:"epoch"`          // current epoch (0-based)
	BatchInEpoch int    `json:"batch_in_epoch"` // batches of the current epoch done
	Lines        int64  `json:"lines"`
	Config       string `json:"config"` // configKey of the run
}

// accum sums the step statistics of the current eval interval.
type accum struct {
	Batches                                      int
	Loss, SSE, Var, L0Sum, Aux, GradNorm, Dead   float64
	Pairs, Satisfied, DistSum, HingeSum, RowsSum float64
	Contrast                                     bool
}

// newTrainer validates cfg, creates the variables (restored from WorkDir's checkpoint when there
// is one, with b_pre initialised from the data otherwise) and compiles nothing yet: the step
// graph is built on the first call.
func newTrainer(ctx context.Context, cfg Config, src Source, progress io.Writer) (*trainer, bool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, false, fmt.Errorf("pretrain: %w", err)
	}
	info := src.Info()
	if info.Dim <= 0 {
		return nil, false, errors.New("pretrain: the data has no vectors (input dimension 0)")
	}
	latents := cfg.latentsFor(info.Dim)
	if cfg.K > latents {
		return nil, false, fmt.Errorf("pretrain: k (%d) exceeds the number of latents (%d)", cfg.K, latents)
	}
	backend, err := models.NewBackend(cfg.Backend)
	if err != nil {
		return nil, false, fmt.Errorf("pretrain: %w", err)
	}
	t := &trainer{cfg: cfg, src: src, info: info, backend: backend, progress: progress,
		s: shape{dim: info.Dim, latents: latents, k: cfg.K, auxK: cfg.AuxK, tied: cfg.Tied, inputNorm: cfg.InputNorm,
			batchTopK: cfg.Activation == ActivationBatchTopK, hostKth: hostKthOn(backend), hostAdam: hostAdamOn(backend),
			freeDec: cfg.DecoderNorm == DecoderNormFree}}
	t.s.preIn = preInOn(t.s, backend)
	t.st.Config = t.configKey()
	if err := t.initVariables(); err != nil {
		return nil, false, err
	}
	resumed, err := t.restore()
	if err != nil {
		return nil, false, err
	}
	if !resumed {
		if err := t.initBPre(ctx); err != nil {
			return nil, false, err
		}
	}
	if t.s.hostAdam {
		if t.adam, err = newHostAdam(t); err != nil {
			return nil, false, err
		}
	}
	t.exec, err = model.NewExec(backend, t.store, func(scope *model.Scope, in []*Node) []*Node {
		return stepGraph(t.s, cfg, scope, in)
	})
	if err != nil {
		return nil, false, fmt.Errorf("pretrain: %w", err)
	}
	if t.s.hostKth {
		t.preExec, err = model.NewExec(backend, t.store, func(scope *model.Scope, x *Node) (*Node, *Node) {
			return preGraph(t.s, cfg, scope, x)
		})
		if err != nil {
			return nil, false, fmt.Errorf("pretrain: %w", err)
		}
		t.thr, t.thrAux = make([]float32, cfg.BatchSize), make([]float32, cfg.BatchSize)
	}
	if t.s.auxK > 0 && cfg.AuxKCoef > 0 && !alwaysAuxK {
		noAux := t.s
		noAux.auxK = 0
		t.execNoAux, err = model.NewExec(backend, t.store, func(scope *model.Scope, in []*Node) []*Node {
			return stepGraph(noAux, cfg, scope, in)
		})
		if err != nil {
			return nil, false, fmt.Errorf("pretrain: %w", err)
		}
		since, err := t.values(statsPath(varSince))
		if err != nil {
			return nil, false, err
		}
		t.deadNow = slices.ContainsFunc(since, func(v float32) bool { return v >= float32(cfg.DeadAfterLines) })
	}
	return t, resumed, nil
}

func trainOn(ctx context.Context, cfg Config, src Source, progress io.Writer, afterStep func(int)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	// Fail now, not after the training, when the artifacts or checkpoints cannot be written.
	for _, d := range []struct{ key, dir string }{{"out_dir", cfg.OutDir}, {"work_dir", cfg.WorkDir}} {
		if d.dir == "" {
			continue
		}
		if err := atomicfile.CheckWritable(d.dir); err != nil {
			return nil, fmt.Errorf("pretrain: %s %s cannot be written: %w", d.key, d.dir, err)
		}
	}
	t, resumed, err := newTrainer(ctx, cfg, withCache(src, cfg.memoryCache()), progress)
	if err != nil {
		return nil, err
	}
	defer t.exec.Finalize()
	if t.execNoAux != nil {
		defer t.execNoAux.Finalize()
	}
	if t.preExec != nil {
		defer t.preExec.Finalize()
	}
	defer t.adam.finalize()
	t.afterStep = afterStep
	backend := t.backend
	if progress != nil {
		verb := "training"
		if resumed {
			verb = fmt.Sprintf("resuming at step %d (epoch %d)", t.st.Step, t.st.Epoch+1)
		}
		fmt.Fprintf(progress, "pretrain: %s a TopK SAE: %d -> %d latents, k %d, %d epochs, batch %d, backend %s\n",
			verb, t.s.dim, t.s.latents, t.s.k, cfg.Epochs, cfg.BatchSize, backend.Name())
	}
	start, linesAtStart := time.Now(), t.st.Lines
	runErr := t.run(ctx)
	elapsed := time.Since(start).Seconds()
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded) {
			if err := t.checkpoint(); err != nil {
				return nil, errors.Join(runErr, err)
			}
		}
		return nil, runErr
	}
	if err := t.checkpoint(); err != nil {
		return nil, err
	}
	res := &Result{Steps: t.st.Step, Lines: t.st.Lines, Epochs: t.st.Epoch, Dim: t.s.dim, Latents: t.s.latents,
		Resumed: resumed, OutDir: cfg.OutDir, Metrics: t.rows}
	if elapsed > 0 {
		res.LinesPerSec = float64(t.st.Lines-linesAtStart) / elapsed
	}
	if n := len(t.rows); n > 0 {
		r := t.rows[n-1]
		res.FVU, res.L0, res.DeadFrac, res.AuxLoss = r.FVU, r.L0, r.DeadPct/100, r.AuxLoss
		res.MarginSatisfied, res.PairDistance = r.MarginSatisfiedPct/100, r.PairDistance
	}
	if err := t.export(ctx); err != nil {
		return nil, err
	}
	if progress != nil {
		fmt.Fprintf(progress, "pretrain: wrote %s: FVU %.4f, L0 %.1f, dead %.1f%%, %d steps, %d lines (%.0f lines/s)\n",
			cfg.OutDir, res.FVU, res.L0, 100*res.DeadFrac, res.Steps, res.Lines, res.LinesPerSec)
	}
	return res, nil
}

// configKey is the configuration that decides the trajectory (fields that may change on resume,
// such as paths and the epoch count, are blanked), plus the data's identity.
func (t *trainer) configKey() string {
	c := t.cfg
	c.StatesDir, c.OutDir, c.WorkDir, c.Backend, c.Epochs, c.CheckpointEvery, c.EvalEvery = "", "", "", "", 0, 0, 0
	data, _ := json.Marshal(struct {
		Config Config
		Data   SourceInfo
	}{c, t.info})
	return string(data)
}

// run trains from the current state to the last epoch.
func (t *trainer) run(ctx context.Context) error {
	cfg := t.cfg
	for t.st.Epoch < cfg.Epochs {
		skip := t.st.BatchInEpoch
		done := 0
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(t.st.Epoch)+1))
		b := &batcher{size: cfg.BatchSize, dim: t.s.dim, emit: func(bt *batch) error {
			if done < skip { // replaying the batches a previous run already trained on
				done++
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := t.stepOn(bt); err != nil {
				return err
			}
			// The position is recorded before anything is saved: a checkpoint written at
			// this step must say that this batch is done, or a resumed run trains it twice.
			done++
			t.st.BatchInEpoch = done
			return t.afterUpdate()
		}}
		err := shuffled(ctx, t.src, cfg.ShuffleBuffer, rng, b.add)
		if err == nil {
			err = b.flush(true)
		}
		if err != nil {
			return err
		}
		t.st.Epoch++
		t.st.BatchInEpoch = 0
	}
	if t.acc.Batches > 0 {
		t.record()
	}
	return nil
}

// onStepOutputs, set by tests, sees each step's statistics and host gradients (shape.hostAdam)
// before the update.
var onStepOutputs func(stats []float32, grads []*tensors.Tensor) error

// stepOn runs one optimizer step on a batch and adds its statistics to the eval interval; the
// caller then records the batch's place in the epoch and calls afterUpdate.
func (t *trainer) stepOn(bt *batch) error {
	cfg := t.cfg
	B, d := cfg.BatchSize, t.s.dim
	rowW := make([]float32, B)
	for i := range bt.rows {
		rowW[i] = 1
	}
	cw := 0.0
	contrast := t.st.Epoch >= cfg.ColdStartEpochs && cfg.ContrastWeight > 0
	if contrast {
		cw = cfg.ContrastWeight
	}
	lr := cfg.LRAt(t.st.Step)
	exec := t.exec
	withAux := t.s.auxK > 0 && cfg.AuxKCoef > 0
	if t.execNoAux != nil && !t.deadNow {
		exec, withAux = t.execNoAux, false
	}
	args := []any{
		tensors.FromFlatDataAndDimensions(bt.x, B, d),
		tensors.FromFlatDataAndDimensions(rowW, B),
		tensors.FromFlatDataAndDimensions(bt.pa, B),
		tensors.FromFlatDataAndDimensions(bt.pb, B),
		tensors.FromFlatDataAndDimensions(bt.pw, B),
		float32(lr), float32(t.st.Step + 1), float32(cw)}
	if t.s.hostKth {
		pre, err := t.thresholds(args[0].(*tensors.Tensor), rowW, withAux)
		if err != nil {
			return fmt.Errorf("pretrain: step %d: %w", t.st.Step+1, err)
		}
		defer pre.FinalizeAll()
		args = append(args, tensors.FromFlatDataAndDimensions(t.thr, B, 1), tensors.FromFlatDataAndDimensions(t.thrAux, B, 1))
		if t.s.preIn {
			args = append(args, pre)
		}
	}
	outs, err := exec.Call(args...)
	if err != nil {
		return fmt.Errorf("pretrain: step %d: %w", t.st.Step+1, err)
	}
	stats, err := tensors.CopyFlatData[float32](outs[0])
	if err == nil && onStepOutputs != nil {
		err = onStepOutputs(stats, outs[1:])
	}
	if err == nil && t.adam != nil {
		err = t.adam.step(outs[1:], stats[statScale], stats[statCorr1], stats[statCorr2], float32(lr))
	}
	for _, o := range outs {
		o.FinalizeAll()
	}
	if err != nil {
		return fmt.Errorf("pretrain: step %d: %w", t.st.Step+1, err)
	}
	t.st.Step++
	t.st.Lines += int64(bt.rows)
	if l := float64(stats[statLoss]); math.IsNaN(l) || math.IsInf(l, 0) {
		return fmt.Errorf("pretrain: step %d: loss is %g (diverged); lower lr or raise warmup_steps", t.st.Step, l)
	}
	a := &t.acc
	a.Batches++
	a.Loss += float64(stats[statLoss])
	a.SSE += float64(stats[statSSE])
	a.Var += float64(stats[statVar])
	a.L0Sum += float64(stats[statL0Sum])
	a.RowsSum += float64(bt.rows)
	a.Aux += float64(stats[statAux])
	a.GradNorm += float64(stats[statGradNorm])
	a.Dead = float64(stats[statDead])
	t.deadNow = stats[statDead] > 0 // the latents dead after this step: dead before the next
	a.Pairs += float64(stats[statPairs])
	a.Satisfied += float64(stats[statSatisfied])
	a.DistSum += float64(stats[statDistSum])
	a.HingeSum += float64(stats[statHinge])
	a.Contrast = contrast
	return nil
}

// afterUpdate closes a step once the run state says where it ends (step, lines, batch of the
// epoch): the eval interval, the periodic checkpoint, the test hook.
func (t *trainer) afterUpdate() error {
	cfg := t.cfg
	if t.st.Step%cfg.EvalEvery == 0 {
		t.record()
	}
	if cfg.CheckpointEvery > 0 && t.st.Step%cfg.CheckpointEvery == 0 {
		if err := t.checkpoint(); err != nil {
			return err
		}
	}
	if t.afterStep != nil {
		t.afterStep(t.st.Step)
	}
	return nil
}

// record closes the eval interval: a metrics row and a progress line.
func (t *trainer) record() {
	a := t.acc
	n := float64(a.Batches)
	row := MetricsRow{Step: t.st.Step, Epoch: min(t.st.Epoch, t.cfg.Epochs-1), Lines: t.st.Lines, LR: t.cfg.LRAt(t.st.Step - 1),
		Loss: a.Loss / n, FVU: a.SSE / math.Max(a.Var, 1e-30), L0: a.L0Sum / math.Max(a.RowsSum, 1),
		DeadPct: 100 * a.Dead / float64(t.s.latents), AuxLoss: a.Aux / n, GradNorm: a.GradNorm / n,
		Pairs: int64(a.Pairs), Contrast: a.Contrast}
	if a.Pairs > 0 {
		row.MarginSatisfiedPct = 100 * a.Satisfied / a.Pairs
		row.PairDistance = a.DistSum / a.Pairs
		row.Hinge = a.HingeSum / a.Pairs
	}
	t.rows = append(t.rows, row)
	t.acc = accum{}
	if t.progress != nil {
		c := ""
		if row.Contrast {
			c = " (contrast on)"
		}
		fmt.Fprintf(t.progress, "step %6d  epoch %d/%d  loss %.4f  FVU %.4f  L0 %.1f  dead %5.1f%%  aux %.4f  pairs %d: margin met %5.1f%%, dist %.3f%s\n",
			row.Step, row.Epoch+1, t.cfg.Epochs, row.Loss, row.FVU, row.L0, row.DeadPct, row.AuxLoss, row.Pairs, row.MarginSatisfiedPct, row.PairDistance, c)
	}
}

package train

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/safetensors"
)

// Artifact names inside a training directory.
const (
	StateFile = "train_state.safetensors" // weights + AdamW moments at the last checkpoint
	LogFile   = "train_log.csv"           // one row per logged step, up to the last checkpoint
	EvalFile  = "eval_log.csv"            // validation loss per language
)

// Trainer runs AdamW steps on a model over a packed stream.
type Trainer struct {
	Model  *models.Model
	Config Config
	// Dir holds checkpoints and logs; empty disables checkpoints.
	Dir string
	// Progress receives human-readable progress lines (nil: silent).
	Progress io.Writer

	train  *Stream
	val    map[string]*Stream
	order  *Order
	params []models.Param
	step   int // next step to run (== steps done)
	exec   *model.Exec
	eval   *model.Exec
	log    []LogRow
	evals  []EvalRow
}

// LogRow is one logged training step.
type LogRow struct {
	Step     int     // 1-based number of steps done
	Loss     float64 // mean loss of the logged step's batch, before its update
	GradNorm float64
	LR       float64
	Tokens   int64 // tokens seen so far
}

// EvalRow is the validation loss of one language at a step.
type EvalRow struct {
	Step     int
	Language string
	Loss     float64
}

// New prepares a trainer; when Dir holds a checkpoint the run resumes from it.
func New(m *models.Model, cfg Config, dir string, train *Stream, val map[string]*Stream) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SeqLen > m.Config.MaxPositions {
		return nil, fmt.Errorf("train.seq_len %d exceeds the model's context %d", cfg.SeqLen, m.Config.MaxPositions)
	}
	order, err := NewOrder(cfg.Seed, train.NumWindows(cfg.SeqLen), cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Config: cfg, Dir: dir, train: train, val: val, order: order, params: m.Config.Params()}
	for _, p := range t.params {
		for _, kind := range []string{"m", "v"} {
			v, err := m.Store.CreateVariable(momentPath(kind, p), tensors.FromShape(shapes.Make(dtypes.Float32, p.Shape...)))
			if err != nil {
				return nil, err
			}
			v.SetTrainable(false)
		}
	}
	if dir != "" {
		if err := t.restore(); err != nil {
			return nil, err
		}
	}
	mcfg := m.Config
	t.exec, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, windows, lr, step *Node) []*Node {
		loss, norm := stepGraph(mcfg, cfg, t.params, scope, windows, lr, step)
		return []*Node{loss, norm}
	})
	if err != nil {
		return nil, err
	}
	t.eval, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, windows *Node) *Node {
		scope.SetTraining(windows.Graph(), true) // read the current weights, never stale constants
		return lossGraph(mcfg, scope, windows)
	})
	return t, err
}

// Step is the number of steps done.
func (t *Trainer) Step() int { return t.step }

// Log returns the logged training rows.
func (t *Trainer) Log() []LogRow { return t.log }

// Evals returns the validation rows.
func (t *Trainer) Evals() []EvalRow { return t.evals }

func (t *Trainer) batch(step int) *tensors.Tensor {
	seq := t.Config.SeqLen
	flat := make([]int32, 0, t.Config.BatchSize*(seq+1))
	for _, w := range t.order.Batch(step) {
		flat = append(flat, t.train.Window(w, seq)...)
	}
	return tensors.FromFlatDataAndDimensions(flat, t.Config.BatchSize, seq+1)
}

// Run trains until Config.Steps or until ctx is cancelled; in both cases it saves a checkpoint
// (when Dir is set) before returning. A cancelled run returns ctx.Err().
func (t *Trainer) Run(ctx context.Context) error {
	start, startStep := time.Now(), t.step
	tokensPerStep := int64(t.Config.BatchSize * t.Config.SeqLen)
	for t.step < t.Config.Steps {
		if err := ctx.Err(); err != nil {
			if serr := t.checkpoint(); serr != nil {
				return serr
			}
			return err
		}
		lr := t.Config.LRAt(t.step)
		outs, err := t.exec.Call(t.batch(t.step), float32(lr), float32(t.step+1))
		if err != nil {
			return fmt.Errorf("train: step %d: %w", t.step+1, err)
		}
		loss, norm := tensors.ToScalar[float32](outs[0]), tensors.ToScalar[float32](outs[1])
		t.step++
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return fmt.Errorf("train: step %d: loss is %g (diverged); lower train.lr or raise train.warmup_steps", t.step, loss)
		}
		if t.step%t.Config.LogEvery == 0 || t.step == t.Config.Steps {
			t.log = append(t.log, LogRow{Step: t.step, Loss: float64(loss), GradNorm: float64(norm), LR: lr, Tokens: int64(t.step) * tokensPerStep})
			if t.Progress != nil {
				el := time.Since(start).Seconds()
				rate := float64(int64(t.step-startStep)*tokensPerStep) / el
				eta := time.Duration(float64(t.Config.Steps-t.step) * el / float64(t.step-startStep) * float64(time.Second))
				fmt.Fprintf(t.Progress, "step %6d/%d  loss %.4f  |g| %.3f  lr %.2e  %7.0f tok/s  eta %s\n",
					t.step, t.Config.Steps, loss, norm, lr, rate, eta.Round(time.Second))
			}
		}
		if t.Config.EvalEvery > 0 && t.step%t.Config.EvalEvery == 0 && t.step != t.Config.Steps {
			if err := t.Evaluate(); err != nil {
				return err
			}
		}
		if t.Config.CheckpointEvery > 0 && t.step%t.Config.CheckpointEvery == 0 {
			if err := t.checkpoint(); err != nil {
				return err
			}
		}
	}
	if err := t.Evaluate(); err != nil {
		return err
	}
	return t.checkpoint()
}

// Evaluate computes the mean loss over the first EvalSequences windows of each validation stream.
// It runs once per step: when the validation rows of the current step are already recorded (a
// rerun of a finished run, or an export of a checkpoint that was evaluated) it adds nothing, so
// the log holds each step once.
func (t *Trainer) Evaluate() error {
	if n := len(t.evals); n > 0 && t.evals[n-1].Step == t.step {
		return nil
	}
	langs := make([]string, 0, len(t.val))
	for l := range t.val {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		loss, err := t.StreamLoss(t.val[lang], t.Config.EvalSequences)
		if err != nil {
			return err
		}
		t.evals = append(t.evals, EvalRow{Step: t.step, Language: lang, Loss: loss})
		if t.Progress != nil {
			fmt.Fprintf(t.Progress, "eval  step %d  %-11s loss %.4f (%.3f bits/token)\n", t.step, lang, loss, loss/math.Ln2)
		}
	}
	return nil
}

// StreamLoss is the mean next-token loss (nats) over the first n windows of s, in batches.
func (t *Trainer) StreamLoss(s *Stream, n int) (float64, error) {
	seq := t.Config.SeqLen
	n = min(n, s.NumWindows(seq))
	if n == 0 {
		return math.NaN(), nil
	}
	total := 0.0
	for i := 0; i < n; i += t.Config.BatchSize {
		k := min(t.Config.BatchSize, n-i)
		flat := make([]int32, 0, k*(seq+1))
		for j := range k {
			flat = append(flat, s.Window(i+j, seq)...)
		}
		out, err := t.eval.Call(tensors.FromFlatDataAndDimensions(flat, k, seq+1))
		if err != nil {
			return 0, fmt.Errorf("train: validation: %w", err)
		}
		total += float64(tensors.ToScalar[float32](out[0])) * float64(k)
	}
	return total / float64(n), nil
}

// trainState is the JSON metadata of a checkpoint.
type trainState struct {
	Step   int    `json:"step"`
	Seed   uint64 `json:"seed"`
	Config string `json:"config"`
}

func (t *Trainer) configKey() string {
	c := t.Config
	c.Steps, c.CheckpointEvery, c.EvalEvery, c.LogEvery = 0, 0, 0, 0 // may change on resume
	data, _ := json.Marshal(c)
	return string(data)
}

// checkpoint writes weights, moments and logs atomically; the state file is renamed last, so a
// crash between files leaves the previous checkpoint's state file consistent with at least as
// many log rows as it needs (rows past its step are dropped on resume).
func (t *Trainer) checkpoint() error {
	if t.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(t.Dir, LogFile), t.logCSV()); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(t.Dir, EvalFile), t.evalCSV()); err != nil {
		return err
	}
	var ts []safetensors.Tensor
	for v := range t.Model.Store.IterVariables() {
		if models.IsIOCopy(v.Path()) {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return err
		}
		data, err := tensors.CopyFlatData[float32](val)
		if err != nil {
			return err
		}
		ts = append(ts, safetensors.F32Tensor(v.Path(), v.Shape().Dimensions, data))
	}
	st, _ := json.Marshal(trainState{Step: t.step, Seed: t.Config.Seed, Config: t.configKey()})
	return safetensors.WriteFile(filepath.Join(t.Dir, StateFile), ts, map[string]string{"pttrust_train_state": string(st)})
}

// restore loads the last checkpoint of Dir, if any.
func (t *Trainer) restore() error {
	path := filepath.Join(t.Dir, StateFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("train: resuming: %w", err)
	}
	defer f.Close()
	var st trainState
	if err := json.Unmarshal([]byte(f.Metadata["pttrust_train_state"]), &st); err != nil {
		return fmt.Errorf("train: resuming from %s: bad state metadata: %w", path, err)
	}
	if st.Config != t.configKey() {
		return fmt.Errorf("train: %s was written by a run with another configuration (%s); use a fresh directory", path, st.Config)
	}
	for v := range t.Model.Store.IterVariables() {
		if models.IsIOCopy(v.Path()) {
			continue
		}
		data, shape, err := f.Float32(v.Path())
		if err != nil {
			return fmt.Errorf("train: resuming: %w", err)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, shape...)); err != nil {
			return fmt.Errorf("train: resuming %s: %w", v.Path(), err)
		}
	}
	t.step = st.Step
	if t.log, err = readLog(filepath.Join(t.Dir, LogFile), st.Step); err != nil {
		return err
	}
	t.evals, err = readEvals(filepath.Join(t.Dir, EvalFile), st.Step)
	return err
}

func (t *Trainer) logCSV() []byte {
	var b strings.Builder
	b.WriteString("step,loss,grad_norm,lr,tokens\n")
	for _, r := range t.log {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%d\n", r.Step, fmtF(r.Loss), fmtF(r.GradNorm), fmtF(r.LR), r.Tokens)
	}
	return []byte(b.String())
}

func (t *Trainer) evalCSV() []byte {
	var b strings.Builder
	b.WriteString("step,language,loss\n")
	for _, r := range t.evals {
		fmt.Fprintf(&b, "%d,%s,%s\n", r.Step, r.Language, fmtF(r.Loss))
	}
	return []byte(b.String())
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func readLog(path string, upTo int) ([]LogRow, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []LogRow
	for _, r := range rows {
		if len(r) != 5 {
			return nil, fmt.Errorf("train: %s: bad row %q", path, r)
		}
		step, _ := strconv.Atoi(r[0])
		if step > upTo {
			continue
		}
		loss, _ := strconv.ParseFloat(r[1], 64)
		norm, _ := strconv.ParseFloat(r[2], 64)
		lr, _ := strconv.ParseFloat(r[3], 64)
		tok, _ := strconv.ParseInt(r[4], 10, 64)
		out = append(out, LogRow{Step: step, Loss: loss, GradNorm: norm, LR: lr, Tokens: tok})
	}
	return out, nil
}

func readEvals(path string, upTo int) ([]EvalRow, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []EvalRow
	for _, r := range rows {
		if len(r) != 3 {
			return nil, fmt.Errorf("train: %s: bad row %q", path, r)
		}
		step, _ := strconv.Atoi(r[0])
		if step > upTo {
			continue
		}
		loss, _ := strconv.ParseFloat(r[2], 64)
		out = append(out, EvalRow{Step: step, Language: r[1], Loss: loss})
	}
	return out, nil
}

func readCSV(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var out [][]string
	for _, l := range lines[1:] {
		out = append(out, strings.Split(l, ","))
	}
	return out, nil
}

func writeAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

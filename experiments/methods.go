package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	status "github.com/pttrust/pttrust/internal/progress"
)

// Method names in the tables.
const (
	MethodPtTrust = "PtTrust"
	// MethodPtTrustLatents is the paper's binding (SAE latents alone), shown beside PtTrust
	// when Config.Features appends more.
	MethodPtTrustLatents = "PtTrust (latents only, as the paper)"
)

// ptKind names PtTrust's binding input in cache keys and bundles: "sae[+stats][+context]:hook".
func (r *runner) ptKind() string { return "sae" + r.cfg.Features.String() + ":" + r.hook }

// methodLabel is the table name of a baseline.
var methodLabel = map[string]string{
	"random":       "random",
	"logprob_mean": "log-prob (mean)",
	"logprob_min":  "log-prob (min)",
	"entropy":      "entropy (mean)",
	"lookback":     "lookback ratio",
	"probe_raw":    "probe (raw states)",
	"probe_pca":    "probe (PCA states)",
}

// features are the per-row inputs of the learned methods, indexed like lineSet.rows.
type features struct {
	sae, raw, pca [][]float32
	// pt and rawPlus are PtTrust's and the probe's inputs with Config.Features appended to the
	// latents and the raw states (the same as sae and raw when nothing is appended).
	pt, rawPlus [][]float32
}

// rowScores is a method's score of every row of a line set (higher = riskier).
type rowScores []float64

// evaluation is a method's result on one test selection.
type evaluation struct {
	point     eval.Metrics
	ci        map[string]eval.Interval
	threshold float64
}

// method is one row of the main and transfer tables: it scores the rows of any labeled set.
type method struct {
	name string
	// random marks the random baseline (RandomRepeats rankings averaged).
	random bool
	// score returns the method's score of every row of a set.
	score func(set *labeledSet) rowScores
	// threshold is a fixed flagging threshold (an assessor's own); NaN: chosen by the Youden
	// index on the validation split of [data], like every trained method.
	threshold float64
	scores    map[*labeledSet]rowScores
}

// on returns (and keeps) the method's scores of a set.
func (m *method) on(set *labeledSet) rowScores {
	if s, ok := m.scores[set]; ok {
		return s
	}
	if m.scores == nil {
		m.scores = map[*labeledSet]rowScores{}
	}
	s := m.score(set)
	m.scores[set] = s
	return s
}

// fitBinding trains a binding MLP on the train selection of [data] with validation on val, on
// the given per-row features. The assessor is cached in the work folder (skipped when done).
func (r *runner) fitBinding(ctx context.Context, name string, feat [][]float32, train, val selection, featKind string) (*finetune.Assessor, error) {
	start := time.Now()
	ls := r.main.ls
	key := hashOf(r.saeKey, r.main.statesKey, r.cfg.Binding, featKind, ls.snippetIDs(train), ls.snippetIDs(val))
	dir := r.stageDir("binding", key)
	lock, err := r.lockStage(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if isDone(dir) {
		return finetune.Load(dir)
	}
	bc := r.cfg.Binding
	bc.Seed = r.cfg.Seed
	bc.Backend = r.cfg.Model.Backend
	byRow := func(i int) []float32 { return feat[i] }
	a, err := finetune.Train(ctx, bc, ls.lists(train, byRow), ls.lists(val, byRow), &epochStatus{r.status, name})
	if err != nil {
		return nil, fmt.Errorf("binding %s: %w", name, err)
	}
	r.status.Print("binding %s: %d epochs (best %d) in %v", name, a.EpochsRun, a.BestEpoch, time.Since(start).Round(time.Millisecond))
	a.Features = featKind
	if err := a.Save(dir); err != nil {
		return nil, err
	}
	if err := markDone(dir, start, map[string]any{"name": name, "made_by": r.cfg.Name, "train_snippets": len(train), "val_snippets": len(val)}); err != nil {
		return nil, err
	}
	return a, nil
}

// epochStatus shows a binding's epoch lines on the run's status line.
type epochStatus struct {
	line *status.Line
	name string
}

func (e *epochStatus) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		e.line.Set(false, "binding %s: %s", e.name, strings.TrimSpace(l))
	}
	return len(p), nil
}

// evaluateOn computes a method's metrics on a test selection of set, with the flagging
// threshold chosen by the Youden index on val of [data] (the same rule for every method) unless
// the method has its own.
func (r *runner) evaluateOn(m *method, val selection, set *labeledSet, test selection) evaluation {
	if m.random {
		return r.random(val, set, test)
	}
	thr := m.threshold
	if math.IsNaN(thr) {
		vs := m.on(r.main)
		thr = r.threshold(r.main.ls.scores(val, nil, func(i int) float64 { return vs[i] }))
	}
	ts := m.on(set)
	point, ci := eval.Bootstrap(set.ls.scores(test, nil, func(i int) float64 { return ts[i] }), thr, r.cfg.Eval.Bootstrap, r.cfg.Seed)
	return evaluation{point: point, ci: ci, threshold: thr}
}

// evaluate computes the metrics of row scores of [data] on its test selection, with the
// threshold chosen on val.
func (r *runner) evaluate(s rowScores, val, test selection) evaluation {
	m := &method{threshold: math.NaN(), scores: map[*labeledSet]rowScores{r.main: s}}
	return r.evaluateOn(m, val, r.main, test)
}

// threshold is the Youden threshold of validation scores; NaN (F1 then reported as NaN... see
// eval.Compute) when the validation lines have no positive or no negative.
func (r *runner) threshold(val []eval.SnippetScores) float64 {
	var scores []float64
	var labels []int
	for _, s := range val {
		for i, v := range s.Scores {
			if math.IsNaN(v) {
				v = math.Inf(-1)
			}
			scores = append(scores, v)
			labels = append(labels, s.Labels[i])
		}
	}
	thr, _, _, err := eval.Youden(scores, labels)
	if err != nil {
		return math.NaN()
	}
	return thr
}

// heuristic returns a baseline that needs no training. The direction of the lookback ratio is
// not settled (less attention on earlier context may mark a line the model makes up, or the
// opposite in code): it is chosen on the validation split of [data] by AUROC, recorded in the
// notes, and kept for every set.
func (r *runner) heuristic(name string, val selection) *method {
	raw := func(set *labeledSet) rowScores {
		rows := set.ls.rows
		s := make(rowScores, len(rows))
		for i, row := range rows {
			switch name {
			case "logprob_mean": // low log-probability = risky
				s[i] = -float64(row.MeanLogProb)
			case "logprob_min":
				s[i] = -float64(row.MinLogProb)
			case "entropy": // high entropy = risky
				s[i] = float64(row.MeanEntropy)
			case "lookback":
				s[i] = float64(row.LookbackRatio)
			}
		}
		return s
	}
	sign := 1.0
	if name == "lookback" {
		s := raw(r.main)
		m := eval.Compute(r.main.ls.scores(val, nil, func(i int) float64 { return s[i] }), math.NaN())
		if m.AUROC < 0.5 {
			sign = -1
			r.note("lookback ratio: low ratio = risky (chosen on validation, AUROC %.3f vs %.3f)", 1-m.AUROC, m.AUROC)
		} else {
			r.note("lookback ratio: high ratio = risky (chosen on validation, AUROC %.3f)", m.AUROC)
		}
	}
	return &method{name: methodLabel[name], threshold: math.NaN(), score: func(set *labeledSet) rowScores {
		s := raw(set)
		for i := range s {
			s[i] *= sign
		}
		return s
	}}
}

// random evaluates RandomRepeats random rankings of a set's test selection (thresholds from
// random scores of [data]'s validation lines) and averages their metrics and interval ends.
func (r *runner) random(val selection, set *labeledSet, test selection) evaluation {
	var acc map[string]float64
	var lo, hi map[string]float64
	n := r.cfg.Eval.RandomRepeats
	var last eval.Metrics
	for rep := range n {
		rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(rep)+1))
		draw := func(set *labeledSet) rowScores {
			s := make(rowScores, len(set.ls.rows))
			for i := range s {
				s[i] = rng.Float64()
			}
			return s
		}
		m := &method{threshold: math.NaN(), scores: map[*labeledSet]rowScores{r.main: draw(r.main)}}
		if set != r.main {
			m.scores[set] = draw(set)
		}
		e := r.evaluateOn(m, val, set, test)
		last = e.point
		if acc == nil {
			acc, lo, hi = map[string]float64{}, map[string]float64{}, map[string]float64{}
		}
		for _, name := range eval.MetricNames() {
			acc[name] += e.point.Value(name) / float64(n)
			lo[name] += e.ci[name].Lo / float64(n)
			hi[name] += e.ci[name].Hi / float64(n)
		}
	}
	out := evaluation{point: averaged(last, acc), ci: map[string]eval.Interval{}, threshold: math.NaN()}
	for name := range acc {
		out.ci[name] = eval.Interval{Lo: lo[name], Hi: hi[name]}
	}
	return out
}

// averaged returns m with every named metric replaced by avg's value.
func averaged(m eval.Metrics, avg map[string]float64) eval.Metrics {
	out := m
	out.HitRate, out.AnyHit, out.Precision = map[int]float64{}, map[int]float64{}, map[int]float64{}
	for _, k := range eval.Ks {
		out.HitRate[k] = avg[fmt.Sprintf("hit@%d", k)]
		out.AnyHit[k] = avg[fmt.Sprintf("anyhit@%d", k)]
		out.Precision[k] = avg[fmt.Sprintf("prec@%d", k)]
	}
	out.AUROC, out.AUPRC, out.F1 = avg["auroc"], avg["auprc"], avg["f1"]
	return out
}

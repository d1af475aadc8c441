package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
)

// Method names in the tables.
const (
	MethodPtTrust = "PtTrust"
)

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
}

// rowScores is a method's score of every row of the line set (higher = riskier).
type rowScores []float64

// evaluation is a method's result on one test selection.
type evaluation struct {
	point     eval.Metrics
	ci        map[string]eval.Interval
	threshold float64
}

// fitBinding trains a binding MLP on the train selection with validation on val, on the given
// per-row features, and scores every row. The assessor is cached in dir (skipped when done).
func (r *runner) fitBinding(ctx context.Context, name string, feat [][]float32, train, val selection, featKind string) (*finetune.Assessor, rowScores, error) {
	start := time.Now()
	key := hashOf(r.saeKey, r.statesKey, r.cfg.Binding, featKind, r.ls.snippetIDs(train), r.ls.snippetIDs(val))
	dir := r.stageDir("binding-"+name, key)
	var a *finetune.Assessor
	if isDone(dir) {
		var err error
		if a, err = finetune.Load(dir); err != nil {
			return nil, nil, err
		}
	} else {
		bc := r.cfg.Binding
		bc.Seed = r.cfg.Seed
		bc.Backend = r.cfg.Model.Backend
		byRow := func(i int) []float32 { return feat[i] }
		var err error
		a, err = finetune.Train(ctx, bc, r.ls.lists(train, byRow), r.ls.lists(val, byRow), nil)
		if err != nil {
			return nil, nil, fmt.Errorf("binding %s: %w", name, err)
		}
		a.Features = featKind
		if err := a.Save(dir); err != nil {
			return nil, nil, err
		}
		if err := markDone(dir, start, map[string]any{"name": name, "train_snippets": len(train), "val_snippets": len(val)}); err != nil {
			return nil, nil, err
		}
	}
	s := a.Score(feat)
	return a, rowScores(s), nil
}

// evaluate computes a method's metrics on test, with the flagging threshold chosen by the
// Youden index on val (the same rule for every method).
func (r *runner) evaluate(s rowScores, val, test selection) evaluation {
	score := func(i int) float64 { return s[i] }
	thr := r.threshold(r.ls.scores(val, nil, score))
	point, ci := eval.Bootstrap(r.ls.scores(test, nil, score), thr, r.cfg.Eval.Bootstrap, r.cfg.Seed)
	return evaluation{point: point, ci: ci, threshold: thr}
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

// heuristic returns the row scores of a baseline that needs no training.
func (r *runner) heuristic(name string, val selection) rowScores {
	rows := r.ls.rows
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
	if name == "lookback" {
		// The direction of the lookback ratio is not settled (less attention on earlier context
		// may mark a line the model makes up, or the opposite in code): it is chosen on the
		// validation split by AUROC, and recorded in the notes.
		m := eval.Compute(r.ls.scores(val, nil, func(i int) float64 { return s[i] }), math.NaN())
		if m.AUROC < 0.5 {
			for i := range s {
				s[i] = -s[i]
			}
			r.note("lookback ratio: low ratio = risky (chosen on validation, AUROC %.3f vs %.3f)", 1-m.AUROC, m.AUROC)
		} else {
			r.note("lookback ratio: high ratio = risky (chosen on validation, AUROC %.3f)", m.AUROC)
		}
	}
	return s
}

// random evaluates RandomRepeats random rankings and averages their metrics and interval ends.
func (r *runner) random(val, test selection) evaluation {
	var acc map[string]float64
	var lo, hi map[string]float64
	n := r.cfg.Eval.RandomRepeats
	var last eval.Metrics
	for rep := range n {
		rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(rep)+1))
		s := make(rowScores, len(r.ls.rows))
		for i := range s {
			s[i] = rng.Float64()
		}
		e := r.evaluate(s, val, test)
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

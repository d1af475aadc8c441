package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/eta"
)

// testSet is one column block of the main results: a name and its snippets.
type testSet struct {
	name, title string
	sel         selection
}

// evaluateAll trains the bindings and probes, scores every method on the test sets of [data]
// and of each transfer set, computes the cross matrices and writes the results.
func (r *runner) evaluateAll(ctx context.Context) error {
	start := time.Now()
	ls := r.main.ls
	tasks := r.cfg.Eval.TrainTasks
	seen := func(s *snippetSpan) bool { return len(tasks) == 0 || slices.Contains(tasks, s.task) }
	unseen := func(s *snippetSpan) bool { return !seen(s) }
	train, val := ls.pick(datasets.Train, seen), ls.pick(datasets.Validation, seen)
	first := testSet{"heldout_files", "Held-out files (tasks seen in training)", ls.pick(datasets.Test, seen)}
	if r.cfg.Data.Format != "mutation" {
		first.name, first.title = "heldout_problems", "Held-out problems (test split; no problem of it is in training, in any language)"
		if len(tasks) > 0 {
			first.title = "Held-out problems (bug types seen in training)"
		}
	}
	sets := []testSet{first}
	if len(tasks) > 0 {
		sets = append(sets, testSet{"heldout_tasks", "Held-out tasks (" + strings.Join(ls.values(ls.pick(datasets.Test, unseen), func(s *snippetSpan) string { return s.task }), ", ") + ")", ls.pick(datasets.Test, unseen)})
	}
	if err := checkSizes(train, val, sets[0].sel, "main binding"); err != nil {
		return err
	}
	r.note("main binding: %d train / %d validation buggy snippets (%d / %d lines); tasks %s",
		len(train), len(val), ls.lines(train), ls.lines(val), strings.Join(ls.values(train, func(s *snippetSpan) string { return s.task }), ", "))

	main, methods, err := r.methods(ctx, train, val)
	if err != nil {
		return err
	}
	for _, m := range methods[:min(2, len(methods))] { // PtTrust (and the paper's binding): the selection split
		if m.random {
			continue
		}
		e := r.evaluateOn(m, val, r.main, val)
		r.note("validation (where settings are chosen): %s hit@3 %.3f, AUROC %.3f", m.name, e.point.Value("hit@3"), e.point.AUROC)
	}
	mainScores := methods[0].on(r.main) // PtTrust: the shipped assessor's binding
	r.flags = chooseFlags(r.cfg.Flags, flagLinesOf(ls, datasets.Validation, mainScores))
	r.note("%s", flagReport(r.flags, flagLinesOf(ls, datasets.Test, mainScores)))
	for _, set := range sets {
		t := eval.NewTable(set.title, nil)
		for _, m := range methods {
			e := r.evaluateOn(m, val, r.main, set.sel)
			t.Add(m.name, e.point, e.ci)
		}
		r.res.Main = append(r.res.Main, t)
		r.mainFiles = append(r.mainFiles, set.name)
		r.note("%s: %d buggy snippets, %d lines", set.name, len(set.sel), ls.lines(set.sel))
	}
	for i, set := range r.transfer {
		r.res.Transfer = append(r.res.Transfer, r.transferTable(r.cfg.Transfer[i], set, methods, val))
	}
	r.stage("bindings, baselines, main tables", "", start)

	// Cross matrices: PtTrust trained on one group, tested on each.
	start = time.Now()
	allTest := ls.pick(datasets.Test, nil)
	fields := r.cfg.Eval.Cross
	if len(fields) == 0 {
		fields = []string{"language", "task"}
	}
	for _, f := range fields {
		var groups map[string][]string
		var names []string
		if f == "task" {
			groups, names = r.taskGroups(allTest)
		} else {
			groups = map[string][]string{}
			for _, v := range ls.values(allTest, func(s *snippetSpan) string { return s.field(f) }) {
				if v != "" {
					groups[v] = []string{v}
					names = append(names, v)
				}
			}
		}
		if len(names) == 0 {
			r.note("cross-%s: no matrix (no test snippet has a %s)", f, f)
			continue
		}
		m, err := r.crossMatrix(ctx, f, crossTitle(f), names, func(s *snippetSpan, g string) bool { return slices.Contains(groups[g], s.field(f)) })
		if err != nil {
			return err
		}
		r.res.Cross = append(r.res.Cross, CrossMatrix{f, m})
		switch f {
		case "language":
			r.res.CrossLanguage = m
		case "task":
			r.res.CrossTask = m
		}
	}
	r.stage("cross matrices", "", start)
	return r.write(main)
}

// crossTitle is the title of a cross matrix.
func crossTitle(field string) string {
	switch field {
	case "language":
		return "Cross-language: train language (rows) × test language (columns)"
	case "category":
		return "Cross-category: train bug category (rows) × test bug category (columns)"
	}
	return "Cross-task: train task group (rows) × test task group (columns)"
}

// methods trains PtTrust's main binding and the probes and returns the main binding and every
// method of the tables: PtTrust, the baselines, the assessors trained elsewhere.
func (r *runner) methods(ctx context.Context, train, val selection) (*finetune.Assessor, []*method, error) {
	main, err := r.fitBinding(ctx, "pttrust", r.main.feat.pt, train, val, r.ptKind())
	if err != nil {
		return nil, nil, err
	}
	methods := []*method{{name: MethodPtTrust, threshold: math.NaN(), score: func(set *labeledSet) rowScores { return main.Score(set.feat.pt) }}}
	if r.cfg.Features.Any() { // the paper's binding beside it: latents alone
		paper, err := r.fitBinding(ctx, "pttrust-latents", r.main.feat.sae, train, val, "sae:"+r.hook)
		if err != nil {
			return nil, nil, err
		}
		methods = append(methods, &method{name: MethodPtTrustLatents, threshold: math.NaN(), score: func(set *labeledSet) rowScores { return paper.Score(set.feat.sae) }})
	}
	baselines := r.cfg.Eval.Baselines
	if len(baselines) == 0 {
		baselines = AllBaselines
	}
	for _, b := range AllBaselines {
		if !slices.Contains(baselines, b) {
			continue
		}
		switch b {
		case "random":
			methods = append(methods, &method{name: methodLabel[b], random: true})
		case "probe_raw":
			a, err := r.fitBinding(ctx, b, r.main.feat.raw, train, val, "raw:"+r.hook)
			if err != nil {
				return nil, nil, err
			}
			methods = append(methods, &method{name: methodLabel[b], threshold: math.NaN(), score: func(set *labeledSet) rowScores { return a.Score(set.feat.raw) }})
			if r.cfg.Features.Any() { // the probe with the same extras as PtTrust
				p, err := r.fitBinding(ctx, b+"-plus", r.main.feat.rawPlus, train, val, "raw"+r.cfg.Features.String()+":"+r.hook)
				if err != nil {
					return nil, nil, err
				}
				methods = append(methods, &method{name: methodLabel[b] + " " + r.cfg.Features.String(), threshold: math.NaN(), score: func(set *labeledSet) rowScores { return p.Score(set.feat.rawPlus) }})
			}
		case "probe_pca":
			if err := r.fitPCA(); err != nil {
				return nil, nil, err
			}
			a, err := r.fitBinding(ctx, b, r.main.feat.pca, train, val, fmt.Sprintf("pca%d:%s", r.sae.Config.DSAE, r.hook))
			if err != nil {
				return nil, nil, err
			}
			methods = append(methods, &method{name: methodLabel[b], threshold: math.NaN(), score: func(set *labeledSet) rowScores { return a.Score(r.pcaFeatures(set)) }})
		default:
			methods = append(methods, r.heuristic(b, val))
		}
	}
	others, err := r.assessorMethods()
	if err != nil {
		return nil, nil, err
	}
	return main, append(methods, others...), nil
}

// fitPCA fits the PCA of the probe baseline on the train split of [data] (clean and buggy).
func (r *runner) fitPCA() error {
	if r.pca != nil {
		return nil
	}
	pca, err := finetune.FitPCA(r.main.ls.states(r.main.ls.pickAll(datasets.Train)), r.sae.Config.DSAE)
	if err != nil {
		return fmt.Errorf("PCA baseline: %w", err)
	}
	r.pca = pca
	r.main.feat.pca = r.pcaFeatures(r.main)
	return nil
}

// pcaFeatures projects a set's states with the fitted PCA (kept per set).
func (r *runner) pcaFeatures(set *labeledSet) [][]float32 {
	if set.feat.pca == nil {
		set.feat.pca = make([][]float32, len(set.feat.raw))
		for i, x := range set.feat.raw {
			set.feat.pca[i] = r.pca.Transform(x)
		}
	}
	return set.feat.pca
}

// pickAll returns every snippet of a split, clean or buggy.
func (ls *lineSet) pickAll(split datasets.Split) selection {
	var out selection
	for i := range ls.snippets {
		if ls.snippets[i].split == string(split) {
			out = append(out, i)
		}
	}
	return out
}

// taskGroups returns the configured task groups, or one group per task of the test split.
func (r *runner) taskGroups(test selection) (map[string][]string, []string) {
	if len(r.cfg.Eval.TaskGroups) > 0 {
		names := make([]string, 0, len(r.cfg.Eval.TaskGroups))
		for n := range r.cfg.Eval.TaskGroups {
			names = append(names, n)
		}
		slices.Sort(names)
		return r.cfg.Eval.TaskGroups, names
	}
	groups := map[string][]string{}
	names := r.main.ls.values(test, func(s *snippetSpan) string { return s.task })
	for _, t := range names {
		groups[t] = []string{t}
	}
	return groups, names
}

// crossMatrix trains a PtTrust binding on the train and validation snippets of each group and
// tests it on the test snippets of every group. Groups with fewer than MinTrainSnippets buggy
// train snippets (or no validation snippet) get no row; a note says so.
func (r *runner) crossMatrix(ctx context.Context, kind, title string, groups []string, in func(s *snippetSpan, g string) bool) (*eval.Matrix, error) {
	ls := r.main.ls
	var rows []string
	type fitted struct {
		scores rowScores
		val    selection
	}
	fits := map[string]fitted{}
	start := time.Now()
	for i, g := range groups {
		r.status.Set(true, "cross-%s: row %d/%d (%s), %v, %s", kind, i+1, len(groups), g,
			time.Since(start).Round(time.Second), eta.String(time.Since(start), float64(i), float64(len(groups))))
		keep := func(s *snippetSpan) bool { return in(s, g) }
		train, val := ls.pick(datasets.Train, keep), ls.pick(datasets.Validation, keep)
		if len(train) < r.cfg.Eval.MinTrainSnippets || len(val) == 0 {
			r.note("cross-%s: no row for %s (%d train, %d validation buggy snippets; min_train_snippets %d)", kind, g, len(train), len(val), r.cfg.Eval.MinTrainSnippets)
			continue
		}
		a, err := r.fitBinding(ctx, "cross-"+kind+"-"+g, r.main.feat.pt, train, val, r.ptKind())
		if err != nil {
			return nil, err
		}
		fits[g] = fitted{rowScores(a.Score(r.main.feat.pt)), val}
		rows = append(rows, g)
	}
	m := eval.NewMatrix(title, r.cfg.Eval.MatrixMetric, rows, groups)
	m.TestN = make([]int, len(groups))
	tests := make([]selection, len(groups)) // each column's test snippets
	for j, tg := range groups {
		tests[j] = ls.pick(datasets.Test, func(s *snippetSpan) bool { return in(s, tg) })
		m.TestN[j] = len(tests[j])
	}
	for _, g := range rows {
		for j, tg := range groups {
			test := tests[j]
			if len(test) == 0 {
				continue
			}
			e := r.evaluate(fits[g].scores, fits[g].val, test)
			if err := m.SetMetrics(g, tg, e.point, e.ci); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/atomicfile"
)

// Result file names in OutDir.
const (
	ResultsMarkdown = "results.md"
	AssessorDir     = "assessor"
)

// testSet is one column block of the main results: a name and its snippets.
type testSet struct {
	name, title string
	sel         selection
}

// evaluateAll trains the bindings and probes, scores every method on the test sets, computes
// the cross matrices and writes the results.
func (r *runner) evaluateAll(ctx context.Context) error {
	start := time.Now()
	ls := r.ls
	tasks := r.cfg.Eval.TrainTasks
	seen := func(s *snippetSpan) bool { return len(tasks) == 0 || slices.Contains(tasks, s.task) }
	unseen := func(s *snippetSpan) bool { return !seen(s) }
	train, val := ls.pick(datasets.Train, seen), ls.pick(datasets.Validation, seen)
	sets := []testSet{{"heldout_files", "Held-out files (tasks seen in training)", ls.pick(datasets.Test, seen)}}
	if len(tasks) > 0 {
		sets = append(sets, testSet{"heldout_tasks", "Held-out tasks (" + strings.Join(ls.values(ls.pick(datasets.Test, unseen), func(s *snippetSpan) string { return s.task }), ", ") + ")", ls.pick(datasets.Test, unseen)})
	}
	if err := checkSizes(train, val, sets[0].sel, "main binding"); err != nil {
		return err
	}
	r.note("main binding: %d train / %d validation buggy snippets (%d / %d lines); tasks %s",
		len(train), len(val), ls.lines(train), ls.lines(val), strings.Join(ls.values(train, func(s *snippetSpan) string { return s.task }), ", "))

	// Every method's row scores.
	type scored struct {
		name   string
		scores rowScores
		random bool
	}
	a, s, err := r.fitBinding(ctx, "pttrust", r.feat.sae, train, val, "sae:"+r.hook)
	if err != nil {
		return err
	}
	main := a
	methods := []scored{{name: MethodPtTrust, scores: s}}
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
			methods = append(methods, scored{name: methodLabel[b], random: true})
		case "probe_raw":
			_, s, err := r.fitBinding(ctx, b, r.feat.raw, train, val, "raw:"+r.hook)
			if err != nil {
				return err
			}
			methods = append(methods, scored{name: methodLabel[b], scores: s})
		case "probe_pca":
			if r.feat.pca == nil {
				pca, err := finetune.FitPCA(ls.states(ls.pickAll(datasets.Train)), r.sae.Config.DSAE)
				if err != nil {
					return fmt.Errorf("PCA baseline: %w", err)
				}
				r.feat.pca = make([][]float32, len(r.feat.raw))
				for i, x := range r.feat.raw {
					r.feat.pca[i] = pca.Transform(x)
				}
			}
			_, s, err := r.fitBinding(ctx, b, r.feat.pca, train, val, fmt.Sprintf("pca%d:%s", r.sae.Config.DSAE, r.hook))
			if err != nil {
				return err
			}
			methods = append(methods, scored{name: methodLabel[b], scores: s})
		default:
			methods = append(methods, scored{name: methodLabel[b], scores: r.heuristic(b, val)})
		}
	}
	for _, set := range sets {
		t := eval.NewTable(set.title, nil)
		for _, m := range methods {
			var e evaluation
			if m.random {
				e = r.random(val, set.sel)
			} else {
				e = r.evaluate(m.scores, val, set.sel)
			}
			t.Add(m.name, e.point, e.ci)
		}
		r.res.Main = append(r.res.Main, t)
		r.mainFiles = append(r.mainFiles, set.name)
		r.note("%s: %d buggy snippets, %d lines", set.name, len(set.sel), ls.lines(set.sel))
	}
	r.stage("bindings, baselines, main tables", "", start)

	// Cross matrices: PtTrust trained on one group, tested on each.
	start = time.Now()
	lang := func(s *snippetSpan) string { return s.lang }
	allTest := ls.pick(datasets.Test, nil)
	langs := ls.values(allTest, lang)
	if m, err := r.crossMatrix(ctx, "language", "Cross-language: train language (rows) × test language (columns)", langs, func(s *snippetSpan, g string) bool { return s.lang == g }); err != nil {
		return err
	} else {
		r.res.CrossLanguage = m
	}
	groups, names := r.taskGroups(allTest)
	if m, err := r.crossMatrix(ctx, "task", "Cross-task: train task group (rows) × test task group (columns)", names, func(s *snippetSpan, g string) bool { return slices.Contains(groups[g], s.task) }); err != nil {
		return err
	} else {
		r.res.CrossTask = m
	}
	r.stage("cross matrices", "", start)
	return r.write(main)
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
	names := r.ls.values(test, func(s *snippetSpan) string { return s.task })
	for _, t := range names {
		groups[t] = []string{t}
	}
	return groups, names
}

// crossMatrix trains a PtTrust binding on the train and validation snippets of each group and
// tests it on the test snippets of every group. Groups with fewer than MinTrainSnippets buggy
// train snippets (or no validation snippet) get no row; a note says so.
func (r *runner) crossMatrix(ctx context.Context, kind, title string, groups []string, in func(s *snippetSpan, g string) bool) (*eval.Matrix, error) {
	ls := r.ls
	var rows []string
	type fitted struct {
		scores rowScores
		val    selection
	}
	fits := map[string]fitted{}
	for _, g := range groups {
		keep := func(s *snippetSpan) bool { return in(s, g) }
		train, val := ls.pick(datasets.Train, keep), ls.pick(datasets.Validation, keep)
		if len(train) < r.cfg.Eval.MinTrainSnippets || len(val) == 0 {
			r.note("cross-%s: no row for %s (%d train, %d validation buggy snippets; min_train_snippets %d)", kind, g, len(train), len(val), r.cfg.Eval.MinTrainSnippets)
			continue
		}
		_, s, err := r.fitBinding(ctx, "cross-"+kind+"-"+g, r.feat.sae, train, val, "sae:"+r.hook)
		if err != nil {
			return nil, err
		}
		fits[g] = fitted{s, val}
		rows = append(rows, g)
	}
	m := eval.NewMatrix(title, r.cfg.Eval.MatrixMetric, rows, groups)
	for _, g := range rows {
		for _, tg := range groups {
			test := ls.pick(datasets.Test, func(s *snippetSpan) bool { return in(s, tg) })
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

// write saves the tables, matrices, plots, results.md and the main assessor.
func (r *runner) write(main *finetune.Assessor) error {
	out := r.cfg.OutDir
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# Results: %s\n\n", r.cfg.Name)
	fmt.Fprintf(&md, "Made by %s; model %s, hook `%s`, seed %d. Values are on the test split; brackets are 95 %% bootstrap intervals over snippets (%d resamples). Thresholds for F1 are chosen on the validation split by the Youden index, for every method alike.\n\n",
		r.command(), r.modelName(), r.hook, r.cfg.Seed, r.cfg.Eval.Bootstrap)
	barMetrics := []string{"hit@1", "hit@3", "anyhit@5", "auroc", "auprc"}
	for i, t := range r.res.Main {
		base := r.mainFiles[i]
		if err := t.Save(filepath.Join(out, base+".csv")); err != nil {
			return err
		}
		if err := eval.PlotBars(filepath.Join(out, base+".png"), t.Title, *t, barMetrics); err != nil {
			return err
		}
		if err := t.WriteMarkdown(&md); err != nil {
			return err
		}
		fmt.Fprintf(&md, "\n![%s](%s.png)\n\n", t.Title, base)
	}
	for _, x := range []struct {
		m    *eval.Matrix
		base string
	}{{r.res.CrossLanguage, "cross_language"}, {r.res.CrossTask, "cross_task"}} {
		if x.m == nil || len(x.m.Train) == 0 {
			continue
		}
		if err := x.m.Save(filepath.Join(out, x.base+".csv")); err != nil {
			return err
		}
		if err := eval.PlotHeatmap(filepath.Join(out, x.base+".png"), x.m.Title, *x.m); err != nil {
			return err
		}
		if err := x.m.WriteMarkdown(&md); err != nil {
			return err
		}
		fmt.Fprintf(&md, "\n![%s](%s.png)\n\n", x.m.Title, x.base)
	}
	md.WriteString("## Notes\n\n")
	for _, n := range r.res.Notes {
		fmt.Fprintf(&md, "- %s\n", n)
	}
	md.WriteString("\n## Stages\n\n| stage | time |\n|---|---|\n")
	for _, s := range r.res.Stages {
		t := s.Time.Round(time.Second).String()
		if s.Cached {
			t = "cached (took " + s.Computed.Round(time.Second).String() + ")"
		}
		fmt.Fprintf(&md, "| %s | %s |\n", s.Name, t)
	}
	r.res.Markdown = md.String()
	if err := atomicfile.WriteFile(filepath.Join(out, ResultsMarkdown), []byte(r.res.Markdown)); err != nil {
		return err
	}
	return r.saveAssessor(filepath.Join(out, AssessorDir), main)
}

// command is the command line that reproduces the run, as Markdown.
func (r *runner) command() string {
	switch r.cfg.path {
	case "":
		return "experiments.Run (a configuration built in code)"
	case defaultPath:
		return "`pttrust experiment run " + defaultPath + "` (what `pttrust demo` runs)"
	}
	return "`pttrust experiment run " + r.cfg.path + "`"
}

// modelName names the model in the results.
func (r *runner) modelName() string {
	if r.cfg.Model.Dir == "" {
		return "tinycoder (embedded)"
	}
	return r.cfg.Model.Dir
}

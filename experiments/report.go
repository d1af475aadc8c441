package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/atomicfile"
)

// Result file names in OutDir.
const (
	ResultsMarkdown = "results.md"
	AssessorDir     = "assessor"
)

// writeFault, when set (tests), is called after the tables and results.md are written and
// before the assessor: an injected write error there.
var writeFault func() error

// write replaces OutDir as a whole (atomicfile.WriteDir: the files go to a temporary folder
// beside it, which then takes its place in one rename), so that a reader sees the previous
// results or these, never a mix, and a failed write (a full disk) leaves the previous ones.
func (r *runner) write(main *finetune.Assessor) error {
	err := atomicfile.WriteDir(r.cfg.OutDir, func(tmp string) error { return r.writeInto(tmp, main) })
	if err != nil {
		return fmt.Errorf("writing the results to %s (left as it was): %w", r.cfg.OutDir, err)
	}
	return nil
}

// writeInto saves the tables, matrices, plots, results.md and the main assessor into out: the
// main tables (<test set>.csv/.png), the transfer tables (transfer_<name>), the cross matrices
// (cross_<field>), then the notes and the stages' times.
func (r *runner) writeInto(out string, main *finetune.Assessor) error {
	var md strings.Builder
	fmt.Fprintf(&md, "# Results: %s\n\n", r.cfg.Name)
	fmt.Fprintf(&md, "Made by %s; model %s, hook `%s`, seed %d. Values are on the test split; brackets are 95 %% bootstrap intervals over snippets (%d resamples); n is the number of buggy snippets. Thresholds for F1 are chosen on the validation split by the Youden index, for every method alike (an assessor trained elsewhere keeps its own).\n\n",
		r.command(), r.modelName(), r.hook, r.cfg.Seed, r.cfg.Eval.Bootstrap)
	barMetrics := []string{"hit@1", "hit@3", "anyhit@5", "auroc", "auprc"}
	tables := func(ts []*eval.Table, names []string) error {
		for i, t := range ts {
			base := names[i]
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
		return nil
	}
	if err := tables(r.res.Main, r.mainFiles); err != nil {
		return err
	}
	var transferFiles []string
	for _, t := range r.cfg.Transfer {
		transferFiles = append(transferFiles, "transfer_"+t.Name)
	}
	if len(r.res.Transfer) > 0 {
		md.WriteString("## Transfer: trained here, tested on another benchmark\n\n")
	}
	if err := tables(r.res.Transfer, transferFiles); err != nil {
		return err
	}
	for _, x := range r.res.Cross {
		if x.Matrix == nil || len(x.Matrix.Train) == 0 {
			continue
		}
		base := "cross_" + x.Field
		if err := x.Matrix.Save(filepath.Join(out, base+".csv")); err != nil {
			return err
		}
		if err := eval.PlotHeatmap(filepath.Join(out, base+".png"), x.Matrix.Title, *x.Matrix); err != nil {
			return err
		}
		if err := x.Matrix.WriteMarkdown(&md); err != nil {
			return err
		}
		fmt.Fprintf(&md, "\n![%s](%s.png)\n\n", x.Matrix.Title, base)
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
	if writeFault != nil {
		if err := writeFault(); err != nil {
			return err
		}
	}
	return r.saveAssessor(filepath.Join(out, AssessorDir), main)
}

// command is the command line that reproduces the run, as Markdown.
func (r *runner) command() string {
	model := ""
	if r.cfg.Model.Dir != "" {
		model = " --model " + r.cfg.Model.Dir
	}
	switch r.cfg.path {
	case "":
		return "experiments.Run (a configuration built in code)"
	case defaultPath:
		if model == "" {
			return "`pttrust experiment run " + defaultPath + "` (what `pttrust demo` runs)"
		}
	}
	return "`pttrust experiment run " + r.cfg.path + model + "`"
}

// modelName names the model in the results.
func (r *runner) modelName() string {
	if r.cfg.Model.Dir == "" {
		return "tinycoder (embedded)"
	}
	return r.cfg.Model.Dir
}

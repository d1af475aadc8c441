package experiments

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
)

// transferTable scores every method on a transfer set: its test split (or all of it) in the
// configured languages. Nothing was trained on the set; thresholds are those of [data].
func (r *runner) transferTable(tc TransferConfig, set *labeledSet, methods []*method, val selection) *eval.Table {
	keep := func(s *snippetSpan) bool {
		return len(tc.Languages) == 0 || slices.ContainsFunc(tc.Languages, func(l string) bool {
			pl, _ := datasets.ParseLanguage(l)
			return string(pl) == s.lang
		})
	}
	var test selection
	if tc.Split == "all" {
		for _, sp := range datasets.Splits {
			test = append(test, set.ls.pick(sp, keep)...)
		}
	} else {
		test = set.ls.pick(datasets.Test, keep)
	}
	langs := strings.Join(set.ls.values(test, func(s *snippetSpan) string { return s.lang }), ", ")
	title := fmt.Sprintf("Transfer: trained on %s, tested on %s (%s split; %s; n = %d buggy snippets)",
		r.cfg.Name, tc.Name, tc.Split, langs, len(test))
	t := eval.NewTable(title, nil)
	for _, m := range methods {
		e := r.evaluateOn(m, val, set, test)
		t.Add(m.name, e.point, e.ci)
	}
	r.note("transfer_%s: %d buggy snippets, %d lines of %s (%s split, %s)", tc.Name, len(test), set.ls.lines(test), tc.Data.Path, tc.Split, langs)
	return t
}

// assessorMethods loads the assessors of Eval.Assessors as methods: the bundle's SAE encodes a
// set's states and its binding scores them, flagged at its own threshold. A bundle made for
// another model or hook is skipped with a note.
func (r *runner) assessorMethods() ([]*method, error) {
	var out []*method
	for _, spec := range r.cfg.Eval.Assessors {
		dir, label := spec, ""
		if spec == "default" {
			d, err := DefaultAssessorDir()
			if err != nil {
				return nil, fmt.Errorf("eval.assessors: %w", err)
			}
			dir, label = d, "PtTrust, shipped default assessor (trained on mutants)"
		}
		a, err := LoadAssessor(dir)
		if err != nil {
			return nil, fmt.Errorf("eval.assessors: %w", err)
		}
		if label == "" {
			label = fmt.Sprintf("PtTrust, assessor of %s (%s)", a.Info.Experiment, dir)
		}
		if a.Info.ModelID != r.modelID || a.Info.Hook != r.hook {
			r.note("assessor %s skipped: made for model %s (id %s) at %s, this run reads %s (id %s) at %s",
				spec, a.Info.Model, a.Info.ModelID, a.Info.Hook, r.modelName(), r.modelID, r.hook)
			continue
		}
		r.note("%s: bundle %s (experiment %s), its own threshold %.4g", label, dir, a.Info.Experiment, a.Info.Threshold)
		out = append(out, &method{name: label, threshold: a.Info.Threshold, score: func(set *labeledSet) rowScores {
			return a.Binding.Score(composeFeatures(a.Info.Features, a.SAE.EncodeBatch(set.feat.raw), set.ls.rows, set.ls.spans()))
		}})
	}
	return out, nil
}

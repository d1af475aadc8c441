package experiments

import (
	"fmt"
	"slices"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/states/extract"
)

// lineSet holds the scored lines of an extraction, grouped by snippet, in file order.
type lineSet struct {
	rows     []extract.Row
	snippets []snippetSpan
}

// snippetSpan is one snippet's rows: rows[start:end].
type snippetSpan struct {
	id, pair, lang, task, split string
	// category and group come from the snippets file (the states do not carry them).
	category, group string
	buggy           bool
	start, end      int
}

// field returns a snippet's value of a cross field ("language", "task", "category").
func (s *snippetSpan) field(name string) string {
	switch name {
	case "language":
		return s.lang
	case "task":
		return s.task
	case "category":
		return s.category
	}
	panic("experiments: unknown snippet field " + name)
}

// loadLines reads the rows of the hook from an extraction directory (a concatenated hook's
// parts joined into one state: States[0]), with each snippet's category and group from the
// snippets file it was extracted from.
func loadLines(dir, hook, snippetsPath string) (*lineSet, error) {
	rows, err := extract.ReadRows(dir, models.HookParts(hook))
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].States = [][]float32{models.ConcatStates(rows[i].States)}
	}
	type meta struct{ category, group string }
	metas := map[string]meta{}
	err = datasets.ReadSnippets(snippetsPath, func(s datasets.Snippet) error {
		if s.Category != "" || s.Group != "" {
			metas[s.ID] = meta{s.Category, s.Group}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ls := &lineSet{rows: rows}
	for i, r := range rows {
		n := len(ls.snippets)
		if n > 0 && ls.snippets[n-1].id == r.SnippetID {
			ls.snippets[n-1].end = i + 1
			if r.Label == 1 {
				ls.snippets[n-1].buggy = true
			}
			continue
		}
		m := metas[r.SnippetID]
		ls.snippets = append(ls.snippets, snippetSpan{
			id: r.SnippetID, pair: r.PairID, lang: r.Language, task: r.Task, split: r.Split,
			category: m.category, group: m.group, buggy: r.Label == 1, start: i, end: i + 1,
		})
	}
	return ls, nil
}

// selection is a list of snippet indexes.
type selection []int

// pick returns the buggy snippets (at least one risky line among the scored ones) of split that
// pass keep (nil keeps all). Clean snippets have no line to find: they serve stage 1 only.
func (ls *lineSet) pick(split datasets.Split, keep func(s *snippetSpan) bool) selection {
	var out selection
	for i := range ls.snippets {
		s := &ls.snippets[i]
		if s.split == string(split) && s.buggy && (keep == nil || keep(s)) {
			out = append(out, i)
		}
	}
	return out
}

// lines counts the rows of a selection.
func (ls *lineSet) lines(sel selection) int {
	n := 0
	for _, i := range sel {
		n += ls.snippets[i].end - ls.snippets[i].start
	}
	return n
}

// states returns the state vectors of a selection's rows, in order.
func (ls *lineSet) states(sel selection) [][]float32 {
	out := make([][]float32, 0, ls.lines(sel))
	for _, i := range sel {
		for _, r := range ls.rows[ls.snippets[i].start:ls.snippets[i].end] {
			out = append(out, r.States[0])
		}
	}
	return out
}

// lists builds the binding's lists of a selection with features feat(row index).
func (ls *lineSet) lists(sel selection, feat func(row int) []float32) []finetune.List {
	out := make([]finetune.List, len(sel))
	for k, i := range sel {
		s := ls.snippets[i]
		l := finetune.List{ID: s.id}
		for j := s.start; j < s.end; j++ {
			l.Features = append(l.Features, feat(j))
			l.Labels = append(l.Labels, ls.rows[j].Label)
		}
		out[k] = l
	}
	return out
}

// scores evaluates a line scorer on a selection.
func (ls *lineSet) scores(sel selection, group func(s *snippetSpan) string, score func(row int) float64) []eval.SnippetScores {
	out := make([]eval.SnippetScores, len(sel))
	for k, i := range sel {
		s := &ls.snippets[i]
		ss := eval.SnippetScores{ID: s.id}
		if group != nil {
			ss.Group = group(s)
		}
		for j := s.start; j < s.end; j++ {
			ss.Scores = append(ss.Scores, score(j))
			ss.Labels = append(ss.Labels, int(ls.rows[j].Label))
		}
		out[k] = ss
	}
	return out
}

// values lists the distinct values of a snippet field over a selection, sorted.
func (ls *lineSet) values(sel selection, field func(s *snippetSpan) string) []string {
	var out []string
	for _, i := range sel {
		v := field(&ls.snippets[i])
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// checkSizes fails early when a split has nothing to train or test on.
func checkSizes(train, val, test selection, what string) error {
	switch {
	case len(train) == 0:
		return fmt.Errorf("%s: no buggy snippet in the train split", what)
	case len(val) == 0:
		return fmt.Errorf("%s: no buggy snippet in the validation split", what)
	case len(test) == 0:
		return fmt.Errorf("%s: no buggy snippet in the test split", what)
	}
	return nil
}

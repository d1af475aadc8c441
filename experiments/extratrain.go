package experiments

import (
	"slices"

	"github.com/pttrust/pttrust/datasets"
)

// withTrainOf returns main with the train-split snippets of extra appended (their rows and
// features after main's; snippet indexes of main unchanged), for bindings that learn from both
// (EvalConfig.TrainWithPretrainData). The appended snippets are all in the train split, so
// validation and test selections are main's alone. Both sets must be loaded (runner.load).
func withTrainOf(main, extra *labeledSet) *labeledSet {
	out := *main
	out.statesKey = hashOf(main.statesKey, "train+", extra.statesKey) // the bindings' cache keys
	ls := &lineSet{rows: slices.Clone(main.ls.rows), snippets: slices.Clone(main.ls.snippets)}
	f := features{sae: slices.Clone(main.feat.sae), raw: slices.Clone(main.feat.raw),
		pt: slices.Clone(main.feat.pt), rawPlus: slices.Clone(main.feat.rawPlus)}
	for _, s := range extra.ls.snippets {
		if s.split != string(datasets.Train) {
			continue
		}
		span := s
		span.start, span.end = len(ls.rows), len(ls.rows)+s.end-s.start
		ls.snippets = append(ls.snippets, span)
		ls.rows = append(ls.rows, extra.ls.rows[s.start:s.end]...)
		f.sae = append(f.sae, extra.feat.sae[s.start:s.end]...)
		f.raw = append(f.raw, extra.feat.raw[s.start:s.end]...)
		f.pt = append(f.pt, extra.feat.pt[s.start:s.end]...)
		f.rawPlus = append(f.rawPlus, extra.feat.rawPlus[s.start:s.end]...)
	}
	out.ls, out.feat = ls, f
	return &out
}

package experiments

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
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

// withTrainShare returns main with only a share frac of its train split's groups kept in the
// train split (EvalConfig.TrainFraction); the others are moved out of every split, so no
// binding trains on them and no test sees them. A group is kept when a hash of the seed and its
// name falls below frac, so a smaller share keeps a subset of a larger one's groups.
func withTrainShare(main *labeledSet, frac float64, seed uint64) *labeledSet {
	out := *main
	out.statesKey = hashOf(main.statesKey, "train-share", frac, seed) // the bindings' cache keys
	ls := &lineSet{rows: main.ls.rows, snippets: slices.Clone(main.ls.snippets)}
	for i := range ls.snippets {
		s := &ls.snippets[i]
		if s.split == string(datasets.Train) && !keepGroup(seed, trainGroup(s), frac) {
			s.split = splitUnused
		}
	}
	out.ls = ls
	return &out
}

// splitUnused marks the train snippets a train share leaves out.
const splitUnused = "unused"

// trainGroup is what a train share keeps or drops whole: the snippet's group (a problem, a
// source file), else its pair, else itself.
func trainGroup(s *snippetSpan) string { return cmp.Or(s.group, s.pair, s.id) }

// keepGroup reports whether a hash of seed and group, read as a number in [0, 1), is below frac.
func keepGroup(seed uint64, group string, frac float64) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	sum := sha256.Sum256(append(b[:], group...))
	return float64(binary.LittleEndian.Uint64(sum[:])>>11)/(1<<53) < frac
}

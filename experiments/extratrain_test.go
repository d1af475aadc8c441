package experiments

import (
	"fmt"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/states/extract"
	"github.com/stretchr/testify/require"
)

// fakeLoadedSet builds a loaded labeledSet of snippets with the given splits, 3 lines each (the
// second one faulty when buggy), every feature a row's global index tagged with the set.
func fakeLoadedSet(tag string, splits []datasets.Split, buggy []bool) *labeledSet {
	set := &labeledSet{name: tag, statesKey: tag + "-key", ls: &lineSet{}}
	for i, sp := range splits {
		id := fmt.Sprintf("%s%d", tag, i)
		start := len(set.ls.rows)
		for l := range 3 {
			label := int32(0)
			if buggy[i] && l == 1 {
				label = 1
			}
			set.ls.rows = append(set.ls.rows, extract.Row{SnippetID: id, PairID: id, Split: string(sp), Line: int32(l), Label: label})
			v := []float32{float32(len(set.ls.rows)), float32(len(tag))}
			set.feat.sae, set.feat.raw = append(set.feat.sae, v), append(set.feat.raw, v)
			set.feat.pt, set.feat.rawPlus = append(set.feat.pt, v), append(set.feat.rawPlus, v)
		}
		set.ls.snippets = append(set.ls.snippets, snippetSpan{id: id, pair: id, split: string(sp), buggy: buggy[i], start: start, end: start + 3})
	}
	return set
}

// The merged set trains on both train splits and validates and tests on main's alone; main is
// left as it was.
func TestWithTrainOf(t *testing.T) {
	tr, va, te := datasets.Train, datasets.Validation, datasets.Test
	main := fakeLoadedSet("m", []datasets.Split{tr, va, te, tr}, []bool{true, true, true, false})
	extra := fakeLoadedSet("xx", []datasets.Split{tr, te, tr, va, tr}, []bool{true, true, false, true, true})
	mainRows := len(main.ls.rows)
	got := withTrainOf(main, extra)

	require.Len(t, main.ls.rows, mainRows, "main is not changed")
	require.Len(t, main.ls.snippets, 4)
	require.NotEqual(t, main.statesKey, got.statesKey)
	var ids []string
	for _, s := range got.ls.snippets {
		ids = append(ids, s.id)
		for r := s.start; r < s.end; r++ {
			require.Equal(t, s.id, got.ls.rows[r].SnippetID)
		}
	}
	require.Equal(t, []string{"m0", "m1", "m2", "m3", "xx0", "xx2", "xx4"}, ids)
	require.Equal(t, selection{0, 4, 6}, got.ls.pick(tr, nil))
	require.Equal(t, main.ls.pick(va, nil), got.ls.pick(va, nil))
	require.Equal(t, main.ls.pick(te, nil), got.ls.pick(te, nil))
	for _, f := range [][][]float32{got.feat.sae, got.feat.raw, got.feat.pt, got.feat.rawPlus} {
		require.Len(t, f, len(got.ls.rows))
		require.Equal(t, main.feat.pt, f[:mainRows])
		require.Equal(t, extra.feat.pt[0:3], f[mainRows:mainRows+3])   // xx0
		require.Equal(t, extra.feat.pt[6:9], f[mainRows+3:mainRows+6]) // xx2
		require.Equal(t, extra.feat.pt[12:15], f[mainRows+6:])         // xx4
	}
}

// The option is refused on mutation [data], naming the key.
func TestTrainWithPretrainDataNeedsBenchmark(t *testing.T) {
	c, err := Load("default.toml")
	require.NoError(t, err)
	c.Eval.TrainWithPretrainData = true
	require.ErrorContains(t, c.Validate(), "eval.train_with_pretrain_data")
	c, err = Load("debugbench.toml")
	require.NoError(t, err)
	c.Eval.TrainWithPretrainData = true
	require.NoError(t, c.Validate())
}

// A train share keeps whole groups of the train split, about frac of them, a subset of a larger
// share's, and leaves validation, test and main untouched.
func TestWithTrainShare(t *testing.T) {
	tr, va, te := datasets.Train, datasets.Validation, datasets.Test
	var splits []datasets.Split
	var buggy []bool
	for i := range 600 {
		splits = append(splits, []datasets.Split{tr, tr, va, te}[i%4])
		buggy = append(buggy, i%3 != 0)
	}
	main := fakeLoadedSet("m", splits, buggy)
	for i := range main.ls.snippets {
		main.ls.snippets[i].group = fmt.Sprintf("problem-%d", i/6) // 6 snippets per problem
	}
	kept := map[float64]map[string]bool{}
	for _, frac := range []float64{0.25, 0.5} {
		got := withTrainShare(main, frac, 7)
		require.NotEqual(t, main.statesKey, got.statesKey)
		require.Equal(t, main.ls.pick(va, nil), got.ls.pick(va, nil))
		require.Equal(t, main.ls.pick(te, nil), got.ls.pick(te, nil))
		groups, all := map[string]bool{}, map[string]bool{}
		for i, s := range got.ls.snippets {
			require.Equal(t, main.ls.snippets[i].id, s.id)
			if main.ls.snippets[i].split != string(tr) {
				require.Equal(t, main.ls.snippets[i].split, s.split)
				continue
			}
			all[s.group] = true
			if s.split == string(tr) {
				groups[s.group] = true
			} else {
				require.Equal(t, splitUnused, s.split)
			}
		}
		for i, s := range got.ls.snippets { // whole groups: no kept group has a dropped train snippet
			if main.ls.snippets[i].split == string(tr) && groups[s.group] {
				require.Equal(t, string(tr), s.split, s.id)
			}
		}
		require.InDelta(t, frac, float64(len(groups))/float64(len(all)), 0.1, "share of the %d groups", len(all))
		kept[frac] = groups
	}
	for g := range kept[0.25] {
		require.True(t, kept[0.5][g], "group %s of the 0.25 share is in the 0.5 share", g)
	}
	for _, s := range main.ls.snippets {
		require.NotEqual(t, splitUnused, s.split, "main is not changed")
	}
}

// train_fraction is a share in [0, 1], named when it is not.
func TestTrainFractionValidated(t *testing.T) {
	c, err := Load("debugbench.toml")
	require.NoError(t, err)
	for _, f := range []float64{-0.1, 1.5} {
		c.Eval.TrainFraction = f
		require.ErrorContains(t, c.Validate(), "eval.train_fraction")
	}
	c.Eval.TrainFraction = 0.25
	require.NoError(t, c.Validate())
}

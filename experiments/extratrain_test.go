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

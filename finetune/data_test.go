package finetune

import (
	"slices"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/states/extract"
)

// TestListsFromScan: rows are filtered by split, grouped by snippet in order of first
// appearance, sorted by line, and mapped through the feature function.
func TestListsFromScan(t *testing.T) {
	rows := []extract.Row{
		{SnippetID: "b", Split: "train", Line: 3, Label: 1, States: [][]float32{{3}}},
		{SnippetID: "b", Split: "train", Line: 1, Label: 0, States: [][]float32{{1}}},
		{SnippetID: "x", Split: "test", Line: 0, States: [][]float32{{9}}},
		{SnippetID: "a", Split: "train", Line: 0, Label: 0, States: [][]float32{{5}}},
		{SnippetID: "b", Split: "train", Line: 7, Label: 0, States: [][]float32{{7}}},
	}
	scan := func(rs []extract.Row) func(func(int, extract.Row) error) error {
		return func(fn func(int, extract.Row) error) error {
			for _, r := range rs {
				if err := fn(0, r); err != nil {
					return err
				}
			}
			return nil
		}
	}
	double := func(s [][]float32) ([][]float32, error) {
		out := make([][]float32, len(s))
		for i, v := range s {
			out[i] = []float32{2 * v[0], 1}
		}
		return out, nil
	}
	lists, err := listsFromScan("d", "train", scan(rows), double)
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != 2 || lists[0].ID != "b" || lists[1].ID != "a" {
		t.Fatalf("lists %+v", lists)
	}
	if !slices.Equal(lists[0].Labels, []int32{0, 1, 0}) || lists[0].Features[0][0] != 2 || lists[0].Features[2][0] != 14 {
		t.Errorf("list b = %+v", lists[0])
	}
	dup := append(slices.Clone(rows), extract.Row{SnippetID: "a", Split: "train", Line: 0, States: [][]float32{{5}}})
	if _, err := listsFromScan("d", "train", scan(dup), double); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate line: err = %v", err)
	}
}

func TestPCATransformLists(t *testing.T) {
	lists := synthTask(20, 10, 6, 2, false)
	p, err := FitPCA(Rows(lists), 3)
	if err != nil {
		t.Fatal(err)
	}
	red := p.TransformLists(lists)
	if len(red) != len(lists) || len(red[4].Features[0]) != 3 || red[4].ID != lists[4].ID || len(red[4].Labels) != len(lists[4].Labels) {
		t.Errorf("TransformLists gave %+v", red[4])
	}
}

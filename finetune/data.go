package finetune

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

// ListsFromStates reads the lines of one split of an extraction directory (states/extract) and
// turns each snippet into a List whose features are the SAE latents of its lines' states at the
// SAE's hook (sae.Config.HookName). Lists come in the order their snippets first appear in the
// shards, lines in line order; List.ID is the snippet_id. Errors name the directory.
func ListsFromStates(statesDir string, sae *pretrain.SAE, split string) ([]List, error) {
	if sae == nil {
		return nil, errors.New("finetune: ListsFromStates: no SAE (use ListsFromRawStates for the raw-state probe)")
	}
	hook := sae.Config.HookName
	if hook == "" {
		return nil, errors.New("finetune: the SAE's cfg.json names no hook (hook_name)")
	}
	din := sae.Config.DIn
	return listsFromScan(statesDir, split, func(fn func(int, extract.Row) error) error {
		return extract.ScanRows(statesDir, []string{hook}, fn)
	}, func(states [][]float32) ([][]float32, error) {
		for i, s := range states {
			if len(s) != din {
				return nil, fmt.Errorf("line %d: state of length %d at %s, but the SAE takes %d", i, len(s), hook, din)
			}
		}
		return sae.EncodeBatch(states), nil
	})
}

// ListsFromRawStates is ListsFromStates with the raw hidden states at hook as features (the
// "probe on raw states" baseline; reduce them with FitPCA / PCA.TransformLists for the PCA probe).
func ListsFromRawStates(statesDir, hook, split string) ([]List, error) {
	if hook == "" {
		return nil, errors.New("finetune: ListsFromRawStates: empty hook")
	}
	return listsFromScan(statesDir, split, func(fn func(int, extract.Row) error) error {
		return extract.ScanRows(statesDir, []string{hook}, fn)
	}, func(states [][]float32) ([][]float32, error) { return states, nil })
}

// listsFromScan groups the rows of split given by scan into lists and maps each list's states
// (Row.States[0]) through features.
func listsFromScan(dir, split string, scan func(func(int, extract.Row) error) error, features func([][]float32) ([][]float32, error)) ([]List, error) {
	type line struct {
		no    int32
		label int32
		state []float32
	}
	index := map[string]int{}
	var ids []string
	var lines [][]line
	err := scan(func(_ int, r extract.Row) error {
		if r.Split != split {
			return nil
		}
		if len(r.States) != 1 {
			return fmt.Errorf("snippet %q line %d: %d state vectors, want 1", r.SnippetID, r.Line, len(r.States))
		}
		i, ok := index[r.SnippetID]
		if !ok {
			i = len(ids)
			index[r.SnippetID] = i
			ids = append(ids, r.SnippetID)
			lines = append(lines, nil)
		}
		lines[i] = append(lines[i], line{r.Line, r.Label, r.States[0]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finetune: states %s: %w", dir, err)
	}
	out := make([]List, len(ids))
	for i, id := range ids {
		ls := lines[i]
		sort.SliceStable(ls, func(a, b int) bool { return ls[a].no < ls[b].no })
		l := List{ID: id, Labels: make([]int32, len(ls))}
		states := make([][]float32, len(ls))
		for j, x := range ls {
			if j > 0 && x.no == ls[j-1].no {
				return nil, fmt.Errorf("finetune: states %s: snippet %q has line %d twice", dir, id, x.no)
			}
			l.Labels[j], states[j] = x.label, x.state
		}
		f, err := features(states)
		if err != nil {
			return nil, fmt.Errorf("finetune: states %s: snippet %q: %w", dir, id, err)
		}
		l.Features = f
		out[i] = l
	}
	return out, nil
}

// TransformLists projects the features of every line of lists (new lists; labels shared).
func (p *PCA) TransformLists(lists []List) []List {
	out := make([]List, len(lists))
	for i, l := range lists {
		out[i] = List{ID: l.ID, Labels: l.Labels, Features: p.TransformAll(l.Features)}
	}
	return out
}

// Rows returns every line's features of lists, in order (e.g. to fit a PCA on the training lines).
func Rows(lists []List) [][]float32 {
	var rows [][]float32
	for _, l := range lists {
		rows = append(rows, l.Features...)
	}
	return rows
}

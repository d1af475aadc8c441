package extract

import (
	"context"
	"fmt"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// Lines scores snippets in memory (for `pttrust score`): it returns the rows an Extract run with
// the same model and settings would write for these snippets, in input order, and the problems
// (Problem.Snippet indexes snippets). cfg's paths (ModelDir, DataPath, OutDir), ShardSnippets
// and Backend are not used; the other fields are checked and defaulted as for Extract. The rows
// are those of a shard holding all the snippets: snippets are packed into batches in groups of
// the same size as Extract's, so a shard size of at least len(snippets) gives the same batches.
func Lines(ctx context.Context, m *models.Model, tok *tokenizer.Tokenizer, cfg Config, snippets []datasets.Snippet) ([]Row, []Problem, error) {
	r, err := resolve(cfg, m)
	if err != nil {
		return nil, nil, fmt.Errorf("states extract: %w", err)
	}
	u := newRunner(ctx, r, m, tok, newProgress(nil, len(snippets), 0))
	var rows []Row
	var probs []Problem
	for start := 0; start < len(snippets); start += packSnippets {
		group := make([]indexed, 0, packSnippets)
		for i, s := range snippets[start:min(start+packSnippets, len(snippets))] {
			group = append(group, indexed{start + i, s})
		}
		rs, ps, _, err := u.run(group)
		if err != nil {
			return nil, nil, fmt.Errorf("states extract: %w", err)
		}
		rows = append(rows, rs...)
		probs = append(probs, ps...)
	}
	return rows, probs, nil
}

package extract

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
	"golang.org/x/sync/errgroup"
)

// indexed is an input snippet with its row in the input.
type indexed struct {
	index int
	s     datasets.Snippet
}

// runner turns groups of snippets into rows: it tokenizes and plans them (prepare), packs their
// windows into batches, runs the batches and fills the rows. Extract and Lines share it, so the
// same snippets and settings give the same rows on both paths.
type runner struct {
	ctx          context.Context
	r            *resolved
	m            *models.Model
	tok          *tokenizer.Tokenizer
	p            *progress
	withTemplate bool
	hooks        []string // requested of every pass

	mu      sync.Mutex     // guards what follows and the progress counters: batches run at once
	forward time.Duration  // time in forward passes (summed over the passes running at once)
	shapes  map[[2]int]int // passes by padded shape [batch rows, length]
}

func newRunner(ctx context.Context, r *resolved, m *models.Model, tok *tokenizer.Tokenizer, p *progress) *runner {
	u := &runner{ctx: ctx, r: r, m: m, tok: tok, p: p, withTemplate: len(tok.EncodeWithSpecial("")) > 0,
		shapes: map[[2]int]int{}}
	u.hooks = slices.Clone(r.Hooks)
	if !r.NoTokenStats {
		u.hooks = append(u.hooks, models.HookTokenLogProb, models.HookTokenEntropy)
	}
	if r.attnLayer >= 0 {
		u.hooks = append(u.hooks, models.AttnLookback(r.attnLayer))
	}
	return u
}

// item is one window of one snippet, a row of a batch.
type item struct {
	w   *snippetWork
	win int
	ids []int32
}

// run prepares a group of snippets, packs their windows into batches, runs them and returns the
// rows, in input order, the problems, and the tokens of the snippets that were run. Batches
// depend only on the group.
func (u *runner) run(group []indexed) (rows []Row, probs []Problem, tokens int, err error) {
	var works []*snippetWork
	var items []item
	for _, c := range group {
		w, ps := prepare(u.r, u.tok, u.withTemplate, c.index, c.s)
		for _, pr := range ps {
			u.p.message("%s", pr)
		}
		probs = append(probs, ps...)
		u.p.problems += len(ps)
		if w == nil {
			continue
		}
		works = append(works, w)
		tokens += w.tokens
		for i, win := range w.wins {
			items = append(items, item{w: w, win: i, ids: w.ids[win.start:win.end]})
		}
	}
	u.p.groupSnippets, u.p.groupTokens, u.p.groupRun = len(group), 0, 0
	for _, it := range items {
		u.p.groupTokens += len(it.ids)
	}
	// Longest first; ties in input order: batches depend only on the group.
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(len(b.ids), len(a.ids)) })
	heads := u.m.Config.NumHeads
	if u.r.attnLayer < 0 {
		heads = 0 // no attention scores to bound
	}
	var batches [][]item
	for len(items) > 0 {
		n := batchSize(len(items), len(items[0].ids), u.r.BatchTokens, heads)
		batches = append(batches, items[:n])
		items = items[n:]
	}
	if err := u.runAll(batches); err != nil {
		return nil, nil, 0, err
	}
	for _, w := range works {
		rows = append(rows, w.rows...)
		u.p.lines += len(w.rows)
	}
	u.p.done += len(group)
	u.p.groupSnippets, u.p.groupTokens, u.p.groupRun = 0, 0, 0
	u.p.update(false)
	return rows, probs, tokens, nil
}

// runAll runs the batches, up to workers of them at once, and returns the first error (the
// context's when it is cancelled). Each batch fills the rows of its own windows, and a pass gives
// the same numbers whatever runs beside it, so the rows do not depend on the order the batches
// finish in.
func (u *runner) runAll(batches [][]item) error {
	g, ctx := errgroup.WithContext(u.ctx)
	g.SetLimit(u.r.workers())
	for _, b := range batches {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return u.runBatch(b)
		})
	}
	return g.Wait()
}

// runBatch runs one batch (longest item first) and fills the rows of the lines it scores.
func (u *runner) runBatch(batch []item) error {
	n := len(batch)
	req := models.Request{Hooks: u.hooks, Positions: make([][]int32, n)}
	ids := make([][]int32, n)
	if u.r.attnLayer >= 0 {
		req.LookbackStart = make([][]int32, n)
	}
	real := 0
	for i, it := range batch {
		ids[i] = it.ids
		req.Positions[i] = it.w.statePositions(it.win)
		real += len(it.ids)
		if req.LookbackStart != nil {
			req.LookbackStart[i] = it.w.lookbackStart(it.win)
		}
	}
	t0 := time.Now()
	res, err := u.m.Run(ids, req)
	took := time.Since(t0)
	if err != nil {
		return err
	}
	for i, it := range batch {
		it.w.fill(u.r, it.win, res, i)
	}
	shape := [2]int{models.BucketLen(n), models.BucketLen(len(batch[0].ids))}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.forward += took
	u.shapes[shape]++
	u.p.tokens += real
	u.p.real += real
	u.p.groupRun += real
	u.p.padded += shape[0] * shape[1]
	u.p.rect += n * len(batch[0].ids)
	u.p.update(false)
	return nil
}

// scoresBudget bounds the attention scores of one batch (batch x heads x len x len floats) that
// the lookback ratio materialises inside the graph.
const scoresBudget = 32 << 20

// batchSize picks how many of the remaining items (longest first, the first of length maxLen)
// go into the next batch: as many as fit BatchTokens at the bucketed length and the scores
// budget, rounded down to a power of two so that the backend pads no extra rows.
func batchSize(remaining, maxLen, batchTokens, heads int) int {
	s := models.BucketLen(maxLen)
	n := max(1, batchTokens/s)
	n = min(n, max(1, scoresBudget/(max(1, heads)*s*s)), remaining)
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}

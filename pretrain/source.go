package pretrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/states/extract"
)

// Item is one unit of training data: a line's state vector and the state vectors of its mutated
// counterparts (the same line in mutated copies of its program; often none). Every vector is a
// training line; each (Line, Mutants[i]) is a contrastive pair. An item moves through the shuffle
// buffer and into a batch as one piece, so its pairs are always in the same batch.
type Item struct {
	Line    []float32
	Mutants [][]float32
}

// SourceInfo describes a Source's data; it is recorded in cfg.json.
type SourceInfo struct {
	// Dim is the length of every vector.
	Dim int
	// Hook is the hook point the states were read at ("" when unknown; "a+b": concatenated).
	Hook string
	// Layer is the hook's block index (-1 when it has none; the deepest part's for a
	// concatenated hook).
	Layer int
	// ModelID names the model the states came from.
	ModelID string
	// DataHash identifies the data (the SHA-256 of the states manifest, for Train).
	DataHash string
}

// Source streams the training data. Scan must hand over the same items in the same order on
// every call; the trainer shuffles them (ShuffleBuffer) and calls Scan once per epoch, and once
// more at the start to initialise b_pre. Scan may stop early when fn returns an error, and must
// then return that error.
type Source interface {
	Info() SourceInfo
	Scan(ctx context.Context, fn func(Item) error) error
}

// SliceSource is a Source over items held in memory (tests, small data).
type SliceSource struct {
	Items []Item
	Meta  SourceInfo
}

// Info implements Source. Dim is taken from the first item when Meta.Dim is 0.
func (s *SliceSource) Info() SourceInfo {
	m := s.Meta
	if m.Dim == 0 && len(s.Items) > 0 {
		m.Dim = len(s.Items[0].Line)
	}
	return m
}

// Scan implements Source.
func (s *SliceSource) Scan(ctx context.Context, fn func(Item) error) error {
	for i, it := range s.Items {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

// StatesSource streams the line states of one hook from an extraction directory
// (states/extract: manifest.json and Parquet shards), joining each mutated line (a buggy row with
// label 1 and original_line >= 0) to the line original_line of the clean snippet with the same
// pair_id. Extraction writes a program's clean rows before its mutants' rows, so the join holds
// only the rows of the current pair_id; a mutated line whose original was not scored (blank,
// punctuation) or not seen before it is a line without a pair.
type StatesSource struct {
	Dir   string
	Hook  string
	Split string
	info  SourceInfo
}

// OpenStates reads dir's manifest and checks the hook (empty: the manifest's first hook).
func OpenStates(dir, hook, split string) (*StatesSource, error) {
	man, err := extract.ReadManifest(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("pretrain: states_dir %s: no %s (run pttrust states extract first)", dir, extract.ManifestName)
		}
		return nil, fmt.Errorf("pretrain: states_dir: %w", err)
	}
	if !man.Complete {
		return nil, fmt.Errorf("pretrain: states_dir %s: the extraction is not complete; rerun pttrust states extract to finish it", dir)
	}
	if len(man.Settings.Hooks) == 0 {
		return nil, fmt.Errorf("pretrain: states_dir %s: the manifest lists no hooks", dir)
	}
	if hook == "" {
		hook = man.Settings.Hooks[0]
	}
	parts := models.HookParts(hook) // a concatenated hook ("a+b") reads each part's column
	layer := -1
	for _, p := range parts {
		if !slices.Contains(man.Settings.Hooks, p) {
			return nil, fmt.Errorf("pretrain: hook %q is not in %s (extracted: %v)", p, filepath.Join(dir, extract.ManifestName), man.Settings.Hooks)
		}
		layer = max(layer, HookLayer(p))
	}
	raw, err := os.ReadFile(filepath.Join(dir, extract.ManifestName))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	s := &StatesSource{Dir: dir, Hook: hook, Split: split, info: SourceInfo{
		Dim: len(parts) * man.Settings.Model.DModel, Hook: hook, Layer: layer, ModelID: man.Settings.Model.Source,
		DataHash: hex.EncodeToString(sum[:]),
	}}
	if s.info.ModelID == "" {
		s.info.ModelID = man.ModelDir
	}
	return s, nil
}

// HookLayer is the block index in a hook name ("blocks.5.resid_post" -> 5), -1 when none.
func HookLayer(hook string) int {
	rest, ok := strings.CutPrefix(hook, "blocks.")
	if !ok {
		return -1
	}
	n, _, _ := strings.Cut(rest, ".")
	l, err := strconv.Atoi(n)
	if err != nil {
		return -1
	}
	return l
}

// Info implements Source.
func (s *StatesSource) Info() SourceInfo { return s.info }

// Scan implements Source.
func (s *StatesSource) Scan(ctx context.Context, fn func(Item) error) error {
	type line struct {
		vec     []float32
		mutants [][]float32
	}
	var (
		pairID string
		clean  = map[int32]*line{} // the current pair's clean lines by line number
		order  []int32             // their order
		n      int
	)
	flush := func() error {
		for _, ln := range order {
			l := clean[ln]
			if err := fn(Item{Line: l.vec, Mutants: l.mutants}); err != nil {
				return err
			}
		}
		clear(clean)
		order = order[:0]
		return nil
	}
	err := extract.ScanRows(s.Dir, models.HookParts(s.Hook), func(_ int, r extract.Row) error {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if r.PairID != pairID {
			if err := flush(); err != nil {
				return err
			}
			pairID = r.PairID
		}
		if s.Split != "" && r.Split != s.Split {
			return nil
		}
		vec := models.ConcatStates(r.States)
		if len(vec) != s.info.Dim {
			return fmt.Errorf("pretrain: %s: snippet %s line %d: state has %d values, the manifest's d_model is %d", s.Dir, r.SnippetID, r.Line, len(vec), s.info.Dim)
		}
		if len(r.States) == 1 { // the row's own buffer (a concatenation is a new slice already)
			vec = slices.Clone(vec)
		}
		if r.Role == "clean" {
			if _, dup := clean[r.Line]; !dup {
				order = append(order, r.Line)
			}
			clean[r.Line] = &line{vec: vec}
			return nil
		}
		if r.Label == 1 && r.OriginalLine >= 0 {
			if orig, ok := clean[r.OriginalLine]; ok {
				orig.mutants = append(orig.mutants, vec)
				return nil
			}
		}
		return fn(Item{Line: vec})
	})
	if err != nil {
		return err
	}
	return flush()
}

// shuffled streams src's items through a buffer of at most bufLines lines, emitting a random
// buffered item (rng) whenever the buffer is full, then the rest in random order.
func shuffled(ctx context.Context, src Source, bufLines int, rng *rand.Rand, fn func(Item) error) error {
	var buf []Item
	lines := 0
	pop := func() error {
		i := rng.IntN(len(buf))
		it := buf[i]
		buf[i] = buf[len(buf)-1]
		buf[len(buf)-1] = Item{}
		buf = buf[:len(buf)-1]
		lines -= 1 + len(it.Mutants)
		return fn(it)
	}
	err := src.Scan(ctx, func(it Item) error {
		buf = append(buf, it)
		lines += 1 + len(it.Mutants)
		for lines > bufLines && len(buf) > 0 {
			if err := pop(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for len(buf) > 0 {
		if err := pop(); err != nil {
			return err
		}
	}
	return nil
}

// batch is one step's input: rows of vectors, the pairs among them, and which rows are real.
type batch struct {
	x      []float32 // [B, dim], row-major; padding rows are zero
	rows   int       // real rows (the first rows of x)
	pa, pb []int32   // [B] pair row indices (padding pairs: 0, 0)
	pw     []float32 // [B] 1 for a real pair
	pairs  int
}

// batcher packs items into batches of exactly size rows (the last one of an epoch may be
// partial). An item that does not fit in the current batch waits for the next one, while
// smaller items fill the current batch.
type batcher struct {
	size, dim int
	pending   []Item
	cur       *batch
	emit      func(*batch) error
}

func newBatch(size, dim int) *batch {
	return &batch{x: make([]float32, size*dim), pa: make([]int32, size), pb: make([]int32, size), pw: make([]float32, size)}
}

// add places it (truncated to size lines) into the current batch or holds it.
func (b *batcher) add(it Item) error {
	if len(it.Mutants) >= b.size {
		it.Mutants = it.Mutants[:b.size-1]
	}
	if b.cur == nil {
		b.cur = newBatch(b.size, b.dim)
	}
	if b.cur.rows+1+len(it.Mutants) > b.size {
		b.pending = append(b.pending, it)
		if len(b.pending) < 64 {
			return nil
		}
		// Too many large items waiting: close the batch short (rare).
		return b.flush(false)
	}
	b.place(it)
	if b.cur.rows == b.size {
		return b.flush(false)
	}
	return nil
}

func (b *batcher) place(it Item) {
	c := b.cur
	orig := c.rows
	copy(c.x[c.rows*b.dim:], it.Line)
	c.rows++
	for _, m := range it.Mutants {
		copy(c.x[c.rows*b.dim:], m)
		c.pa[c.pairs], c.pb[c.pairs], c.pw[c.pairs] = int32(orig), int32(c.rows), 1
		c.pairs++
		c.rows++
	}
}

// flush emits the current batch (when it has rows) and starts the next one with the pending
// items; final also emits what is left.
func (b *batcher) flush(final bool) error {
	for {
		if b.cur != nil && b.cur.rows > 0 {
			if err := b.emit(b.cur); err != nil {
				return err
			}
		}
		b.cur = newBatch(b.size, b.dim)
		pend := b.pending
		b.pending = nil
		for i, it := range pend {
			if b.cur.rows+1+len(it.Mutants) > b.size {
				b.pending = append(b.pending, pend[i:]...)
				break
			}
			b.place(it)
		}
		if b.cur.rows == b.size || (final && len(b.pending) > 0) {
			continue
		}
		if final && b.cur.rows > 0 {
			if err := b.emit(b.cur); err != nil {
				return err
			}
			b.cur = nil
		}
		return nil
	}
}

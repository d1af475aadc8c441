package tokenizer

import (
	"slices"
	"sort"
	"strings"
)

// trainResult is the outcome of trainBPE in byte-level vocabulary form.
type trainResult struct {
	vocab  []string    // by id: special tokens, then the 256 byte tokens, then merged tokens
	merges [][2]string // in rank order
}

// bpeTrainer holds the state of the standard incremental BPE training algorithm: the
// distinct words as token sequences with their counts, the count of every adjacent pair of
// tokens, an index from each pair to the words that (may) contain it, and a max-heap of
// pairs by count whose entries are refreshed lazily.
type bpeTrainer struct {
	// Words: word i is syms[off[i] : off[i]+n[i]], occurring cnt[i] times. Merging shrinks
	// a word in place.
	syms []int32
	off  []int
	n    []int32
	cnt  []int64

	tok    []string         // raw bytes of each token id ("" for special tokens)
	tokID  map[string]int32 // raw bytes → id, for merged tokens that already exist
	counts map[uint64]int64 // current count of each pair present in some word
	where  map[uint64][]int32
	heap   pairHeap
	seen   []int32 // per word: the last merge step that visited it (+1)

	touched map[uint64]struct{} // pairs whose count grew during the current merge
}

// trainBPE learns merges from word counts.
func trainBPE(words map[string]int64, opts *TrainOptions) trainResult {
	nSpecial := len(opts.SpecialTokens)
	tr := &bpeTrainer{
		tok:     make([]string, nSpecial, min(opts.VocabSize, 1<<16)), // only a hint
		tokID:   map[string]int32{},
		counts:  map[uint64]int64{},
		where:   map[uint64][]int32{},
		touched: map[uint64]struct{}{},
	}
	tr.heap.tok = &tr.tok

	// Byte tokens in code point order of their byte-level characters (GPT-2's order).
	order := make([]int, 256)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return byteToRune[order[i]] < byteToRune[order[j]] })
	var byteID [256]int32
	for _, b := range order {
		byteID[b] = int32(len(tr.tok))
		tr.tokID[string([]byte{byte(b)})] = int32(len(tr.tok))
		tr.tok = append(tr.tok, string([]byte{byte(b)}))
	}

	// Words in sorted order, so that nothing depends on map iteration order.
	keys := make([]string, 0, len(words))
	total := 0
	for w := range words {
		keys = append(keys, w)
		total += len(w)
	}
	slices.Sort(keys)
	tr.syms = make([]int32, 0, total)
	for _, w := range keys {
		tr.off = append(tr.off, len(tr.syms))
		tr.n = append(tr.n, int32(len(w)))
		tr.cnt = append(tr.cnt, words[w])
		for i := 0; i < len(w); i++ {
			tr.syms = append(tr.syms, byteID[w[i]])
		}
	}
	tr.seen = make([]int32, len(keys))
	tr.initPairs()

	specials := map[string]bool{}
	for _, s := range opts.SpecialTokens {
		specials[s] = true
	}
	minFreq := int64(max(opts.MinFrequency, 1))
	var merges [][2]int32
	merged := map[uint64]bool{}
	for step := int32(1); len(tr.tok) < opts.VocabSize; step++ {
		p, c, ok := tr.best()
		if !ok || c < minFreq {
			break
		}
		a, b := int32(p>>32), int32(uint32(p))
		s := tr.tok[a] + tr.tok[b]
		if specials[byteLevelString(s)] {
			// The merged token would read as a special token: never make it.
			tr.drop(p)
			continue
		}
		id, exists := tr.tokID[s]
		if !exists {
			id = int32(len(tr.tok))
			tr.tok = append(tr.tok, s)
			tr.tokID[s] = id
		}
		if !merged[p] {
			// A pair merged before can reappear only when a merge re-creates an existing
			// token; it is applied again but recorded once (its rank is the first one).
			merged[p] = true
			merges = append(merges, [2]int32{a, b})
		}
		tr.apply(p, id, step)
	}

	res := trainResult{vocab: make([]string, len(tr.tok))}
	copy(res.vocab, opts.SpecialTokens)
	for id := nSpecial; id < len(tr.tok); id++ {
		res.vocab[id] = byteLevelString(tr.tok[id])
	}
	res.merges = make([][2]string, len(merges))
	for i, m := range merges {
		res.merges[i] = [2]string{res.vocab[m[0]], res.vocab[m[1]]}
	}
	return res
}

// word returns the current tokens of word i.
func (tr *bpeTrainer) word(i int) []int32 {
	return tr.syms[tr.off[i] : tr.off[i]+int(tr.n[i])]
}

// initPairs counts all adjacent pairs and fills the index and the heap.
func (tr *bpeTrainer) initPairs() {
	for i := range tr.off {
		w := tr.word(i)
		for k := 0; k+1 < len(w); k++ {
			p := pairKey(w[k], w[k+1])
			tr.counts[p] += tr.cnt[i]
			ws := tr.where[p]
			if len(ws) == 0 || ws[len(ws)-1] != int32(i) {
				tr.where[p] = append(ws, int32(i))
			}
		}
	}
	keys := make([]uint64, 0, len(tr.counts))
	for p := range tr.counts {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	for _, p := range keys {
		tr.heap.push(heapEntry{count: tr.counts[p], pair: p})
	}
}

// best pops the pair with the highest current count (ties: smallest byte strings).
// Entries whose stored count is out of date are re-queued with the current count.
func (tr *bpeTrainer) best() (uint64, int64, bool) {
	for tr.heap.len() > 0 {
		e := tr.heap.pop()
		c := tr.counts[e.pair]
		if c == e.count {
			return e.pair, c, true
		}
		if c > 0 {
			tr.heap.push(heapEntry{count: c, pair: e.pair})
		}
	}
	return 0, 0, false
}

// drop forgets pair p; it is not merged.
func (tr *bpeTrainer) drop(p uint64) {
	delete(tr.counts, p)
	delete(tr.where, p)
}

// apply merges pair p into token id in every word that contains it, updating pair counts,
// the index and the heap.
func (tr *bpeTrainer) apply(p uint64, id, step int32) {
	a, b := int32(p>>32), int32(uint32(p))
	for _, wi := range tr.where[p] {
		if tr.seen[wi] == step {
			continue // listed twice
		}
		tr.seen[wi] = step
		tr.mergeWord(int(wi), a, b, id)
	}
	delete(tr.counts, p)
	delete(tr.where, p)
	for q := range tr.touched {
		if c := tr.counts[q]; c > 0 {
			tr.heap.push(heapEntry{count: c, pair: q})
		}
		delete(tr.touched, q)
	}
}

// mergeWord replaces the non-overlapping occurrences of (a, b), leftmost first, in word wi
// by id, and updates the counts of the neighboring pairs as the reference Word::merge does.
func (tr *bpeTrainer) mergeWord(wi int, a, b, id int32) {
	w := tr.word(wi)
	cnt := tr.cnt[wi]
	j := 0
	for i := 0; i < len(w); {
		if i+1 < len(w) && w[i] == a && w[i+1] == b {
			if j > 0 {
				prev := w[j-1]
				tr.add(pairKey(prev, a), -cnt, wi)
				tr.add(pairKey(prev, id), cnt, wi)
			}
			if i+2 < len(w) {
				next := w[i+2]
				tr.add(pairKey(b, next), -cnt, wi)
				tr.add(pairKey(id, next), cnt, wi)
			}
			w[j] = id
			i += 2
		} else {
			w[j] = w[i]
			i++
		}
		j++
	}
	tr.n[wi] = int32(j)
}

// add changes the count of pair q by d; for a positive d it records that word wi holds q.
func (tr *bpeTrainer) add(q uint64, d int64, wi int) {
	c := tr.counts[q] + d
	if c <= 0 {
		delete(tr.counts, q)
	} else {
		tr.counts[q] = c
	}
	if d > 0 {
		ws := tr.where[q]
		if len(ws) == 0 || ws[len(ws)-1] != int32(wi) {
			tr.where[q] = append(ws, int32(wi))
		}
		tr.touched[q] = struct{}{}
	}
}

// heapEntry is a pair with its count when queued.
type heapEntry struct {
	count int64
	pair  uint64
}

// pairHeap is a binary max-heap of pairs by count; equal counts order by the pairs' byte
// strings, smallest first.
type pairHeap struct {
	items []heapEntry
	tok   *[]string
}

// before reports whether x is popped before y.
func (h *pairHeap) before(x, y heapEntry) bool {
	if x.count != y.count {
		return x.count > y.count
	}
	tok := *h.tok
	if c := strings.Compare(tok[x.pair>>32], tok[y.pair>>32]); c != 0 {
		return c < 0
	}
	return tok[uint32(x.pair)] < tok[uint32(y.pair)]
}

func (h *pairHeap) len() int { return len(h.items) }

func (h *pairHeap) push(x heapEntry) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.before(h.items[i], h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *pairHeap) pop() heapEntry {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.before(h.items[l], h.items[m]) {
			m = l
		}
		if r < last && h.before(h.items[r], h.items[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}

package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// bpeModel is a BPE model: vocabulary, merge ranks and the options of tokenizer.json's
// "model" object. It encodes one pre-tokenized piece at a time, reporting byte offsets
// relative to the piece.
type bpeModel struct {
	vocab        map[string]int
	merges       map[uint64]mergeRule
	byteLevel    bool        // pieces are raw bytes, mapped through bytes_to_unicode
	byteStr      [256]string // bytes_to_unicode as strings
	byteIDs      [256]int32  // id of each byte's single-character token, -1 if absent
	fallbackIDs  [256]int32  // id of "<0xNN>" for byte_fallback, -1 if absent
	unk          int         // -1 if none
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	cache        *wordCache
}

// mergeRule is the rank of a merge (lower merges first) and the id of the merged token.
type mergeRule struct{ rank, newID int32 }

// bpeTok is one token of a piece: id and byte range [a, b) within the piece.
type bpeTok struct{ id, a, b int32 }

// pairKey packs two token ids into a map key.
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newBPE builds the model from the vocabulary and the merges as (left, right) pairs.
func newBPE(vocab map[string]int, merges [][2]string, m *modelJSON, byteLevel bool) (*bpeModel, error) {
	b := &bpeModel{
		vocab:        vocab,
		merges:       make(map[uint64]mergeRule, len(merges)),
		byteLevel:    byteLevel,
		unk:          -1,
		fuseUnk:      m.FuseUnk,
		byteFallback: m.ByteFallback,
		ignoreMerges: m.IgnoreMerges,
		cache:        newWordCache(wordCacheCapacity),
	}
	if m.ContinuingSubwordPrefix != nil {
		b.prefix = *m.ContinuingSubwordPrefix
	}
	if m.EndOfWordSuffix != nil {
		b.suffix = *m.EndOfWordSuffix
	}
	if m.UnkToken != nil {
		id, ok := vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", *m.UnkToken)
		}
		b.unk = id
	}
	for i := range 256 {
		b.byteStr[i] = string(byteToRune[i])
		b.byteIDs[i] = lookup32(vocab, b.byteStr[i])
		b.fallbackIDs[i] = lookup32(vocab, fmt.Sprintf("<0x%02X>", i))
	}
	for rank, mg := range merges {
		l, okL := vocab[mg[0]]
		r, okR := vocab[mg[1]]
		if !okL || !okR {
			return nil, fmt.Errorf("merge %d (%q %q) uses a token that is not in the vocabulary", rank, mg[0], mg[1])
		}
		right := mg[1]
		if b.prefix != "" && len(right) >= len(b.prefix) && right[:len(b.prefix)] == b.prefix {
			right = right[len(b.prefix):]
		}
		n, ok := vocab[mg[0]+right]
		if !ok {
			return nil, fmt.Errorf("merge %d (%q %q) makes %q, which is not in the vocabulary", rank, mg[0], mg[1], mg[0]+right)
		}
		k := pairKey(int32(l), int32(r))
		if _, dup := b.merges[k]; !dup {
			b.merges[k] = mergeRule{rank: int32(rank), newID: int32(n)}
		}
	}
	return b, nil
}

// lookup32 returns vocab[s] or -1.
func lookup32(vocab map[string]int, s string) int32 {
	if id, ok := vocab[s]; ok {
		return int32(id)
	}
	return -1
}

// tokenize encodes one piece (raw bytes for byte-level models, text otherwise). The result
// may be shared with the cache and must not be modified.
func (b *bpeModel) tokenize(w string) []bpeTok {
	if w == "" {
		return nil
	}
	cacheable := len(w) <= maxCachedWordLen
	if cacheable {
		if toks, ok := b.cache.get(w); ok {
			return toks
		}
	}
	toks := b.tokenizeUncached(w)
	if cacheable {
		b.cache.put(w, toks)
	}
	return toks
}

// tokenizeUncached is tokenize without the cache.
func (b *bpeModel) tokenizeUncached(w string) []bpeTok {
	if b.ignoreMerges {
		key := w
		if b.byteLevel {
			key = byteLevelString(w)
		}
		if id, ok := b.vocab[key]; ok {
			return []bpeTok{{int32(id), 0, int32(len(w))}}
		}
	}
	syms := b.initialSymbols(w)
	b.mergeAll(syms)
	out := make([]bpeTok, 0, len(syms))
	for _, s := range syms {
		if !s.dead {
			out = append(out, bpeTok{s.id, s.a, s.b})
		}
	}
	return out
}

// symbol is a node of the doubly linked list that BPE merges.
type symbol struct {
	id         int32
	a, b       int32 // byte range in the piece
	prev, next int32 // neighbor indices, -1 at the ends
	dead       bool  // merged into its left neighbor
}

// initialSymbols splits w into characters (bytes for byte-level models) and maps them to
// ids, using byte_fallback or unk for characters that are not in the vocabulary, as the
// reference BPE::merge_word does.
func (b *bpeModel) initialSymbols(w string) []symbol {
	syms := make([]symbol, 0, len(w))
	add := func(id int32, a, e int) {
		syms = append(syms, symbol{id: id, a: int32(a), b: int32(e)})
	}
	unkID, unkA, unkB := int32(-1), 0, 0
	flushUnk := func() {
		if unkID >= 0 {
			add(unkID, unkA, unkB)
			unkID = -1
		}
	}
	plain := b.prefix == "" && b.suffix == ""
	for i := 0; i < len(w); {
		var end int
		var s string
		id := int32(-1)
		if b.byteLevel {
			end = i + 1
			if plain {
				id = b.byteIDs[w[i]]
			}
			s = b.byteStr[w[i]]
		} else {
			_, size := utf8.DecodeRuneInString(w[i:])
			end = i + size
			s = w[i:end]
		}
		if !plain {
			if i > 0 {
				s = b.prefix + s
			}
			if end == len(w) {
				s += b.suffix
			}
		}
		if id < 0 {
			id = lookup32(b.vocab, s)
		}
		switch {
		case id >= 0:
			flushUnk()
			add(id, i, end)
		case b.byteFallback && b.allFallback(s):
			for k := 0; k < len(s); k++ {
				a := min(i+k, end)
				add(b.fallbackIDs[s[k]], a, min(a+1, end))
			}
		case b.unk >= 0:
			if unkID >= 0 && b.fuseUnk {
				unkB = end
			} else {
				flushUnk()
				unkID, unkA, unkB = int32(b.unk), i, end
			}
		}
		i = end
	}
	flushUnk()
	for k := range syms {
		syms[k].prev = int32(k - 1)
		syms[k].next = int32(k + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// allFallback reports whether every byte of s has a "<0xNN>" token.
func (b *bpeModel) allFallback(s string) bool {
	for k := 0; k < len(s); k++ {
		if b.fallbackIDs[s[k]] < 0 {
			return false
		}
	}
	return true
}

// mergeAll applies merges in rank order (leftmost first among equal ranks) until none
// applies, like the reference Word::merge_all without dropout.
func (b *bpeModel) mergeAll(syms []symbol) {
	if len(syms) < 2 {
		return
	}
	var h mergeHeap
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := b.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h.push(mergeItem{rank: m.rank, pos: int32(i), newID: m.newID})
		}
	}
	for h.len() > 0 {
		top := h.pop()
		cur := &syms[top.pos]
		if cur.dead || cur.next < 0 {
			continue
		}
		right := &syms[cur.next]
		m, ok := b.merges[pairKey(cur.id, right.id)]
		if !ok || m.newID != top.newID {
			continue // stale entry
		}
		cur.id = top.newID
		cur.b = right.b
		right.dead = true
		cur.next = right.next
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			p := &syms[cur.prev]
			if m, ok := b.merges[pairKey(p.id, cur.id)]; ok {
				h.push(mergeItem{rank: m.rank, pos: cur.prev, newID: m.newID})
			}
		}
		if cur.next >= 0 {
			if m, ok := b.merges[pairKey(cur.id, syms[cur.next].id)]; ok {
				h.push(mergeItem{rank: m.rank, pos: top.pos, newID: m.newID})
			}
		}
	}
}

// mergeItem is a candidate merge of the symbol at pos with its right neighbor.
type mergeItem struct{ rank, pos, newID int32 }

// less orders by rank, then position.
func (x mergeItem) less(y mergeItem) bool {
	return x.rank < y.rank || (x.rank == y.rank && x.pos < y.pos)
}

// mergeHeap is a binary min-heap of merge candidates.
type mergeHeap struct{ items []mergeItem }

func (h *mergeHeap) len() int { return len(h.items) }

func (h *mergeHeap) push(x mergeItem) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.items[i].less(h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *mergeHeap) pop() mergeItem {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.items[l].less(h.items[m]) {
			m = l
		}
		if r < last && h.items[r].less(h.items[m]) {
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

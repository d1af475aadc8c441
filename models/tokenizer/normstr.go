package tokenizer

// span is a byte range [start, end) of the original input.
type span struct{ start, end int }

// normStr is text derived from the original input (normalized, pre-tokenized) that remembers,
// for each of its bytes, which original bytes it came from. A nil al means the identity
// mapping: byte i came from [base+i, base+i+1). Inserted text maps to an empty span.
type normStr struct {
	s    string
	base int
	al   []span
}

// identity returns the normStr for original bytes [base, base+len(s)).
func identity(s string, base int) normStr { return normStr{s: s, base: base} }

// at returns the original span of byte i of n.
func (n normStr) at(i int) span {
	if n.al == nil {
		return span{n.base + i, n.base + i + 1}
	}
	return n.al[i]
}

// orig returns the original span covered by bytes [a, b) of n. An empty range maps to an
// empty span at the position it would be inserted.
func (n normStr) orig(a, b int) span {
	if a < b {
		return span{n.at(a).start, n.at(b - 1).end}
	}
	switch {
	case n.al == nil:
		return span{n.base + a, n.base + a}
	case a < len(n.al):
		p := n.al[a].start
		return span{p, p}
	case len(n.al) > 0:
		p := n.al[len(n.al)-1].end
		return span{p, p}
	default:
		return span{n.base, n.base}
	}
}

// slice returns bytes [a, b) of n with their alignment.
func (n normStr) slice(a, b int) normStr {
	if n.al == nil {
		return normStr{s: n.s[a:b], base: n.base + a}
	}
	return normStr{s: n.s[a:b], base: n.orig(a, a).start, al: n.al[a:b]}
}

// normBuilder assembles a new normStr piece by piece.
type normBuilder struct {
	buf  []byte
	al   []span
	base int
}

// newBuilder starts a builder for text derived from n, sized for about len(n.s) bytes.
func newBuilder(n normStr) *normBuilder {
	return &normBuilder{buf: make([]byte, 0, len(n.s)+8), al: make([]span, 0, len(n.s)+8), base: n.orig(0, 0).start}
}

// insert appends s, all of whose bytes come from original span sp.
func (b *normBuilder) insert(s string, sp span) {
	b.buf = append(b.buf, s...)
	for range len(s) {
		b.al = append(b.al, sp)
	}
}

// copy appends bytes [i, j) of n with their own alignment.
func (b *normBuilder) copy(n normStr, i, j int) {
	b.buf = append(b.buf, n.s[i:j]...)
	for k := i; k < j; k++ {
		b.al = append(b.al, n.at(k))
	}
}

// done returns the assembled normStr.
func (b *normBuilder) done() normStr {
	return normStr{s: string(b.buf), base: b.base, al: b.al}
}

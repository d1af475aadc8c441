package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// gpt2Pattern is the split regex of the ByteLevel pre-tokenizer with use_regex: true.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// preTokenizer splits normalized text into the pieces the model encodes one by one.
type preTokenizer interface {
	// split appends the pieces of n to dst.
	split(dst []normStr, n normStr) []normStr
}

// buildPreTokenizer builds the pre-tokenizer described by raw (nil for JSON null) and
// reports whether it is byte-level (the model then encodes the bytes of each piece).
func buildPreTokenizer(raw json.RawMessage) (preTokenizer, bool, error) {
	c, err := decodeComponent(raw, "pre_tokenizer")
	if err != nil || c == nil {
		return nil, false, err
	}
	if c.Type != "Sequence" {
		p, bl, err := buildOnePreTokenizer(c)
		return p, bl, err
	}
	var seq seqPreTok
	byteLevel := false
	for i, child := range c.PreTokenizers {
		cc, err := decodeComponent(child, fmt.Sprintf("pre_tokenizer Sequence[%d]", i))
		if err != nil {
			return nil, false, err
		}
		if cc == nil {
			continue
		}
		if byteLevel {
			return nil, false, fmt.Errorf("pre_tokenizer Sequence[%d]: %s after ByteLevel is not supported", i, cc.Type)
		}
		p, bl, err := buildOnePreTokenizer(cc)
		if err != nil {
			return nil, false, fmt.Errorf("pre_tokenizer Sequence[%d]: %w", i, err)
		}
		byteLevel = bl
		if b, ok := p.(*byteLevelPreTok); ok && b.re == nil && !b.addPrefixSpace {
			continue // only marks the model byte-level; it splits nothing
		}
		seq = append(seq, p)
	}
	switch len(seq) {
	case 0:
		return nil, byteLevel, nil
	case 1:
		return seq[0], byteLevel, nil
	}
	return seq, byteLevel, nil
}

// buildOnePreTokenizer builds a non-Sequence pre-tokenizer.
func buildOnePreTokenizer(c *componentJSON) (preTokenizer, bool, error) {
	switch c.Type {
	case "Split":
		p, err := buildPattern(c.Pattern)
		if err != nil {
			return nil, false, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		beh, ok := parseBehavior(c.Behavior)
		if !ok {
			return nil, false, fmt.Errorf("pre_tokenizer Split: unsupported behavior %q", c.Behavior)
		}
		return &splitPreTok{pat: p, behavior: beh, invert: c.Invert}, false, nil
	case "ByteLevel":
		b := &byteLevelPreTok{addPrefixSpace: c.AddPrefixSpace != nil && *c.AddPrefixSpace}
		if c.UseRegex == nil || *c.UseRegex {
			p, err := compileRegex(gpt2Pattern)
			if err != nil {
				return nil, false, err
			}
			b.re = p
		}
		return b, true, nil
	case "Metaspace":
		m := &metaspacePreTok{replacement: c.Replacement, scheme: c.PrependScheme, splitOnMark: c.Split == nil || *c.Split}
		if m.replacement == "" {
			m.replacement = "▁"
		}
		if m.scheme == "" {
			// Older files: add_prefix_space true means "always".
			m.scheme = "always"
			if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
				m.scheme = "never"
			}
		}
		if m.scheme != "always" && m.scheme != "first" && m.scheme != "never" {
			return nil, false, fmt.Errorf("pre_tokenizer Metaspace: unsupported prepend_scheme %q", m.scheme)
		}
		return m, false, nil
	case "Digits":
		return digitsPreTok{individual: c.IndividualDigits}, false, nil
	default:
		return nil, false, fmt.Errorf("unsupported pre_tokenizer type %q (supported: Split, ByteLevel, Metaspace, Digits, Sequence)", c.Type)
	}
}

// seqPreTok applies pre-tokenizers in order, each to every piece of the previous one.
type seqPreTok []preTokenizer

func (s seqPreTok) split(dst []normStr, n normStr) []normStr {
	cur := []normStr{n}
	for _, p := range s {
		var next []normStr
		for _, c := range cur {
			next = p.split(next, c)
		}
		cur = next
	}
	return append(dst, cur...)
}

// splitPreTok is the Split pre-tokenizer.
type splitPreTok struct {
	pat      *pattern
	behavior splitBehavior
	invert   bool
}

func (s *splitPreTok) split(dst []normStr, n normStr) []normStr {
	ms := s.pat.findAll(n.s, nil)
	for _, r := range splitRanges(len(n.s), ms, s.invert, s.behavior) {
		dst = append(dst, n.slice(r[0], r[1]))
	}
	return dst
}

// byteLevelPreTok is the ByteLevel pre-tokenizer. The byte-to-unicode mapping itself is done
// by the model, which encodes the bytes of each piece.
type byteLevelPreTok struct {
	addPrefixSpace bool
	re             *pattern // nil when use_regex is false
}

func (b *byteLevelPreTok) split(dst []normStr, n normStr) []normStr {
	if b.addPrefixSpace && !strings.HasPrefix(n.s, " ") {
		nb := newBuilder(n)
		nb.insert(" ", n.orig(0, 0))
		nb.copy(n, 0, len(n.s))
		n = nb.done()
	}
	if b.re == nil {
		if n.s != "" {
			dst = append(dst, n)
		}
		return dst
	}
	ms := b.re.findAll(n.s, nil)
	for _, r := range splitRanges(len(n.s), ms, false, behaviorIsolated) {
		dst = append(dst, n.slice(r[0], r[1]))
	}
	return dst
}

// metaspacePreTok is the Metaspace pre-tokenizer: spaces become the replacement character,
// which is prepended per the scheme, and pieces start at each replacement character.
type metaspacePreTok struct {
	replacement string
	scheme      string
	splitOnMark bool
}

func (m *metaspacePreTok) split(dst []normStr, n normStr) []normStr {
	if strings.Contains(n.s, " ") {
		var ms [][2]int
		for i := 0; i < len(n.s); i++ {
			if n.s[i] == ' ' {
				ms = append(ms, [2]int{i, i + 1})
			}
		}
		n = replaceMatches(n, ms, m.replacement)
	}
	prepend := false
	switch m.scheme {
	case "always":
		prepend = !strings.HasPrefix(n.s, m.replacement)
	case "first":
		// Only for the piece that starts the input (not after an added token).
		prepend = !strings.HasPrefix(n.s, m.replacement) && n.orig(0, 0).start == 0
	}
	if prepend && n.s != "" {
		nb := newBuilder(n)
		nb.insert(m.replacement, n.orig(0, 0))
		nb.copy(n, 0, len(n.s))
		n = nb.done()
	}
	if !m.splitOnMark {
		if n.s != "" {
			dst = append(dst, n)
		}
		return dst
	}
	lit := &pattern{literal: m.replacement}
	for _, r := range splitRanges(len(n.s), lit.findAll(n.s, nil), false, behaviorMergedWithNext) {
		dst = append(dst, n.slice(r[0], r[1]))
	}
	return dst
}

// digitsPreTok is the Digits pre-tokenizer: numeric characters are isolated one by one
// (individual_digits) or as runs.
type digitsPreTok struct{ individual bool }

func (d digitsPreTok) split(dst []normStr, n normStr) []normStr {
	var ms [][2]int
	for i := 0; i < len(n.s); {
		r, size := utf8.DecodeRuneInString(n.s[i:])
		if unicode.IsNumber(r) {
			ms = append(ms, [2]int{i, i + size})
		}
		i += size
	}
	beh := behaviorIsolated
	if !d.individual {
		beh = behaviorContiguous
	}
	for _, r := range splitRanges(len(n.s), ms, false, beh) {
		dst = append(dst, n.slice(r[0], r[1]))
	}
	return dst
}

package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites text before pre-tokenization, keeping the alignment to the original.
type normalizer interface {
	normalize(n normStr) normStr
}

// buildNormalizer builds the normalizer described by raw (nil for JSON null).
func buildNormalizer(raw json.RawMessage) (normalizer, error) {
	c, err := decodeComponent(raw, "normalizer")
	if err != nil || c == nil {
		return nil, err
	}
	switch c.Type {
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNorm{}, nil
	case "Strip":
		return stripNorm{left: c.StripLeft == nil || *c.StripLeft, right: c.StripRight == nil || *c.StripRight}, nil
	case "Prepend":
		return prependNorm{c.Prepend}, nil
	case "Replace":
		p, err := buildPattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("normalizer Replace: %w", err)
		}
		if c.Content == nil {
			return nil, fmt.Errorf("normalizer Replace: missing \"content\"")
		}
		return replaceNorm{p, *c.Content}, nil
	case "Sequence":
		var seq seqNorm
		for i, child := range c.Normalizers {
			n, err := buildNormalizer(child)
			if err != nil {
				return nil, fmt.Errorf("normalizer Sequence[%d]: %w", i, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	default:
		return nil, fmt.Errorf("unsupported normalizer type %q (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence)", c.Type)
	}
}

// seqNorm applies normalizers in order.
type seqNorm []normalizer

func (s seqNorm) normalize(n normStr) normStr {
	for _, x := range s {
		n = x.normalize(n)
	}
	return n
}

// unicodeNorm applies a Unicode normalization form. Text is rewritten one normalization
// segment (a starter and its combining marks) at a time, so unchanged text keeps its exact
// byte alignment and a rewritten segment maps to the original segment as a whole.
type unicodeNorm struct{ form norm.Form }

func (u unicodeNorm) normalize(n normStr) normStr {
	if u.form.QuickSpanString(n.s) == len(n.s) {
		return n
	}
	b := newBuilder(n)
	var check strings.Builder
	for i := 0; i < len(n.s); {
		// Copy the already-normal run, then rewrite one segment.
		q := i + u.form.QuickSpanString(n.s[i:])
		b.copy(n, i, q)
		check.WriteString(n.s[i:q])
		if q >= len(n.s) {
			break
		}
		j := q + u.form.NextBoundaryInString(n.s[q:], true)
		if j <= q {
			j = len(n.s)
		}
		seg := n.s[q:j]
		out := u.form.String(seg)
		if out == seg {
			b.copy(n, q, j)
		} else {
			b.insert(out, n.orig(q, j))
		}
		check.WriteString(out)
		i = j
	}
	if whole := u.form.String(n.s); check.String() != whole {
		// Segments interacted (should not happen): map the whole text coarsely.
		b = newBuilder(n)
		b.insert(whole, n.orig(0, len(n.s)))
	}
	return b.done()
}

// lowercaseNorm lowercases rune by rune.
type lowercaseNorm struct{}

func (lowercaseNorm) normalize(n normStr) normStr {
	if strings.ToLower(n.s) == n.s {
		return n
	}
	b := newBuilder(n)
	for i := 0; i < len(n.s); {
		r, size := utf8.DecodeRuneInString(n.s[i:])
		if l := unicode.ToLower(r); l != r {
			b.insert(string(l), n.orig(i, i+size))
		} else {
			b.copy(n, i, i+size)
		}
		i += size
	}
	return b.done()
}

// stripNorm removes leading and/or trailing whitespace.
type stripNorm struct{ left, right bool }

func (s stripNorm) normalize(n normStr) normStr {
	a, b := 0, len(n.s)
	if s.left {
		a = len(n.s) - len(strings.TrimLeftFunc(n.s, unicode.IsSpace))
	}
	if s.right {
		b = len(strings.TrimRightFunc(n.s, unicode.IsSpace))
	}
	if a >= b {
		return n.slice(b, b)
	}
	return n.slice(a, b)
}

// prependNorm inserts a fixed string in front of non-empty text; it covers no original bytes.
type prependNorm struct{ prefix string }

func (p prependNorm) normalize(n normStr) normStr {
	if n.s == "" || p.prefix == "" {
		return n
	}
	b := newBuilder(n)
	b.insert(p.prefix, n.orig(0, 0))
	b.copy(n, 0, len(n.s))
	return b.done()
}

// replaceNorm replaces every match of a pattern; the replacement covers the matched bytes.
type replaceNorm struct {
	pat     *pattern
	content string
}

func (r replaceNorm) normalize(n normStr) normStr {
	ms := r.pat.findAll(n.s, nil)
	if len(ms) == 0 {
		return n
	}
	return replaceMatches(n, ms, r.content)
}

// replaceMatches rewrites the matched ranges of n to content.
func replaceMatches(n normStr, ms [][2]int, content string) normStr {
	b := newBuilder(n)
	prev := 0
	for _, m := range ms {
		b.copy(n, prev, m[0])
		b.insert(content, n.orig(m[0], m[1]))
		prev = m[1]
	}
	b.copy(n, prev, len(n.s))
	return b.done()
}

package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns token strings back into text, as the reference decode_chain: each step maps
// a list of strings to a list of strings, and the result is their concatenation.
type decoder interface {
	decodeChain(toks []string) []string
}

// buildDecoder builds the decoder described by raw (nil for JSON null).
func buildDecoder(raw json.RawMessage) (decoder, error) {
	c, err := decodeComponent(raw, "decoder")
	if err != nil || c == nil {
		return nil, err
	}
	switch c.Type {
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "Replace":
		p, err := buildPattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("decoder Replace: %w", err)
		}
		if c.Content == nil {
			return nil, fmt.Errorf("decoder Replace: missing \"content\"")
		}
		return replaceDecoder{p, *c.Content}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		content := " "
		if c.Content != nil {
			content = *c.Content
		}
		r, _ := utf8.DecodeRuneInString(content)
		return stripDecoder{content: r, start: c.Start, stop: c.Stop}, nil
	case "Metaspace":
		d := metaspaceDecoder{replacement: c.Replacement, strip: c.PrependScheme != "never"}
		if c.PrependScheme == "" && c.AddPrefixSpace != nil {
			d.strip = *c.AddPrefixSpace
		}
		if d.replacement == "" {
			d.replacement = "▁"
		}
		return d, nil
	case "BPEDecoder":
		suffix := "</w>"
		if c.Suffix != nil {
			suffix = *c.Suffix
		}
		return bpeDecoder{suffix}, nil
	case "Sequence":
		var seq seqDecoder
		for i, child := range c.Decoders {
			d, err := buildDecoder(child)
			if err != nil {
				return nil, fmt.Errorf("decoder Sequence[%d]: %w", i, err)
			}
			if d != nil {
				seq = append(seq, d)
			}
		}
		return seq, nil
	default:
		return nil, fmt.Errorf("unsupported decoder type %q (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, Sequence)", c.Type)
	}
}

// seqDecoder applies decoders in order.
type seqDecoder []decoder

func (s seqDecoder) decodeChain(toks []string) []string {
	for _, d := range s {
		toks = d.decodeChain(toks)
	}
	return toks
}

// byteLevelDecoder maps byte-level characters back to bytes. Unlike the reference it keeps
// invalid UTF-8 as is (no U+FFFD), so a partial character decodes to its exact bytes.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(toks []string) []string {
	var out []byte
	for _, t := range toks {
		if b, ok := byteLevelBytes(t); ok {
			out = append(out, b...)
		} else {
			out = append(out, t...)
		}
	}
	return []string{string(out)}
}

// replaceDecoder replaces a pattern in every token.
type replaceDecoder struct {
	pat     *pattern
	content string
}

func (r replaceDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		ms := r.pat.findAll(t, nil)
		if len(ms) == 0 {
			out[i] = t
			continue
		}
		var sb strings.Builder
		prev := 0
		for _, m := range ms {
			sb.WriteString(t[prev:m[0]])
			sb.WriteString(r.content)
			prev = m[1]
		}
		sb.WriteString(t[prev:])
		out[i] = sb.String()
	}
	return out
}

// byteFallbackDecoder turns runs of "<0xNN>" tokens into their bytes; a run that is not valid
// UTF-8 becomes one U+FFFD per byte, as in the reference.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(toks []string) []string {
	out := make([]string, 0, len(toks))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range toks {
		if b, ok := fallbackByte(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// fallbackByte parses a "<0xNN>" byte-fallback token.
func fallbackByte(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(t[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(v), true
}

// fuseDecoder joins all tokens into one.
type fuseDecoder struct{}

func (fuseDecoder) decodeChain(toks []string) []string { return []string{strings.Join(toks, "")} }

// stripDecoder removes up to start leading and stop trailing content characters per token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (s stripDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		rs := []rune(t)
		a := 0
		for a < s.start && a < len(rs) && rs[a] == s.content {
			a++
		}
		b := len(rs)
		for k := 0; k < s.stop && b > a && rs[b-1] == s.content; k++ {
			b--
		}
		out[i] = string(rs[a:b])
	}
	return out
}

// metaspaceDecoder turns the replacement character back into spaces and drops the space
// the pre-tokenizer prepended to the first token.
type metaspaceDecoder struct {
	replacement string
	strip       bool
}

func (m metaspaceDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		t = strings.ReplaceAll(t, m.replacement, " ")
		if i == 0 && m.strip {
			t = strings.TrimPrefix(t, " ")
		}
		out[i] = t
	}
	return out
}

// bpeDecoder replaces the end-of-word suffix with a space (nothing after the last token).
type bpeDecoder struct{ suffix string }

func (d bpeDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		rep := " "
		if i == len(toks)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep)
	}
	return out
}

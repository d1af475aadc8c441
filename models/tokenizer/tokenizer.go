package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Token is one token of an encoded text.
type Token struct {
	// ID is the token id.
	ID int
	// Text is the token's vocabulary string (byte-level form for byte-level models, e.g.
	// "Ġreturn"; the added token's content for added tokens).
	Text string
	// Start and End are byte offsets into the encoded text; End is exclusive. Tokens that
	// the tokenizer inserted (post-processor specials, a prepended "▁") have Start == End.
	Start, End int
	// Special marks special added tokens, whether found in the text or inserted by
	// EncodeWithSpecial.
	Special bool
}

// Tokenizer encodes text with a Hugging Face tokenizer.json pipeline. It is safe for
// concurrent use.
type Tokenizer struct {
	norm      normalizer   // nil: none
	pre       preTokenizer // nil: the whole segment is one piece
	model     *bpeModel
	post      template
	dec       decoder // nil: tokens joined by spaces
	rawAdded  *addedMatcher
	normAdded *addedMatcher // nil: no normalized added tokens
	added     map[string]*addedTokenDef
	addedByID map[int]*addedTokenDef
	idToTok   []string
	// spaceMarker is the character standing for a space in the vocabulary ("▁"), or "".
	spaceMarker string
	bos, eos    int
}

// Encode tokenizes text without adding special tokens. Special-token literals in the text
// (e.g. "<|endoftext|>") are still recognized, as in the reference. text should be valid
// UTF-8 (see EncodeChecked); invalid bytes are encoded as if each were U+FFFD.
func (t *Tokenizer) Encode(text string) []Token {
	out := make([]Token, 0, len(text)/3+4)
	for _, seg := range t.rawAdded.split(text) {
		if seg.tok != nil {
			out = append(out, t.addedToken(seg.tok, seg.a, seg.b))
			continue
		}
		n := identity(text[seg.a:seg.b], seg.a)
		if t.norm != nil {
			n = t.norm.normalize(n)
		}
		if t.normAdded == nil {
			out = t.encodePlain(out, n)
			continue
		}
		for _, sub := range t.normAdded.split(n.s) {
			if sub.tok != nil {
				sp := n.orig(sub.a, sub.b)
				out = append(out, t.addedToken(sub.tok, sp.start, sp.end))
			} else {
				out = t.encodePlain(out, n.slice(sub.a, sub.b))
			}
		}
	}
	return monotone(out)
}

// EncodeChecked is Encode for text that may not be valid UTF-8: it returns an error naming
// the byte offset of the first invalid byte.
func (t *Tokenizer) EncodeChecked(text string) ([]Token, error) {
	if i := firstInvalidUTF8(text); i >= 0 {
		return nil, fmt.Errorf("tokenizer: input is not valid UTF-8: invalid byte 0x%02x at byte offset %d", text[i], i)
	}
	return t.Encode(text), nil
}

// EncodeWithSpecial tokenizes text and applies the post-processor template (e.g. the BOS
// token of Llama-2). Inserted tokens have Start == End: 0 for those before the text,
// len(text) for those after it.
func (t *Tokenizer) EncodeWithSpecial(text string) []Token {
	body := t.Encode(text)
	if len(t.post.prefix) == 0 && len(t.post.suffix) == 0 {
		return body
	}
	out := make([]Token, 0, len(body)+len(t.post.prefix)+len(t.post.suffix))
	for _, s := range t.post.prefix {
		out = append(out, Token{ID: s.id, Text: s.text, Special: true})
	}
	out = append(out, body...)
	for _, s := range t.post.suffix {
		out = append(out, Token{ID: s.id, Text: s.text, Start: len(text), End: len(text), Special: true})
	}
	return out
}

// IDs returns the ids of tokens.
func (t *Tokenizer) IDs(tokens []Token) []int {
	ids := make([]int, len(tokens))
	for i, tok := range tokens {
		ids[i] = tok.ID
	}
	return ids
}

// Decode turns ids back into text through the tokenizer's decoder. Ids outside the
// vocabulary are skipped; special tokens are kept. Byte-level decoding keeps the exact bytes,
// so decoding part of a multi-byte character gives those bytes (invalid UTF-8), where the
// reference would print U+FFFD.
func (t *Tokenizer) Decode(ids []int) string {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if id >= 0 && id < len(t.idToTok) {
			toks = append(toks, t.idToTok[id])
		}
	}
	if t.dec == nil {
		return strings.Join(toks, " ")
	}
	return strings.Join(t.dec.decodeChain(toks), "")
}

// TokenBytes returns the bytes of the input text that token id stands for: the raw bytes of
// a byte-level token, the byte of a "<0xNN>" byte-fallback token, the content of an added
// token, or the vocabulary string with the space marker ("▁") turned into a space.
func (t *Tokenizer) TokenBytes(id int) ([]byte, bool) {
	if id < 0 || id >= len(t.idToTok) {
		return nil, false
	}
	if a, ok := t.addedByID[id]; ok {
		return []byte(a.Content), true
	}
	s := t.idToTok[id]
	if t.model.byteLevel {
		return byteLevelBytes(s)
	}
	if t.model.byteFallback {
		if b, ok := fallbackByte(s); ok {
			return []byte{b}, true
		}
	}
	if t.spaceMarker != "" {
		s = strings.ReplaceAll(s, t.spaceMarker, " ")
	}
	return []byte(s), true
}

// VocabSize returns the number of token ids: one more than the largest id of the model
// vocabulary and the added tokens.
func (t *Tokenizer) VocabSize() int { return len(t.idToTok) }

// TokenID returns the id of a vocabulary string or added-token content.
func (t *Tokenizer) TokenID(s string) (int, bool) {
	if a, ok := t.added[s]; ok {
		return a.ID, true
	}
	id, ok := t.model.vocab[s]
	return id, ok
}

// encodePlain pre-tokenizes normalized text and runs the model on each piece.
func (t *Tokenizer) encodePlain(out []Token, n normStr) []Token {
	if n.s == "" {
		return out
	}
	var pieces []normStr
	if t.pre != nil {
		pieces = t.pre.split(nil, n)
	} else {
		pieces = []normStr{n}
	}
	for _, p := range pieces {
		for _, bt := range t.model.tokenize(p.s) {
			sp := p.orig(int(bt.a), int(bt.b))
			out = append(out, Token{ID: int(bt.id), Text: t.idToTok[bt.id], Start: sp.start, End: sp.end})
		}
	}
	return out
}

// addedToken makes the Token for an added token found at [a, b).
func (t *Tokenizer) addedToken(a *addedTokenDef, start, end int) Token {
	return Token{ID: a.ID, Text: a.Content, Start: start, End: end, Special: a.Special}
}

// monotone makes spans non-overlapping and increasing: where normalization rewrote several
// original bytes as one unit and BPE split that unit, the first token keeps the span and the
// following ones become empty at its end.
func monotone(toks []Token) []Token {
	prev := 0
	for i := range toks {
		if toks[i].Start < prev {
			toks[i].Start = prev
		}
		if toks[i].End < toks[i].Start {
			toks[i].End = toks[i].Start
		}
		prev = toks[i].End
	}
	return toks
}

// firstInvalidUTF8 returns the offset of the first byte of s that is not part of a valid
// UTF-8 sequence, or -1.
func firstInvalidUTF8(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

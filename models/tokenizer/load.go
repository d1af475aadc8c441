package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Load reads a tokenizer.json file. If a tokenizer_config.json lies beside it, its bos_token
// and eos_token are used by [Tokenizer.BOS] and [Tokenizer.EOS] when the post-processor does
// not name them. Errors name the file and the problem.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cfgPath := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := fromJSON(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return t, nil
}

// FromJSON builds a tokenizer from the contents of a tokenizer.json file.
func FromJSON(data []byte) (*Tokenizer, error) {
	return FromJSONWithConfig(data, nil)
}

// FromJSONWithConfig builds a tokenizer from tokenizer.json contents and, optionally (nil or
// empty to skip), tokenizer_config.json contents, whose bos_token and eos_token are used
// by BOS and EOS when the post-processor does not name them.
func FromJSONWithConfig(data, config []byte) (*Tokenizer, error) {
	t, err := fromJSON(data, config)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

// fromJSON is FromJSONWithConfig without the package prefix on errors.
func fromJSON(data, config []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid tokenizer.json: %w", err)
	}
	t, err := build(&f)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(config)) > 0 {
		if err := t.applyConfig(config); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json: %w", err)
		}
	}
	return t, nil
}

// build assembles the tokenizer from the parsed file.
func build(f *fileJSON) (*Tokenizer, error) {
	norm, err := buildNormalizer(f.Normalizer)
	if err != nil {
		return nil, err
	}
	pre, byteLevel, err := buildPreTokenizer(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	post, err := buildPostProcessor(f.PostProcessor)
	if err != nil {
		return nil, err
	}
	dec, err := buildDecoder(f.Decoder)
	if err != nil {
		return nil, err
	}
	if isNull(f.Model) {
		return nil, fmt.Errorf("missing \"model\"")
	}
	var m modelJSON
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if m.Type == "" && !isNull(m.Merges) {
		m.Type = "BPE"
	}
	if m.Type != "BPE" {
		return nil, fmt.Errorf("unsupported model type %q (supported: BPE)", m.Type)
	}
	if m.Dropout != nil && *m.Dropout > 0 {
		return nil, fmt.Errorf("model BPE: dropout %g is not supported", *m.Dropout)
	}
	var vocab map[string]int
	if err := json.Unmarshal(m.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model BPE: vocab: %w", err)
	}
	// Ids index a table of VocabSize entries: negative ones would panic, and a lone huge one
	// would allocate gigabytes. Real files leave few ids unused (gpt-4o: 17), so gaps are
	// bounded by maxIDGap.
	limit := len(vocab) + len(f.AddedTokens) + maxIDGap
	size := 0
	var bad []string
	for s, id := range vocab {
		if id < 0 || id >= limit {
			bad = append(bad, s)
		}
		size = max(size, id+1)
	}
	if len(bad) > 0 {
		s := slices.Min(bad) // the same token named on every run
		return nil, fmt.Errorf("model BPE: vocab: token %q has id %d, outside [0, %d) (%d tokens, at most %d ids unused)", s, vocab[s], limit, len(vocab)+len(f.AddedTokens), maxIDGap)
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}
	model, err := newBPE(vocab, merges, &m, byteLevel)
	if err != nil {
		return nil, fmt.Errorf("model BPE: %w", err)
	}

	t := &Tokenizer{
		norm:      norm,
		pre:       pre,
		model:     model,
		post:      post,
		dec:       dec,
		added:     map[string]*addedTokenDef{},
		addedByID: map[int]*addedTokenDef{},
		bos:       -1,
		eos:       -1,
	}
	var raw, normed []addedTokenDef
	for i := range f.AddedTokens {
		a := f.AddedTokens[i]
		if a.ID < 0 || a.ID >= limit {
			return nil, fmt.Errorf("added_tokens[%d]: id %d outside [0, %d) (%d tokens, at most %d ids unused)", i, a.ID, limit, len(vocab)+len(f.AddedTokens), maxIDGap)
		}
		size = max(size, a.ID+1)
		if a.Normalized {
			c := a
			if norm != nil {
				c.Content = norm.normalize(identity(a.Content, 0)).s
			}
			normed = append(normed, c)
		} else {
			raw = append(raw, a)
		}
	}
	for _, refs := range [][]specialRef{post.prefix, post.suffix} {
		for _, r := range refs {
			if r.id < 0 || r.id >= size {
				return nil, fmt.Errorf("post_processor: special token %q has id %d, outside the vocabulary's %d ids", r.text, r.id, size)
			}
		}
	}
	t.idToTok = make([]string, size)
	for s, id := range vocab {
		t.idToTok[id] = s
	}
	for i := range f.AddedTokens {
		a := &f.AddedTokens[i]
		t.idToTok[a.ID] = a.Content
		t.added[a.Content] = a
		t.addedByID[a.ID] = a
	}
	t.rawAdded = newAddedMatcher(raw)
	if len(normed) > 0 {
		t.normAdded = newAddedMatcher(normed)
	}
	t.spaceMarker = spaceMarkerOf(dec, pre)
	t.resolveSpecials()
	return t, nil
}

// maxIDGap is the most token ids a tokenizer.json may leave unused.
const maxIDGap = 1 << 16

// parseMerges reads merges given as ["a b", ...] or [["a", "b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		out := make([][2]string, len(strs))
		for i, s := range strs {
			l, r, ok := cutSingleSpace(s)
			if !ok {
				return nil, fmt.Errorf("merges[%d] = %q: want two tokens separated by one space", i, s)
			}
			out[i] = [2]string{l, r}
		}
		return out, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("merges: want a list of \"a b\" strings or [a, b] pairs: %w", err)
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merges[%d]: want 2 tokens, got %d", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

// cutSingleSpace splits "a b" into "a" and "b"; there must be exactly one space.
func cutSingleSpace(s string) (string, string, bool) {
	i := bytes.IndexByte([]byte(s), ' ')
	if i < 0 || bytes.IndexByte([]byte(s[i+1:]), ' ') >= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// spaceMarkerOf finds the character that stands for a space in sentencepiece-style
// vocabularies ("▁"), from a Replace(marker → " ") or Metaspace decoder or a Metaspace
// pre-tokenizer; "" if none.
func spaceMarkerOf(d decoder, p preTokenizer) string {
	switch x := d.(type) {
	case seqDecoder:
		for _, c := range x {
			if m := spaceMarkerOf(c, nil); m != "" {
				return m
			}
		}
	case replaceDecoder:
		if x.pat.re == nil && x.content == " " {
			return x.pat.literal
		}
	case metaspaceDecoder:
		return x.replacement
	}
	switch x := p.(type) {
	case seqPreTok:
		for _, c := range x {
			if m := spaceMarkerOf(nil, c); m != "" {
				return m
			}
		}
	case *metaspacePreTok:
		return x.replacement
	}
	return ""
}

package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// sentencepieceJSON is a tiny sentencepiece-style BPE: Metaspace pre-tokenizer, byte
// fallback and an unk token.
func sentencepieceJSON(byteFallback bool, scheme string) string {
	vocab := map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2}
	for b := range 256 {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 3 + b
	}
	for i, s := range []string{"▁", "a", "b", "▁a", "ab", "▁ab"} {
		vocab[s] = 259 + i
	}
	v, _ := json.Marshal(vocab)
	return fmt.Sprintf(`{
	  "added_tokens": [
	    {"id": 0, "content": "<unk>", "special": true},
	    {"id": 1, "content": "<s>", "special": true},
	    {"id": 2, "content": "</s>", "special": true}],
	  "normalizer": null,
	  "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": %q, "split": true},
	  "post_processor": {"type": "TemplateProcessing",
	    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
	    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
	  "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": %q},
	  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": %v,
	    "vocab": %s, "merges": [["▁", "a"], ["a", "b"], ["▁a", "b"]]}
	}`, scheme, scheme, byteFallback, v)
}

// mustFromJSON builds a tokenizer or fails the test.
func mustFromJSON(t *testing.T, s string) *Tokenizer {
	t.Helper()
	tk, err := FromJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// spans lists [Start, End) of toks.
func spans(toks []Token) [][2]int {
	var out [][2]int
	for _, t := range toks {
		out = append(out, [2]int{t.Start, t.End})
	}
	return out
}

// TestMetaspaceByteFallback checks Metaspace offsets, byte_fallback bytes, fused unk,
// templates with BOS and EOS, and decoding.
func TestMetaspaceByteFallback(t *testing.T) {
	tk := mustFromJSON(t, sentencepieceJSON(true, "first"))
	toks := tk.Encode("ab ab")
	if got, want := tk.IDs(toks), []int{264, 264}; !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if got, want := spans(toks), [][2]int{{0, 2}, {2, 5}}; !slices.Equal(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
	if got := tk.Decode(tk.IDs(toks)); got != "ab ab" {
		t.Errorf("decode %q", got)
	}

	toks = tk.Encode("é")
	if got, want := tk.IDs(toks), []int{259, 3 + 0xC3, 3 + 0xA9}; !slices.Equal(got, want) {
		t.Fatalf("byte fallback ids %v, want %v", got, want)
	}
	if got, want := spans(toks), [][2]int{{0, 0}, {0, 1}, {1, 2}}; !slices.Equal(got, want) {
		t.Errorf("byte fallback spans %v, want %v", got, want)
	}

	ws := tk.EncodeWithSpecial("ab")
	if got, want := tk.IDs(ws), []int{1, 264, 2}; !slices.Equal(got, want) {
		t.Errorf("with special %v, want %v", got, want)
	}
	if ws[0].Start != 0 || ws[0].End != 0 || ws[2].Start != 2 || ws[2].End != 2 || !ws[0].Special || !ws[2].Special {
		t.Errorf("inserted specials %+v", ws)
	}
	if bos, _ := tk.BOS(); bos != 1 {
		t.Errorf("BOS %d", bos)
	}
	if eos, _ := tk.EOS(); eos != 2 {
		t.Errorf("EOS %d", eos)
	}

	// Without byte fallback, unknown characters fuse into one <unk>.
	tk = mustFromJSON(t, sentencepieceJSON(false, "first"))
	toks = tk.Encode("éé")
	if got, want := tk.IDs(toks), []int{259, 0}; !slices.Equal(got, want) {
		t.Fatalf("unk ids %v, want %v", got, want)
	}
	if got, want := spans(toks), [][2]int{{0, 0}, {0, 4}}; !slices.Equal(got, want) {
		t.Errorf("unk spans %v, want %v", got, want)
	}

	// prepend_scheme "first" adds no ▁ after an added token; "always" does.
	first := mustFromJSON(t, sentencepieceJSON(true, "first"))
	always := mustFromJSON(t, sentencepieceJSON(true, "always"))
	if got, want := first.IDs(first.Encode("<s>ab")), []int{1, 263}; !slices.Equal(got, want) {
		t.Errorf("first: %v, want %v", got, want)
	}
	if got, want := always.IDs(always.Encode("<s>ab")), []int{1, 264}; !slices.Equal(got, want) {
		t.Errorf("always: %v, want %v", got, want)
	}
}

// mutatedFixture loads a fixture's JSON, lets edit change it, and builds the tokenizer.
func mutatedFixture(t *testing.T, name string, edit func(m map[string]any)) *Tokenizer {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixtureJSON(t, name), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestAddedTokenOptions checks lstrip, rstrip, single_word and normalized added tokens.
func TestAddedTokenOptions(t *testing.T) {
	tk := mutatedFixture(t, "gpt2", func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "Lowercase"}
		m["added_tokens"] = append(m["added_tokens"].([]any),
			map[string]any{"id": 50257, "content": "<mask>", "lstrip": true, "special": true},
			map[string]any{"id": 50258, "content": "xyz", "single_word": true},
			map[string]any{"id": 50259, "content": "END", "rstrip": true},
			map[string]any{"id": 50260, "content": "Hello World", "normalized": true},
		)
	})
	text := "a <mask> b axyz xyz END  c HELLO WORLD!"
	toks := tk.Encode(text)
	checkSpans(t, "added", text, toks)
	found := map[int][2]int{}
	for _, tok := range toks {
		if tok.ID >= 50257 {
			if _, dup := found[tok.ID]; dup {
				t.Errorf("token %d found twice", tok.ID)
			}
			found[tok.ID] = [2]int{tok.Start, tok.End}
		}
	}
	want := map[int][2]int{
		50257: {1, 8},   // " <mask>": lstrip takes the space before
		50258: {16, 19}, // only the stand-alone "xyz"
		50259: {20, 25}, // "END  ": rstrip takes the spaces after
		50260: {27, 38}, // matched after lowercasing, spans the original "HELLO WORLD"
	}
	for id, sp := range want {
		if found[id] != sp {
			t.Errorf("added token %d at %v, want %v (all: %v)", id, found[id], sp, found)
		}
	}
	for _, tok := range toks {
		if tok.ID == 50257 && !tok.Special || tok.ID == 50258 && tok.Special {
			t.Errorf("Special flag wrong on %+v", tok)
		}
	}
}

// TestByteLevelPrefixSpace checks that the space added by add_prefix_space covers no bytes.
func TestByteLevelPrefixSpace(t *testing.T) {
	tk := mutatedFixture(t, "gpt2", func(m map[string]any) {
		m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true
	})
	toks := tk.Encode("hello world")
	if got, want := tk.IDs(toks), []int{23748, 995}; !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if got, want := spans(toks), [][2]int{{0, 5}, {5, 11}}; !slices.Equal(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
}

// TestMergeFormats checks that merges as pairs and as strings give the same encoding, and
// the Digits pre-tokenizer in a Sequence before ByteLevel.
func TestMergeFormats(t *testing.T) {
	pairs := mutatedFixture(t, "gpt2", func(m map[string]any) {
		model := m["model"].(map[string]any)
		var out []any
		for _, s := range model["merges"].([]any) {
			l, r, _ := cutSingleSpace(s.(string))
			out = append(out, []any{l, r})
		}
		model["merges"] = out
	})
	plain := fixture(t, "gpt2")
	for _, f := range corpus(t) {
		if !slices.Equal(pairs.IDs(pairs.Encode(f.text)), plain.IDs(plain.Encode(f.text))) {
			t.Errorf("%s: pair merges encode differently", f.name)
		}
	}

	digits := mutatedFixture(t, "gpt2", func(m map[string]any) {
		m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Digits", "individual_digits": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		}}
	})
	if got, want := pieces(digits, "x=123 ab"), []string{"x", "=", "1", "2", "3", " ab"}; !slices.Equal(got, want) {
		t.Errorf("digits pieces %q, want %q", got, want)
	}
}

package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadErrors checks that loading errors name the file and the problem.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(bad, []byte(`{"model": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "invalid tokenizer.json") {
		t.Errorf("bad JSON: got %v", err)
	}
	missing := filepath.Join(dir, "nope.json")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: got %v", err)
	}
}

// TestUnsupportedComponents checks that unknown component types are rejected by name.
func TestUnsupportedComponents(t *testing.T) {
	cases := []struct {
		name, json, want string
	}{
		{"bad json", `{`, "invalid tokenizer.json"},
		{"no model", `{"added_tokens": []}`, `missing "model"`},
		{"unigram", `{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}`, `unsupported model type "Unigram"`},
		{"wordpiece", `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`, `unsupported model type "WordPiece"`},
		{"normalizer", `{"normalizer": {"type": "BertNormalizer"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `unsupported normalizer type "BertNormalizer"`},
		{"pre_tokenizer", `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}]}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `unsupported pre_tokenizer type "Whitespace"`},
		{"post_processor", `{"post_processor": {"type": "Weird"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `unsupported post_processor type "Weird"`},
		{"decoder", `{"decoder": {"type": "WordPiece"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `unsupported decoder type "WordPiece"`},
		{"split behavior", `{"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `unsupported behavior "Sideways"`},
		{"bad regex", `{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`, `regex "(a"`},
		{"merge oov", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`, `not in the vocabulary`},
		{"bad merge", `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}`, `merges[0]`},
		{"dropout", `{"model": {"type": "BPE", "dropout": 0.1, "vocab": {}, "merges": []}}`, `dropout`},
	}
	for _, c := range cases {
		_, err := FromJSON([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

// TestEncodeCheckedInvalidUTF8 checks the error for invalid input and that Encode itself
// still covers such input without panicking.
func TestEncodeCheckedInvalidUTF8(t *testing.T) {
	tk := fixture(t, "gpt2")
	text := "ok é\xffx\xc3"
	_, err := tk.EncodeChecked(text)
	if err == nil || !strings.Contains(err.Error(), "byte offset 5") {
		t.Errorf("got %v, want an error at byte offset 5", err)
	}
	if toks, err := tk.EncodeChecked("fine é"); err != nil || len(toks) == 0 {
		t.Errorf("valid text: %v %v", toks, err)
	}
	for _, name := range fixtureNames {
		checkSpans(t, name, text, fixture(t, name).Encode(text))
	}
}

// TestLoadFromFile loads a fixture through Load, with a tokenizer_config.json beside it.
func TestLoadFromFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, fixtureJSON(t, "gpt2"), 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tk.BOS(); ok {
		t.Errorf("gpt2 without tokenizer_config.json: BOS should be unknown")
	}
	if id, ok := tk.EOS(); !ok || id != 50256 {
		t.Errorf("gpt2 EOS = %d %v, want 50256", id, ok)
	}
	cfg := `{"bos_token": {"content": "<|endoftext|>", "__type": "AddedToken"}, "eos_token": "<|endoftext|>"}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if tk, err = Load(path); err != nil {
		t.Fatal(err)
	}
	if id, ok := tk.BOS(); !ok || id != 50256 {
		t.Errorf("gpt2 with config BOS = %d %v, want 50256", id, ok)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"bos_token": "<nope>"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "<nope>") {
		t.Errorf("bad config: got %v", err)
	}
}

// TestVocabAndSpecials checks VocabSize, TokenID, BOS and EOS on the fixtures.
func TestVocabAndSpecials(t *testing.T) {
	cases := []struct {
		name     string
		size     int
		bos, eos int
		token    string
		tokenID  int
		hasBOS   bool
	}{
		{"qwen3", 151669, -1, 151643, "<|im_end|>", 151645, false},
		{"llama2", 32000, 1, 2, "▁return", 604, true},
		{"gpt2", 50257, -1, 50256, "Ġreturn", 1441, false},
		{"gpt4o", 200019, -1, 199999, "<|endofprompt|>", 200018, false},
	}
	for _, c := range cases {
		tk := fixture(t, c.name)
		if got := tk.VocabSize(); got != c.size {
			t.Errorf("%s: VocabSize %d, want %d", c.name, got, c.size)
		}
		if id, ok := tk.TokenID(c.token); !ok || id != c.tokenID {
			t.Errorf("%s: TokenID(%q) = %d %v, want %d", c.name, c.token, id, ok, c.tokenID)
		}
		if id, ok := tk.BOS(); ok != c.hasBOS || (ok && id != c.bos) {
			t.Errorf("%s: BOS = %d %v", c.name, id, ok)
		}
		if id, ok := tk.EOS(); !ok || id != c.eos {
			t.Errorf("%s: EOS = %d %v, want %d", c.name, id, ok, c.eos)
		}
		if _, ok := tk.TokenID("definitely not a token ⊗⊗⊗"); ok {
			t.Errorf("%s: TokenID of garbage succeeded", c.name)
		}
	}
}

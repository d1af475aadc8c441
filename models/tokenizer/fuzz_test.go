package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFromJSON feeds arbitrary tokenizer.json and tokenizer_config.json contents to
// FromJSONWithConfig, and encodes a short text with whatever it accepts. Building must never
// panic: it returns a tokenizer or an error with the package prefix, and Load of the same bytes
// names the file in its error. An accepted tokenizer must encode any text without panicking,
// into tokens whose ids are in the vocabulary and whose byte offsets lie within the text, in
// order; special tokens it inserts, BOS and EOS are in the vocabulary too; decoding and
// TokenBytes of every id never panic. The corpus is kept in testdata/fuzz/FuzzFromJSON.
func FuzzFromJSON(f *testing.F) {
	if data, err := os.ReadFile("testdata/trained.tokenizer.json"); err == nil {
		f.Add(data, []byte(nil), "def f(x):\n\treturn x+1 # é\n")
	}
	f.Add([]byte(sentencepieceJSON(true, "first")), []byte(`{"bos_token": "<s>", "eos_token": {"content": "</s>"}}`), "ab ab é")
	f.Add([]byte(sentencepieceJSON(false, "always")), []byte(nil), " a\nbab")
	f.Add([]byte(`{"added_tokens": [{"id": 2, "content": "<|x|>", "special": true, "normalized": true}],
	  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
	  "pre_tokenizer": {"type": "Digits", "individual_digits": true},
	  "post_processor": {"type": "RobertaProcessing", "cls": ["<|x|>", 2], "sep": ["a", 0]},
	  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
	  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 3}, "merges": [["a", "b"]], "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"}}`),
		[]byte(nil), "AB<|x|>12ab")
	f.Add([]byte(`{"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "use_regex": true},
	  "decoder": {"type": "ByteLevel"}, "post_processor": {"type": "ByteLevel"},
	  "model": {"vocab": {"Ġ": 0, "a": 1, "Ġa": 2}, "merges": ["Ġ a"]}}`), []byte(nil), "a a\xff")
	for _, s := range []string{`{`, `{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}`,
		`{"added_tokens": [{"id": 1000000000, "content": "x"}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`,
		`{"post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 7], "sep": ["a", 0]}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`,
		`{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "MergedWithPrevious", "invert": true}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`} {
		f.Add([]byte(s), []byte(nil), "a a")
	}

	f.Fuzz(func(t *testing.T, data, config []byte, text string) {
		if len(data) > 64<<10 {
			return // the seeds are small; bigger inputs only slow the search
		}
		if len(text) > 64 {
			text = text[:64] // a user-supplied split regex may backtrack exponentially in the text length
		}
		tk, err := FromJSONWithConfig(data, config)
		if err != nil {
			if tk != nil || !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Fatalf("error without the package prefix, or a tokenizer with the error: %v", err)
			}
			checkLoadNamesFile(t, data, config)
			return
		}
		n := tk.VocabSize()
		for _, special := range []bool{false, true} {
			toks := tk.Encode(text)
			if special {
				toks = tk.EncodeWithSpecial(text)
			}
			prev := 0
			for i, tok := range toks {
				if tok.ID < 0 || tok.ID >= n {
					t.Fatalf("token %d (%+v): id outside the vocabulary of %d ids", i, tok, n)
				}
				if tok.Start < prev || tok.Start > tok.End || tok.End > len(text) {
					t.Fatalf("token %d (%+v): offsets out of order or outside the %d-byte text (previous start %d)", i, tok, len(text), prev)
				}
				prev = tok.Start
			}
			_ = tk.Decode(tk.IDs(toks))
		}
		if utf8.ValidString(text) {
			if _, err := tk.EncodeChecked(text); err != nil {
				t.Fatalf("valid UTF-8 refused: %v", err)
			}
		}
		for _, get := range []func() (int, bool){tk.BOS, tk.EOS} {
			if id, ok := get(); ok && (id < 0 || id >= n) {
				t.Fatalf("BOS or EOS id %d outside the vocabulary of %d ids", id, n)
			}
		}
		for id := -1; id <= min(n, 300); id++ {
			_, _ = tk.TokenBytes(id)
		}
		_ = tk.Decode([]int{-1, 0, n - 1, n})
	})
}

// checkLoadNamesFile writes data (and config, if any) as tokenizer.json in a temporary folder
// and checks that Load's error names the file.
func checkLoadNamesFile(t *testing.T, data, config []byte) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(config) > 0 {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), config, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("Load of a refused file: error %v does not name %s", err, p)
	}
}

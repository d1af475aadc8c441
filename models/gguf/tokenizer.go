package gguf

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Token types of tokenizer.ggml.token_type (llama.h's llama_token_type).
const (
	tokenNormal      = 1
	tokenUnknown     = 2
	tokenControl     = 3
	tokenUserDefined = 4
	tokenUnused      = 5
	tokenByte        = 6
)

// Split regexes of the pre-tokenizers llama.cpp names in tokenizer.ggml.pre (llama-vocab.cpp),
// written as the Hugging Face tokenizers that produced them write them.
const (
	// regexCL100K is Llama 3's (tiktoken cl100k) split.
	regexCL100K = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// regexQwen2 is Qwen2's: cl100k with single digits.
	regexQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// preTokenizers maps tokenizer.ggml.pre to the Hugging Face pre_tokenizer it stands for.
// "byte-level" is GPT-2's regex inside ByteLevel; "digits" adds single-digit splitting first.
var preTokenizers = map[string]struct {
	kind         string // "gpt2", "digits+gpt2" or "regex"
	regex        string
	ignoreMerges bool
}{
	"gpt2": {kind: "gpt2"}, "mpt": {kind: "gpt2"}, "olmo": {kind: "gpt2"}, "jais": {kind: "gpt2"},
	"smollm": {kind: "digits+gpt2"}, "starcoder": {kind: "digits+gpt2"}, "refact": {kind: "digits+gpt2"},
	"codeshell": {kind: "digits+gpt2"}, "command-r": {kind: "digits+gpt2"}, "exaone": {kind: "digits+gpt2"},
	"minerva-7b": {kind: "digits+gpt2"},
	"llama3":     {kind: "regex", regex: regexCL100K, ignoreMerges: true}, "llama-bpe": {kind: "regex", regex: regexCL100K, ignoreMerges: true},
	"smaug-bpe": {kind: "regex", regex: regexCL100K}, "dbrx": {kind: "regex", regex: regexCL100K},
	"qwen2": {kind: "regex", regex: regexQwen2}, "deepseek-r1-qwen": {kind: "regex", regex: regexQwen2},
}

// SupportedPreTokenizers lists the tokenizer.ggml.pre values TokenizerJSON understands.
func SupportedPreTokenizers() []string {
	out := make([]string, 0, len(preTokenizers))
	for k := range preTokenizers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TokenizerJSON renders the tokenizer stored in the metadata as a Hugging Face tokenizer.json
// document and a tokenizer_config.json naming its BOS and EOS tokens. Only byte-level BPE
// (tokenizer.ggml.model "gpt2") is supported; the split regex comes from tokenizer.ggml.pre.
// Control tokens become special added tokens and user-defined tokens plain added tokens, as
// llama.cpp treats them; a BOS token is prepended by the post-processor when
// tokenizer.ggml.add_bos_token says so.
func (f *File) TokenizerJSON() (tokJSON, configJSON []byte, err error) {
	md := f.Metadata
	model, err := md.String("tokenizer.ggml.model")
	if err != nil {
		return nil, nil, err
	}
	if model != "gpt2" {
		return nil, nil, fmt.Errorf("gguf: %s: tokenizer.ggml.model %q is not supported (only \"gpt2\", byte-level BPE)", f.Path, model)
	}
	pre := "gpt2"
	if _, ok := md.Get("tokenizer.ggml.pre"); ok {
		if pre, err = md.String("tokenizer.ggml.pre"); err != nil {
			return nil, nil, err
		}
	}
	pt, ok := preTokenizers[pre]
	if !ok {
		return nil, nil, fmt.Errorf("gguf: %s: tokenizer.ggml.pre %q is not supported (supported: %v)", f.Path, pre, SupportedPreTokenizers())
	}
	tokens, err := md.Strings("tokenizer.ggml.tokens")
	if err != nil {
		return nil, nil, err
	}
	if len(tokens) == 0 {
		return nil, nil, fmt.Errorf("gguf: %s: tokenizer.ggml.tokens is empty", f.Path)
	}
	types := make([]int64, len(tokens))
	if _, ok := md.Get("tokenizer.ggml.token_type"); ok {
		if types, err = md.Ints("tokenizer.ggml.token_type"); err != nil {
			return nil, nil, err
		}
		if len(types) != len(tokens) {
			return nil, nil, fmt.Errorf("gguf: %s: tokenizer.ggml.token_type has %d entries for %d tokens", f.Path, len(types), len(tokens))
		}
	}
	var merges []string // a vocabulary of single bytes has none (llama.cpp's converter then omits the key)
	if _, ok := md.Get("tokenizer.ggml.merges"); ok {
		if merges, err = md.Strings("tokenizer.ggml.merges"); err != nil {
			return nil, nil, err
		}
	}
	special := func(key string) (int, error) {
		if _, ok := md.Get(key); !ok {
			return -1, nil
		}
		id, err := md.Int(key)
		if err != nil {
			return -1, err
		}
		if id < 0 || id >= int64(len(tokens)) {
			return -1, fmt.Errorf("gguf: %s: %s = %d is outside the vocabulary [0, %d)", f.Path, key, id, len(tokens))
		}
		return int(id), nil
	}
	bos, err := special("tokenizer.ggml.bos_token_id")
	if err != nil {
		return nil, nil, err
	}
	eos, err := special("tokenizer.ggml.eos_token_id")
	if err != nil {
		return nil, nil, err
	}
	addBOS, err := md.Bool("tokenizer.ggml.add_bos_token", false)
	if err != nil {
		return nil, nil, err
	}
	if addBOS && bos < 0 {
		return nil, nil, fmt.Errorf("gguf: %s: tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is missing", f.Path)
	}

	vocab := make(map[string]int, len(tokens))
	var added []map[string]any
	for id, tok := range tokens {
		if prev, dup := vocab[tok]; dup {
			return nil, nil, fmt.Errorf("gguf: %s: token %q appears twice in tokenizer.ggml.tokens (ids %d and %d)", f.Path, tok, prev, id)
		}
		vocab[tok] = id
		switch types[id] {
		case tokenControl, tokenUserDefined:
			added = append(added, map[string]any{"id": id, "content": tok, "single_word": false, "lstrip": false,
				"rstrip": false, "normalized": false, "special": types[id] == tokenControl})
		}
	}
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	var preTok map[string]any
	switch pt.kind {
	case "gpt2":
		preTok = byteLevel
	case "digits+gpt2":
		preTok = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Digits", "individual_digits": true}, byteLevel}}
	default:
		noRegex := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
		preTok = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": pt.regex}, "behavior": "Isolated", "invert": false},
			noRegex}}
	}
	var post any = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true}
	if addBOS {
		post = map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": tokens[bos], "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair":           []any{map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
			"special_tokens": map[string]any{tokens[bos]: map[string]any{"id": tokens[bos], "ids": []int{bos}, "tokens": []string{tokens[bos]}}}}
	}
	if added == nil {
		added = []map[string]any{}
	}
	doc := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added, "normalizer": nil,
		"pre_tokenizer": preTok, "post_processor": post,
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": pt.ignoreMerges,
			"vocab": orderedVocab(tokens), "merges": append([]string{}, merges...)},
	}
	tokJSON, err = json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %s: encoding the tokenizer: %w", f.Path, err)
	}
	cfg := map[string]any{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": addBOS, "add_eos_token": false}
	if bos >= 0 {
		cfg["bos_token"] = tokens[bos]
	}
	if eos >= 0 {
		cfg["eos_token"] = tokens[eos]
	}
	configJSON, err = json.Marshal(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %s: encoding the tokenizer config: %w", f.Path, err)
	}
	return tokJSON, configJSON, nil
}

// orderedVocab is a JSON object of token → id in id order (Hugging Face writes vocabularies
// that way; encoding/json would sort the keys).
type orderedVocab []string

// MarshalJSON writes {"tok0": 0, "tok1": 1, ...}.
func (v orderedVocab) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, len(v)*12)
	out = append(out, '{')
	for id, tok := range v {
		if id > 0 {
			out = append(out, ',')
		}
		k, err := json.Marshal(tok)
		if err != nil {
			return nil, err
		}
		out = append(out, k...)
		out = append(out, ':')
		out = fmt.Appendf(out, "%d", id)
	}
	return append(out, '}'), nil
}

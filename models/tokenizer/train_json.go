package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"strconv"
)

// TokenizerJSON is a trained byte-level BPE tokenizer, written as a standard Hugging Face
// tokenizer.json by Bytes and WriteFile:
//
//   - added_tokens: the special tokens (special, not normalized, no strip), ids 0, 1, ...;
//   - normalizer: null;
//   - pre_tokenizer: Sequence[Split(SplitPattern, Isolated), ByteLevel(add_prefix_space
//     false, use_regex false)];
//   - post_processor: null (nothing is added around the text);
//   - decoder: ByteLevel;
//   - model: BPE with the vocabulary (special tokens, the 256 byte tokens in GPT-2's
//     bytes_to_unicode form, merged tokens, in id order), merges as "left right" strings in
//     rank order, no unk token, byte_fallback false, ignore_merges false.
//
// Every input encodes (any byte has a token) and decodes back to itself.
type TokenizerJSON struct {
	// Vocab holds the token strings by id: special tokens as given, others in byte-level
	// form (e.g. "Ġreturn" for " return", "Ċ" for "\n").
	Vocab []string
	// Merges holds the merges in rank order, as (left, right) byte-level token strings.
	Merges [][2]string
	// SpecialTokens are the special tokens, ids 0 to len-1.
	SpecialTokens []string
	// SplitPattern is the Split pre-tokenizer's regex.
	SplitPattern string
	// Stats describes the training run.
	Stats TrainStats
}

// Bytes returns the tokenizer.json text. Equal tokenizers give identical bytes.
func (tj *TokenizerJSON) Bytes() ([]byte, error) {
	if len(tj.Vocab) < len(tj.SpecialTokens)+256 {
		return nil, fmt.Errorf("tokenizer: TokenizerJSON has %d tokens, fewer than the %d special and byte tokens",
			len(tj.Vocab), len(tj.SpecialTokens)+256)
	}
	var b bytes.Buffer
	str := func(s string) { writeJSONString(&b, s) }

	b.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, s := range tj.SpecialTokens {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {\"id\": " + strconv.Itoa(i) + ", \"content\": ")
		str(s)
		b.WriteString(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}")
	}
	if len(tj.SpecialTokens) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n  \"normalizer\": null,\n")
	b.WriteString("  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [\n")
	b.WriteString("    {\"type\": \"Split\", \"pattern\": {\"Regex\": ")
	str(tj.SplitPattern)
	b.WriteString("}, \"behavior\": \"Isolated\", \"invert\": false},\n")
	b.WriteString("    {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": false}\n  ]},\n")
	b.WriteString("  \"post_processor\": null,\n")
	b.WriteString("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n")
	b.WriteString("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n")
	b.WriteString("    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n")
	b.WriteString("    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n")
	b.WriteString("    \"vocab\": {")
	for id, s := range tj.Vocab {
		if id > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n      ")
		str(s)
		b.WriteString(": " + strconv.Itoa(id))
	}
	b.WriteString("\n    },\n    \"merges\": [")
	for i, m := range tj.Merges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n      ")
		str(m[0] + " " + m[1])
	}
	if len(tj.Merges) > 0 {
		b.WriteString("\n    ")
	}
	b.WriteString("]\n  }\n}\n")
	return b.Bytes(), nil
}

// writeJSONString appends s as a JSON string, without HTML escaping ("<" stays "<").
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes; invalid UTF-8 becomes U+FFFD
	b.Truncate(b.Len() - 1)
}

// Tokenizer loads the tokenizer.json text with [FromJSON].
func (tj *TokenizerJSON) Tokenizer() (*Tokenizer, error) {
	data, err := tj.Bytes()
	if err != nil {
		return nil, err
	}
	return FromJSON(data)
}

// WriteFile writes the tokenizer.json text to path atomically: to a temporary file in the
// same directory, synced, then renamed over path, so a crash never leaves a partial file.
func (tj *TokenizerJSON) WriteFile(path string) error {
	data, err := tj.Bytes()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	return nil
}

// Package tokenizer loads a Hugging Face tokenizer.json and encodes text to token ids with
// exact byte offsets into the original UTF-8 input.
//
// Supported (the configurations used by code LLMs):
//
//   - model: BPE (byte-level or sentencepiece-converted), with merges given as "a b" strings
//     or [a, b] pairs, byte_fallback (<0xNN> tokens), unk_token/fuse_unk, ignore_merges,
//     continuing_subword_prefix and end_of_word_suffix;
//   - normalizers: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence;
//   - pre-tokenizers: Split (regex or string; all five behaviors; invert), ByteLevel (with or
//     without the GPT-2 regex, add_prefix_space), Metaspace (prepend_scheme always/first/never),
//     Digits, Sequence;
//   - post-processors: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence;
//   - decoders: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, Sequence;
//   - added tokens (special or not), matched leftmost-longest before normalization (or after it,
//     for tokens with "normalized": true), honoring lstrip, rstrip and single_word.
//
// Anything else is rejected by [Load] and [FromJSON] with an error that names the component.
//
// Split regexes (GPT-2, GPT-4/cl100k, o200k, Qwen2 style) need lookahead such as \s+(?!\S),
// so they run on github.com/dlclark/regexp2, whose \s, \p{L}, \p{N} and (?i:...) agree with the
// Oniguruma engine used by the reference Rust implementation. The GPT-2, cl100k/Llama-3 and
// Qwen2 patterns additionally have hand-written matchers (fastsplit.go) that are tested to
// return exactly what regexp2 returns and are several times faster. The rest of the pipeline
// (added-token split, normalization, pre-tokenization, BPE with a word cache) is implemented
// here, because the Go libraries available either reject the lookahead or silently mis-split
// whitespace runs, and do not keep byte offsets through the byte-level mapping.
//
// Offsets. Every [Token] carries Start/End byte offsets into the text given to Encode. For the
// tokens of one call, the spans are non-overlapping and increasing, and concatenating
// text[Start:End] over all tokens reproduces the text exactly (except for gaps that a Split
// with the Removed behavior drops; the common patterns leave none). A byte-level token
// that covers only part of a multi-byte character gets exactly the bytes it covers. Characters
// inserted by the tokenizer (the "▁" that Llama's Prepend normalizer or a Metaspace
// pre-tokenizer puts in front, the space of ByteLevel add_prefix_space) cover zero bytes; a
// "▁" that replaces a space covers that space. Where a normalizer rewrites text (for example
// NFC composing "e\u0301" into "é"), all bytes of the rewritten piece map to the whole original
// piece; if BPE splits such a piece, the first token takes the span and the rest are empty.
package tokenizer

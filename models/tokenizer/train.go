package tokenizer

// Byte-level BPE training: a Trainer counts pre-tokenized pieces of text and learns merges
// with the standard incremental algorithm (train_bpe.go); the result is written as a
// Hugging Face tokenizer.json (train_json.go) that Load reads.
//
// Cross-check with the reference (one-off, not a test): tokenizer.json files written by
// this trainer (vocabulary 600 trained on this repository's Go files, and 8192 trained on
// 21 MB of Go 1.27 standard-library sources) were loaded by Hugging Face's Rust tokenizers
// (npm "tokenizers" 0.23.2, the official Node binding; Oniguruma regex), which accepted
// TrainSplitPattern, and by tokenizers.js (@huggingface/tokenizers 0.2.0). On 2,146 texts
// (testdata/corpus, 24 repository Go files, 60 standard-library files, 16 edge cases with
// CRLF, lone CR, NBSP, U+2028, U+0085, emoji and special-token literals, and 2,037 random
// code-like strings) both gave exactly the ids of this package's loader, for both files, and
// the Rust decoder gave back every text. testdata/golden_trained.json keeps such reference
// ids for a fixture (TestTrainFixture).
//
// Speed on the 2-core development machine (one-off, 21 MB of standard-library Go files,
// vocabulary 8192): Add 16 to 37 MB/s (the split matcher alone runs at about 140 MB/s,
// regexp2 at 5 MB/s), Train 0.15 to 0.3 s; 52 MB: Add 1.4 to 2.8 s, Train 0.3 to 0.6 s.
// Held-out standard-library files then take 0.36 tokens per byte (2.8 bytes per token).

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// TrainSplitPattern is the default pre-tokenization regex of [Trainer]: GPT-4's (cl100k)
// split pattern adapted to source code so that no piece holds a line break together with
// anything else. Alternatives, tried in order at each position:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)      English contractions (as GPT-4)
//	[^\r\n\p{L}\p{N}]?\p{L}+           a word, with at most one leading non-letter such as
//	                                   " ", "_", "." or "\t" (never a line break)
//	\p{N}{1,3}                         digits in groups of 1 to 3
//	 ?[^\s\p{L}\p{N}]+                 a punctuation run, with an optional leading space; unlike
//	                                   GPT-4 it does not absorb following line breaks
//	\r?\n|\r                           one line break ("\n", "\r\n" or a lone "\r")
//	[^\S\r\n]+(?!\S)|[^\S\r\n]+        a run of horizontal whitespace (indentation, trailing
//	                                   spaces); as in GPT-4, a run followed by a word leaves
//	                                   its last character to that word (`\s+(?!\S)`)
//
// So "\n\tif x {\n" splits as "\n", "\tif", " x", " {", "\n", and "\n        return"
// as "\n", "       ", " return". Every line break is a piece of its own, so byte-level BPE
// trained on these pieces never makes a token that crosses a line ("\r\n" may become one
// token). The pattern runs on Hugging Face's Oniguruma engine, on this package's regexp2
// path, and on a hand-written matcher (train_split.go) that gives the same pieces.
const TrainSplitPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\r?\n|\r|[^\S\r\n]+(?!\S)|[^\S\r\n]+`

// TrainOptions configures a [Trainer].
type TrainOptions struct {
	// VocabSize is the size of the vocabulary to build, counting the special tokens and the
	// 256 byte tokens: at least 256 + len(SpecialTokens). Training stops earlier if no pair
	// of tokens occurs MinFrequency times any more.
	VocabSize int
	// MinFrequency is the least number of occurrences of a pair of tokens for it to be merged.
	// Values 0 and 1 both mean that every pair that occurs can be merged.
	MinFrequency int
	// SpecialTokens get ids 0, 1, ... in the given order, before the byte tokens, and are
	// written as special added tokens (e.g. "<|endoftext|>"). Occurrences in the training
	// text are not counted as text, as Encode recognizes them as the special token.
	SpecialTokens []string
	// SplitPattern is the pre-tokenization regex (Oniguruma / regexp2 syntax, used with
	// behavior Isolated); "" means TrainSplitPattern.
	SplitPattern string
	// MaxWordsInMemory bounds the number of distinct pre-tokenized pieces ("words") the
	// trainer keeps counts for; 0 means no bound. When the table grows past it, the rarest
	// words are dropped until at most 3/4 of the bound remain (see Trainer.Add). The counts
	// are then approximate, but the same input in the same order still gives the same result.
	MaxWordsInMemory int
}

// Validate checks the options and names the offending field.
func (o *TrainOptions) Validate() error {
	minSize := 256 + len(o.SpecialTokens)
	if o.VocabSize < minSize {
		return fmt.Errorf("tokenizer: TrainOptions.VocabSize = %d: must be at least %d (256 byte tokens + %d special tokens)",
			o.VocabSize, minSize, len(o.SpecialTokens))
	}
	if o.MinFrequency < 0 {
		return fmt.Errorf("tokenizer: TrainOptions.MinFrequency = %d: must not be negative", o.MinFrequency)
	}
	if o.MaxWordsInMemory < 0 {
		return fmt.Errorf("tokenizer: TrainOptions.MaxWordsInMemory = %d: must not be negative (0 means no bound)", o.MaxWordsInMemory)
	}
	seen := map[string]bool{}
	for i, s := range o.SpecialTokens {
		switch {
		case s == "":
			return fmt.Errorf("tokenizer: TrainOptions.SpecialTokens[%d] is empty", i)
		case !utf8.ValidString(s):
			return fmt.Errorf("tokenizer: TrainOptions.SpecialTokens[%d] = %q is not valid UTF-8", i, s)
		case seen[s]:
			return fmt.Errorf("tokenizer: TrainOptions.SpecialTokens[%d] = %q is repeated", i, s)
		case utf8.RuneCountInString(s) == 1 && isByteLevelChar(s):
			return fmt.Errorf("tokenizer: TrainOptions.SpecialTokens[%d] = %q is also a byte token", i, s)
		}
		seen[s] = true
	}
	if _, err := compileRegex(o.splitPattern()); err != nil {
		return fmt.Errorf("tokenizer: TrainOptions.SplitPattern: %w", err)
	}
	return nil
}

// splitPattern returns SplitPattern or the default.
func (o *TrainOptions) splitPattern() string {
	if o.SplitPattern == "" {
		return TrainSplitPattern
	}
	return o.SplitPattern
}

// isByteLevelChar reports whether the one-character string s is in the byte-level alphabet.
func isByteLevelChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	_, ok := runeToByte[r]
	return ok
}

// TrainStats describes the text a [Trainer] has seen and what training made of it.
type TrainStats struct {
	// Bytes is the number of bytes given to Add (special-token literals included).
	Bytes int64
	// Pieces is the number of pre-tokenized pieces counted.
	Pieces int64
	// Words is the number of distinct pieces kept.
	Words int
	// PrunedWords is the number of distinct pieces dropped to honor MaxWordsInMemory.
	PrunedWords int64
	// Merges is the number of merges learned (0 before Train).
	Merges int
	// VocabSize is the size of the trained vocabulary (0 before Train).
	VocabSize int
}

// Trainer learns a byte-level BPE vocabulary from text given to Add. It keeps one count
// per distinct pre-tokenized piece, so its memory grows with the number of distinct pieces,
// not with the amount of text. A Trainer is not safe for concurrent use.
type Trainer struct {
	opts     TrainOptions
	pat      *pattern
	specials *addedMatcher
	words    map[string]int64
	pruneAt  int64 // counts at most this are dropped at the next prune
	stats    TrainStats
	matchBuf [][2]int
}

// NewTrainer returns a trainer for the options, or the error of opts.Validate.
func NewTrainer(opts TrainOptions) (*Trainer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.SpecialTokens = append([]string(nil), opts.SpecialTokens...)
	p, err := compileRegex(opts.splitPattern())
	if err != nil {
		return nil, fmt.Errorf("tokenizer: TrainOptions.SplitPattern: %w", err)
	}
	defs := make([]addedTokenDef, len(opts.SpecialTokens))
	for i, s := range opts.SpecialTokens {
		defs[i] = addedTokenDef{ID: i, Content: s, Special: true}
	}
	return &Trainer{
		opts:     opts,
		pat:      p,
		specials: newAddedMatcher(defs),
		words:    map[string]int64{},
	}, nil
}

// Add counts the pre-tokenized pieces of text, split exactly as Encode will split it
// (special-token literals are cut out first and not counted). Text that is not valid UTF-8
// is counted byte for byte, as the byte-level model encodes it. If MaxWordsInMemory is set
// and the table of distinct pieces outgrows it, the pieces with the lowest counts are
// dropped: all whose count is at most a threshold chosen so that at most 3/4 of the bound
// remain, and never lower than the previous threshold (as in lossy counting).
func (t *Trainer) Add(text string) {
	t.stats.Bytes += int64(len(text))
	for _, seg := range t.specials.split(text) {
		if seg.tok == nil {
			t.addPlain(text[seg.a:seg.b])
		}
	}
}

// addPlain counts the pieces of text that holds no special token.
func (t *Trainer) addPlain(s string) {
	t.matchBuf = t.pat.findAll(s, t.matchBuf[:0])
	for _, r := range splitRanges(len(s), t.matchBuf, false, behaviorIsolated) {
		w := s[r[0]:r[1]]
		if c, ok := t.words[w]; ok {
			t.words[w] = c + 1
		} else {
			t.words[strings.Clone(w)] = 1 // a copy, so the table does not pin text
		}
		t.stats.Pieces++
	}
	if t.opts.MaxWordsInMemory > 0 && len(t.words) > t.opts.MaxWordsInMemory {
		t.prune()
	}
}

// prune drops the rarest words until at most 3/4 of MaxWordsInMemory remain (see Add).
func (t *Trainer) prune() {
	target := t.opts.MaxWordsInMemory * 3 / 4
	counts := make([]int64, 0, len(t.words))
	for _, c := range t.words {
		counts = append(counts, c)
	}
	slices.Sort(counts)
	if k := len(counts) - target; k > 0 {
		t.pruneAt = max(t.pruneAt, counts[k-1])
	}
	for w, c := range t.words {
		if c <= t.pruneAt {
			delete(t.words, w)
			t.stats.PrunedWords++
		}
	}
}

// Stats reports what the trainer has counted so far.
func (t *Trainer) Stats() TrainStats {
	s := t.stats
	s.Words = len(t.words)
	return s
}

// Train learns merges from the counted pieces until the vocabulary has VocabSize tokens or
// no pair occurs MinFrequency times. It does not change the counts, so more text can be
// added and Train called again. The result is deterministic: pairs with equal counts are
// ranked by their byte strings (left token first, then right token, bytewise ascending).
func (t *Trainer) Train() (*TokenizerJSON, error) {
	if len(t.words) == 0 {
		return nil, fmt.Errorf("tokenizer: Train: no text was added")
	}
	res := trainBPE(t.words, &t.opts)
	stats := t.Stats()
	stats.Merges = len(res.merges)
	stats.VocabSize = len(res.vocab)
	return &TokenizerJSON{
		Vocab:         res.vocab,
		Merges:        res.merges,
		SpecialTokens: append([]string(nil), t.opts.SpecialTokens...),
		SplitPattern:  t.opts.splitPattern(),
		Stats:         stats,
	}, nil
}

package tokenizer

import (
	"encoding/json"
	"fmt"
)

// fileJSON is the top level of a tokenizer.json file. Components are kept raw and decoded by
// the builders, which reject unknown types by name.
type fileJSON struct {
	Version       string          `json:"version"`
	AddedTokens   []addedTokenDef `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
}

// addedTokenDef is one entry of "added_tokens".
type addedTokenDef struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// patternJSON is the {"String": "..."} or {"Regex": "..."} pattern used by Split and Replace.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// componentJSON holds the fields of every normalizer, pre-tokenizer, post-processor and
// decoder this package understands; Type selects which of them matter.
type componentJSON struct {
	Type string `json:"type"`

	// Sequence children (the key differs per component kind).
	Normalizers   []json.RawMessage `json:"normalizers"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`

	// Prepend normalizer.
	Prepend string `json:"prepend"`
	// Replace normalizer/decoder, Split pre-tokenizer.
	Pattern *patternJSON `json:"pattern"`
	Content *string      `json:"content"`
	// Split pre-tokenizer.
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
	// Strip normalizer.
	StripLeft  *bool `json:"strip_left"`
	StripRight *bool `json:"strip_right"`
	// Strip decoder.
	Start int `json:"start"`
	Stop  int `json:"stop"`
	// ByteLevel.
	AddPrefixSpace *bool `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"`
	// Metaspace.
	Replacement   string `json:"replacement"`
	PrependScheme string `json:"prepend_scheme"`
	Split         *bool  `json:"split"`
	// Digits.
	IndividualDigits bool `json:"individual_digits"`
	// TemplateProcessing.
	Single        []templateItemJSON             `json:"single"`
	SpecialTokens map[string]templateSpecialJSON `json:"special_tokens"`
	// RobertaProcessing / BertProcessing: ["<s>", 0].
	Cls json.RawMessage `json:"cls"`
	Sep json.RawMessage `json:"sep"`
	// BPEDecoder.
	Suffix *string `json:"suffix"`
}

// templateItemJSON is one element of a TemplateProcessing "single" template.
type templateItemJSON struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

// templateSpecialJSON is one entry of TemplateProcessing "special_tokens".
type templateSpecialJSON struct {
	ID     string   `json:"id"`
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

// modelJSON is the "model" object (BPE fields).
type modelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// decodeComponent parses raw into a componentJSON; a JSON null gives nil.
func decodeComponent(raw json.RawMessage, what string) (*componentJSON, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c componentJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if c.Type == "" {
		return nil, fmt.Errorf("%s: missing \"type\"", what)
	}
	return &c, nil
}

// isNull reports whether raw is absent or the JSON literal null.
func isNull(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case 'n':
			return true
		default:
			return false
		}
	}
	return true
}

// parseTokenTuple parses a ["<s>", 0] tuple of RobertaProcessing / BertProcessing.
func parseTokenTuple(raw json.RawMessage) (string, int, error) {
	var tuple []json.RawMessage
	if err := json.Unmarshal(raw, &tuple); err != nil || len(tuple) != 2 {
		return "", 0, fmt.Errorf("want [token, id], got %s", string(raw))
	}
	var s string
	var id int
	if err := json.Unmarshal(tuple[0], &s); err != nil {
		return "", 0, err
	}
	if err := json.Unmarshal(tuple[1], &id); err != nil {
		return "", 0, err
	}
	return s, id, nil
}

package tokenizer

import (
	"encoding/json"
	"fmt"
)

// Well-known names tried, in order, when neither the post-processor nor a
// tokenizer_config.json names the BOS / EOS token.
var (
	bosNames = []string{"<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>"}
	eosNames = []string{"</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>"}
)

// BOS returns the beginning-of-sequence token id: the first special token the post-processor
// puts before the text, else tokenizer_config.json's bos_token (Load, FromJSONWithConfig),
// else a well-known name among the special added tokens.
func (t *Tokenizer) BOS() (int, bool) { return t.bos, t.bos >= 0 }

// EOS returns the end-of-sequence token id: the first special token the post-processor puts
// after the text, else tokenizer_config.json's eos_token, else a well-known name among the
// special added tokens.
func (t *Tokenizer) EOS() (int, bool) { return t.eos, t.eos >= 0 }

// resolveSpecials sets bos and eos from the post-processor and well-known names.
func (t *Tokenizer) resolveSpecials() {
	t.bos, t.eos = -1, -1
	if len(t.post.prefix) > 0 {
		t.bos = t.post.prefix[0].id
	} else {
		t.bos = t.specialByName(bosNames)
	}
	if len(t.post.suffix) > 0 {
		t.eos = t.post.suffix[0].id
	} else {
		t.eos = t.specialByName(eosNames)
	}
}

// specialByName returns the id of the first name that is a special added token, or -1.
func (t *Tokenizer) specialByName(names []string) int {
	for _, n := range names {
		if a, ok := t.added[n]; ok && a.Special {
			return a.ID
		}
	}
	return -1
}

// applyConfig takes bos_token / eos_token from tokenizer_config.json where the
// post-processor did not set them.
func (t *Tokenizer) applyConfig(data []byte) error {
	var cfg struct {
		BOS json.RawMessage `json:"bos_token"`
		EOS json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if len(t.post.prefix) == 0 {
		if id, ok, err := t.configToken(cfg.BOS); err != nil {
			return fmt.Errorf("bos_token: %w", err)
		} else if ok {
			t.bos = id
		}
	}
	if len(t.post.suffix) == 0 {
		if id, ok, err := t.configToken(cfg.EOS); err != nil {
			return fmt.Errorf("eos_token: %w", err)
		} else if ok {
			t.eos = id
		}
	}
	return nil
}

// configToken resolves a tokenizer_config.json token entry: a string, an
// {"content": ...} object, or null.
func (t *Tokenizer) configToken(raw json.RawMessage) (int, bool, error) {
	if isNull(raw) {
		return 0, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var obj struct {
			Content string `json:"content"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return 0, false, fmt.Errorf("want a string or {\"content\": ...}, got %s", string(raw))
		}
		s = obj.Content
	}
	id, ok := t.TokenID(s)
	if !ok {
		return 0, false, fmt.Errorf("%q is not in the vocabulary", s)
	}
	return id, true, nil
}

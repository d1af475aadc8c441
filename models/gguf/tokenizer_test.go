package gguf

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models/tokenizer"
)

// byteTokens is the 256-token GPT-2 byte alphabet in byte order (bytes_to_unicode).
func byteTokens() []string {
	out := make([]string, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// newTokBuilder is a GGUF holding a tiny byte-level BPE tokenizer: the 256 byte tokens, merges
// "Ġ r" → "Ġr", "Ġr e" → "Ġre", one control token and one user-defined token.
func newTokBuilder() *builder {
	toks := append(byteTokens(), "Ġr", "Ġre", "<|end|>", "<tool>")
	types := make([]int32, len(toks))
	for i := range types {
		types[i] = tokenNormal
	}
	types[258], types[259] = tokenControl, tokenUserDefined
	return newBuilder().
		add("tokenizer.ggml.model", valStr("gpt2")).
		add("tokenizer.ggml.pre", valStr("smollm")).
		add("tokenizer.ggml.tokens", valStrs(toks...)).
		add("tokenizer.ggml.token_type", valI32s(types...)).
		add("tokenizer.ggml.merges", valStrs("Ġ r", "Ġr e")).
		add("tokenizer.ggml.bos_token_id", valU32(258)).
		add("tokenizer.ggml.eos_token_id", valU32(258))
}

func TestTokenizerJSON(t *testing.T) {
	f, err := Open(writeTemp(t, "tok.gguf", newTokBuilder().bytes()))
	require.NoError(t, err)
	defer f.Close()
	tj, cj, err := f.TokenizerJSON()
	require.NoError(t, err)
	tok, err := tokenizer.FromJSONWithConfig(tj, cj)
	require.NoError(t, err)
	// "smollm" splits digits one by one before GPT-2's regex; " re" merges to one token; the
	// control token is matched in the text; offsets cover the input.
	text := "x re12<|end|>"
	got := tok.Encode(text)
	var ids []int
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	require.Equal(t, []int{'x', 257, '1', '2', 258}, ids)
	require.Equal(t, 1, got[1].Start)
	require.Equal(t, 4, got[1].End)
	require.True(t, got[4].Special)
	bos, ok := tok.BOS()
	require.True(t, ok)
	require.Equal(t, 258, bos)
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(cj, &cfg))
	require.Equal(t, "<|end|>", cfg["eos_token"])
	require.Equal(t, false, cfg["add_bos_token"])
}

func TestTokenizerJSONErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(b *builder)
		want string
	}{
		{"sentencepiece", func(b *builder) { b.kvs[0] = kv{"tokenizer.ggml.model", valStr("llama")} }, `tokenizer.ggml.model "llama" is not supported`},
		{"unknown pre", func(b *builder) { b.kvs[1] = kv{"tokenizer.ggml.pre", valStr("mystery")} }, `tokenizer.ggml.pre "mystery" is not supported`},
		{"types length", func(b *builder) { b.kvs[3] = kv{"tokenizer.ggml.token_type", valI32s(1, 1)} }, "token_type has 2 entries for 260 tokens"},
		{"bos out of range", func(b *builder) { b.kvs[5] = kv{"tokenizer.ggml.bos_token_id", valU32(9999)} }, "bos_token_id = 9999 is outside the vocabulary"},
		{"tokens not strings", func(b *builder) { b.kvs[2] = kv{"tokenizer.ggml.tokens", valU32(3)} }, "tokenizer.ggml.tokens is a uint32, want an array of string"},
		{"duplicate token", func(b *builder) {
			b.kvs[2] = kv{"tokenizer.ggml.tokens", valStrs(append(byteTokens(), "a", "Ġre", "<|end|>", "<tool>")...)}
		}, `token "a" appears twice`},
		{"no model key", func(b *builder) { b.kvs[0] = kv{"x.other", valU32(1)} }, "metadata key tokenizer.ggml.model is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newTokBuilder()
			c.edit(b)
			p := writeTemp(t, "tok.gguf", b.bytes())
			f, err := Open(p)
			require.NoError(t, err)
			defer f.Close()
			_, _, err = f.TokenizerJSON()
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, p)
		})
	}
}

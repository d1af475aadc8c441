package tokenizer

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// checkSpans verifies that spans are in range, increasing and together cover text exactly
// (inserted special tokens are empty).
func checkSpans(t *testing.T, label, text string, toks []Token) {
	t.Helper()
	prev := 0
	for i, tok := range toks {
		if tok.Start < prev || tok.End < tok.Start || tok.End > len(text) {
			t.Fatalf("%s: token %d %+v: bad span (previous end %d, text length %d)", label, i, tok, prev, len(text))
		}
		if tok.Start != prev {
			t.Fatalf("%s: token %d %+v: gap after byte %d", label, i, tok, prev)
		}
		prev = tok.End
	}
	if got := concatSpans(text, toks); got != text {
		t.Fatalf("%s: spans concatenate to %q, want the text", label, got)
	}
}

// TestOffsetsCoverSource checks, for every fixture and corpus file, that the concatenated
// spans reproduce the source and that each token's bytes equal the source bytes it spans.
func TestOffsetsCoverSource(t *testing.T) {
	files := corpus(t)
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			tk := fixture(t, name)
			for _, f := range files {
				toks := tk.Encode(f.text)
				checkSpans(t, f.name, f.text, toks)
				withSpecial := tk.EncodeWithSpecial(f.text)
				checkSpans(t, f.name+" (with special)", f.text, withSpecial)

				rewritten := name == "qwen3" && norm.NFC.String(f.text) != f.text
				var all []byte
				for i, tok := range toks {
					b, ok := tk.TokenBytes(tok.ID)
					if !ok {
						t.Fatalf("%s: token %d id %d has no bytes", f.name, i, tok.ID)
					}
					all = append(all, b...)
					if rewritten {
						continue // NFC changed the text: checked as a whole below
					}
					src := f.text[tok.Start:tok.End]
					switch {
					case string(b) == src:
					case !byteLevelFixtures[name] && string(b) == " "+src && strings.HasPrefix(tok.Text, "▁"):
						// Llama's Prepend("▁") inserts a space marker that covers no bytes.
					default:
						t.Fatalf("%s: token %d %+v: bytes %q but spans %q", f.name, i, tok, b, src)
					}
				}
				if rewritten && string(all) != norm.NFC.String(f.text) {
					t.Errorf("%s: token bytes do not spell the NFC text", f.name)
				}
			}
		})
	}
}

// TestOffsetsPartialRunes checks that byte-level tokens holding part of a multi-byte
// character span exactly the bytes they hold.
func TestOffsetsPartialRunes(t *testing.T) {
	text := "x 👨‍👩‍👧‍👦 变量 Ω\n"
	for _, name := range []string{"qwen3", "gpt2", "gpt4o"} {
		tk := fixture(t, name)
		toks := tk.Encode(text)
		checkSpans(t, name, text, toks)
		partial := 0
		for _, tok := range toks {
			b, _ := tk.TokenBytes(tok.ID)
			if !bytes.Equal(b, []byte(text[tok.Start:tok.End])) {
				t.Errorf("%s: %+v: bytes %q, span %q", name, tok, b, text[tok.Start:tok.End])
			}
			if !isWhole(text, tok.Start, tok.End) {
				partial++
			}
		}
		if partial == 0 {
			t.Errorf("%s: expected some tokens splitting a multi-byte character", name)
		}
	}
	// Llama's byte_fallback tokens <0xNN> get one byte each.
	tk := fixture(t, "llama2")
	toks := tk.Encode("ꙮ")
	checkSpans(t, "llama2", "ꙮ", toks)
	var got []string
	for _, tok := range toks {
		got = append(got, tok.Text)
	}
	if len(toks) < 3 || toks[len(toks)-1].End-toks[len(toks)-1].Start != 1 {
		t.Errorf("llama2 byte fallback tokens %v %+v", got, toks)
	}
}

// isWhole reports whether [a, b) of s starts and ends on character boundaries.
func isWhole(s string, a, b int) bool {
	boundary := func(i int) bool { return i == 0 || i == len(s) || s[i]&0xC0 != 0x80 }
	return boundary(a) && boundary(b)
}

// TestLlamaPrependZeroWidth checks the sentencepiece-style offsets: the prepended "▁"
// covers no bytes and a "▁" replacing a space covers that space.
func TestLlamaPrependZeroWidth(t *testing.T) {
	tk := fixture(t, "llama2")
	text := "\nfoo bar"
	toks := tk.Encode(text)
	checkSpans(t, "llama2", text, toks)
	if toks[0].Text != "▁" || toks[0].Start != 0 || toks[0].End != 0 {
		t.Errorf("first token %+v, want the prepended ▁ at [0,0)", toks[0])
	}
	for _, tok := range toks {
		if tok.Text == "▁bar" && (tok.Start != 4 || tok.End != 8) {
			t.Errorf("▁bar spans [%d,%d), want [4,8)", tok.Start, tok.End)
		}
	}
	ws := tk.EncodeWithSpecial(text)
	if !ws[0].Special || ws[0].ID != 1 || ws[0].Start != 0 || ws[0].End != 0 {
		t.Errorf("EncodeWithSpecial first token %+v, want BOS <s> at [0,0)", ws[0])
	}
}

// TestDecodeRoundTrip checks Decode(Encode(x)) == x on the corpus (NFC(x) for Qwen, whose
// normalizer is NFC).
func TestDecodeRoundTrip(t *testing.T) {
	files := corpus(t)
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			tk := fixture(t, name)
			for _, f := range files {
				want := f.text
				if name == "qwen3" {
					want = norm.NFC.String(want)
				}
				if got := tk.Decode(tk.IDs(tk.Encode(f.text))); got != want {
					t.Errorf("%s: round trip differs:\n got %q\nwant %q", f.name, trunc(got), trunc(want))
				}
			}
		})
	}
}

// trunc shortens s for error messages.
func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// trickyPieces are building blocks for random strings that stress the split patterns.
var trickyPieces = []string{
	"a", "Z", "é", "变", "Ω", "ǅ", "ʰ", "\u0301", "ß", "İ", "ſ", "K",
	"1", "9", "²", "①", "٣", "Ⅷ",
	" ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\v", "\f", "\u200b",
	"'", "'s", "'S", "'t", "'ll", "'LL", "'Re", "'ve", "'m", "'D", "'x",
	"!", "-", "/", "_", ".", "(", "){", "😀", "👨‍👩‍👧", "\u200d", "\ufeff", "\xff", "\xc3",
}

// randomText joins n random tricky pieces.
func randomText(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteString(trickyPieces[rng.IntN(len(trickyPieces))])
	}
	return sb.String()
}

// TestFastSplitMatchesRegexp2 checks the hand-written matchers against regexp2 on the
// corpus, the golden cases and many random strings.
func TestFastSplitMatchesRegexp2(t *testing.T) {
	var texts []string
	for _, f := range corpus(t) {
		texts = append(texts, f.text)
	}
	for _, c := range golden(t, "qwen3").Cases {
		texts = append(texts, c.Text)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		texts = append(texts, randomText(rng, 1+rng.IntN(12)))
	}
	for src := range fastMatchers {
		p, err := compileRegex(src)
		if err != nil {
			t.Fatal(err)
		}
		if p.fast == nil {
			t.Fatalf("no fast matcher for %q", src)
		}
		for _, text := range texts {
			got := p.findAll(text, nil)
			want := p.findAllRegexp2(text, nil)
			if !slices.Equal(got, want) {
				t.Fatalf("pattern %q on %q:\n got %v\nwant %v", src, text, show(text, got), show(text, want))
			}
		}
	}
}

// show renders match ranges as strings.
func show(text string, ms [][2]int) []string {
	var out []string
	for _, m := range ms {
		out = append(out, text[m[0]:m[1]])
	}
	return out
}

// TestFastMatchersUsed checks that the fixtures' patterns hit a fast matcher.
func TestFastMatchersUsed(t *testing.T) {
	for _, name := range []string{"qwen3", "gpt2"} {
		tk := fixture(t, name)
		found := false
		var walk func(p preTokenizer)
		walk = func(p preTokenizer) {
			switch x := p.(type) {
			case seqPreTok:
				for _, c := range x {
					walk(c)
				}
			case *splitPreTok:
				found = found || x.pat.fast != nil
			case *byteLevelPreTok:
				found = found || (x.re != nil && x.re.fast != nil)
			}
		}
		walk(tk.pre)
		if !found {
			t.Errorf("%s: split pattern has no fast matcher", name)
		}
	}
}

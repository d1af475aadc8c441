package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// codePieces are building blocks for random code-like strings.
var codePieces = []string{
	"\n", "\r\n", "\r", "\n\n", "    ", "\t", "\t\t", "  ", " ", "\u00a0", "\u3000", "\v", "\f", "\u0085",
	"return", "x", "_id", "Foo", "é", "变量", "1", "123", "12345", "²",
	"{", "}", "()", ");", ".", "->", "//", "/*", "*/", "#", "'", "'s", "'LL", "\"", "`", "\xff",
}

// randomCode joins n random code-like and tricky pieces.
func randomCode(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		if rng.IntN(2) == 0 {
			sb.WriteString(codePieces[rng.IntN(len(codePieces))])
		} else {
			sb.WriteString(trickyPieces[rng.IntN(len(trickyPieces))])
		}
	}
	return sb.String()
}

// TestTrainSplitMatchesRegexp2 checks the hand-written TrainSplitPattern matcher against
// regexp2 on the corpus, on Go sources of this repository and on random strings.
func TestTrainSplitMatchesRegexp2(t *testing.T) {
	p, err := compileRegex(TrainSplitPattern)
	if err != nil {
		t.Fatal(err)
	}
	if p.fast == nil {
		t.Fatal("TrainSplitPattern has no fast matcher")
	}
	var texts []string
	for _, f := range corpus(t) {
		texts = append(texts, f.text)
	}
	for i, f := range repoGoFiles(t) {
		if i%3 == 0 { // a sample keeps the slow regexp2 side short
			texts = append(texts, f.text)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		texts = append(texts, randomCode(rng, 1+rng.IntN(16)))
	}
	for _, text := range texts {
		got := p.findAll(text, nil)
		want := p.findAllRegexp2(text, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("on %q:\n got %q\nwant %q", text, show(text, got), show(text, want))
		}
	}
}

// TestTrainSplitPieces checks how TrainSplitPattern splits typical code and that no piece
// holds a line break together with anything else.
func TestTrainSplitPieces(t *testing.T) {
	p, err := compileRegex(TrainSplitPattern)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"\n\tif x {\n":           {"\n", "\tif", " x", " {", "\n"},
		"\n        return x\n":   {"\n", "       ", " return", " x", "\n"},
		"a  \n\n    return":      {"a", "  ", "\n", "\n", "   ", " return"},
		"f(x);\r\n}\r\n\r\n":     {"f", "(x", ");", "\r\n", "}", "\r\n", "\r\n"},
		"x = 1234567 // don't\n": {"x", " =", " ", "123", "456", "7", " //", " don", "'t", "\n"},
		"end  \n":                {"end", "  ", "\n"},
		"\t\tfoo()\n":            {"\t", "\tfoo", "()", "\n"},
		"a\r\rb":                 {"a", "\r", "\r", "b"},
	}
	for text, want := range cases {
		ms := p.findAll(text, nil)
		got := show(text, ms)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
		if !slices.Equal(ms, p.findAllRegexp2(text, nil)) {
			t.Errorf("%q: fast matcher and regexp2 differ", text)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	texts := []string{}
	for _, f := range corpus(t) {
		texts = append(texts, f.text)
	}
	for range 2000 {
		texts = append(texts, randomCode(rng, 1+rng.IntN(20)))
	}
	for _, text := range texts {
		ms := p.findAll(text, nil)
		for _, r := range splitRanges(len(text), ms, false, behaviorIsolated) {
			if piece := text[r[0]:r[1]]; !lineSafe(piece) {
				t.Fatalf("piece %q of %q mixes a line break with other characters", piece, text)
			}
		}
	}
}

// lineSafe reports whether s holds no line break, or is exactly "\n", "\r\n" or "\r".
func lineSafe(s string) bool {
	if !strings.ContainsAny(s, "\r\n") {
		return true
	}
	return s == "\n" || s == "\r\n" || s == "\r"
}

// BenchmarkTrainSplit measures the TrainSplitPattern matcher on the Go corpus file.
func BenchmarkTrainSplit(b *testing.B) {
	p, err := compileRegex(TrainSplitPattern)
	if err != nil {
		b.Fatal(err)
	}
	var text string
	for _, f := range corpus(b) {
		text += f.text
	}
	b.SetBytes(int64(len(text)))
	for _, path := range []string{"fast", "regexp2"} {
		b.Run(path, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var dst [][2]int
			for b.Loop() {
				if path == "fast" {
					dst = p.findAll(text, dst[:0])
				} else {
					dst = p.findAllRegexp2(text, dst[:0])
				}
			}
		})
	}
}

package states

import (
	"strings"
	"sync"
	"testing"

	"github.com/pttrust/pttrust/models/tokenizer"
)

var (
	fuzzTokOnce sync.Once
	fuzzToks    []*tokenizer.Tokenizer
)

// fuzzTokenizers loads, once per process, a byte-level tokenizer (gpt2, whose merged tokens
// span line terminators) and a sentencepiece one whose template inserts BOS (llama2).
func fuzzTokenizers(t *testing.T) []*tokenizer.Tokenizer {
	fuzzTokOnce.Do(func() {
		fuzzToks = []*tokenizer.Tokenizer{loadTokenizer(t, "gpt2"), loadTokenizer(t, "llama2")}
	})
	if len(fuzzToks) != 2 {
		t.Fatal("fixture tokenizers did not load")
	}
	return fuzzToks
}

// FuzzLines checks the line rule and the token-to-line mapping on arbitrary text. SplitLines:
// the lines tile the text in order (each starts where the previous one's terminator ends, the
// last ends at the text's end), a line's content holds no "\n", its terminator is "\n" or
// "\r\n" (nothing only for a last line), and an empty text has no lines. LineOf puts every byte
// offset in the line whose span holds it. TokenLines, on the tokens of two real tokenizers (with
// and without the inserted BOS): every token maps to the line its start lies in, special tokens
// to -1; LineTokens counts every other token exactly once, in contiguous ranges. The corpus is
// kept in testdata/fuzz/FuzzLines.
func FuzzLines(f *testing.F) {
	for _, s := range []string{"", "\n", "a", "a\n", "a\r\nb", "\r\n\r\n", "x\r", "\r", "a\n\nb\n",
		"def f(x):\n    return x  \r\n\n<|endoftext|>\n}\n", "é\xff\n\t\n", "<s>\n</s>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := SplitLines(src)
		checkLines(t, src, lines)
		for off := range len(src) + 1 {
			k := LineOf(lines, off)
			if len(lines) == 0 {
				continue
			}
			if k < 0 || k >= len(lines) || (off < len(src) && (off < lines[k].Start || off >= lines[k].Next)) || (off == len(src) && k != len(lines)-1) {
				t.Fatalf("LineOf(%d) = %d, lines %+v", off, k, lines)
			}
		}
		for _, tk := range fuzzTokenizers(t) {
			for _, toks := range [][]tokenizer.Token{tk.Encode(src), tk.EncodeWithSpecial(src)} {
				checkTokenLines(t, src, lines, toks)
			}
		}
	})
}

// checkLines verifies that lines are the lines of src by the shared rule.
func checkLines(t *testing.T, src string, lines []Line) {
	if src == "" && len(lines) != 0 {
		t.Fatalf("empty text: %d lines", len(lines))
	}
	want := strings.Count(src, "\n")
	if src != "" && !strings.HasSuffix(src, "\n") {
		want++
	}
	if len(lines) != want {
		t.Fatalf("%d lines, want %d (%q)", len(lines), want, src)
	}
	next := 0
	for i, l := range lines {
		if l.Index != i || l.Start != next || l.Start > l.End || l.End > l.Next || l.Next > len(src) {
			t.Fatalf("line %d %+v: does not follow the previous line (ending at %d) in %d bytes", i, l, next, len(src))
		}
		if strings.Contains(l.Text(src), "\n") {
			t.Fatalf("line %d %+v holds a newline", i, l)
		}
		switch term := src[l.End:l.Next]; {
		case term == "\n", term == "\r\n":
		case term == "" && i == len(lines)-1:
		default:
			t.Fatalf("line %d %+v: terminator %q", i, l, term)
		}
		next = l.Next
	}
	if next != len(src) {
		t.Fatalf("lines end at %d of %d bytes", next, len(src))
	}
}

// checkTokenLines verifies TokenLines and LineTokens on toks.
func checkTokenLines(t *testing.T, src string, lines []Line, toks []tokenizer.Token) {
	tl := TokenLines(lines, toks)
	if len(tl) != len(toks) {
		t.Fatalf("%d line indices for %d tokens", len(tl), len(toks))
	}
	plain := 0
	for i, tok := range toks {
		l := tl[i]
		if tok.Special || len(lines) == 0 {
			if l != -1 {
				t.Fatalf("token %d %+v (special, or a text without lines) maps to line %d", i, tok, l)
			}
			continue
		}
		plain++
		if l < 0 || l >= len(lines) {
			t.Fatalf("token %d %+v maps to line %d of %d", i, tok, l, len(lines))
		}
		if tok.Start < len(src) && (tok.Start < lines[l].Start || tok.Start >= lines[l].Next) {
			t.Fatalf("token %d %+v starts outside its line %+v", i, tok, lines[l])
		}
		if tok.Start >= len(src) && l != len(lines)-1 {
			t.Fatalf("token %d %+v at the end maps to line %d, not the last", i, tok, l)
		}
	}
	ranges := LineTokens(tl, len(lines))
	counted := 0
	for li, r := range ranges {
		counted += r.Count
		if r.Empty() {
			if r.First != -1 || r.Last != -1 {
				t.Fatalf("line %d: empty range %+v", li, r)
			}
			continue
		}
		if tl[r.First] != li || tl[r.Last] != li || r.First > r.Last {
			t.Fatalf("line %d: range %+v does not start and end on the line", li, r)
		}
		n := 0
		for k := r.First; k <= r.Last; k++ {
			switch tl[k] {
			case li:
				n++
			case -1:
			default:
				t.Fatalf("line %d: range %+v holds token %d of line %d", li, r, k, tl[k])
			}
		}
		if n != r.Count {
			t.Fatalf("line %d: range %+v holds %d tokens of the line", li, r, n)
		}
	}
	if counted != plain {
		t.Fatalf("LineTokens counts %d tokens, %d are on lines", counted, plain)
	}
}

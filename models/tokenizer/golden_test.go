package tokenizer

import (
	"fmt"
	"slices"
	"testing"
)

// TestGoldenCorpus compares ids with the reference for every corpus file and fixture.
func TestGoldenCorpus(t *testing.T) {
	files := corpus(t)
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			tk := fixture(t, name)
			g := golden(t, name)
			if len(g.Files) != len(files) {
				t.Errorf("golden has %d files, corpus has %d: rerun testdata/gen_golden.mjs", len(g.Files), len(files))
			}
			for _, f := range files {
				want, ok := g.Files[f.name]
				if !ok {
					t.Errorf("%s: no golden ids", f.name)
					continue
				}
				got := tk.IDs(tk.Encode(f.text))
				if d := firstDiff(got, want.IDs); d != "" {
					t.Errorf("%s: Encode ids differ from reference: %s", f.name, d)
				}
				gotS := tk.IDs(tk.EncodeWithSpecial(f.text))
				if d := firstDiff(gotS, want.IDsSpecial); d != "" {
					t.Errorf("%s: EncodeWithSpecial ids differ from reference: %s", f.name, d)
				}
			}
		})
	}
}

// TestGoldenCases compares ids with the reference on short hand-written strings, including
// special-token literals.
func TestGoldenCases(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			tk := fixture(t, name)
			for _, c := range golden(t, name).Cases {
				got := tk.IDs(tk.Encode(c.Text))
				if d := firstDiff(got, c.IDs); d != "" {
					t.Errorf("Encode(%q): %s", c.Text, d)
				}
				gotS := tk.IDs(tk.EncodeWithSpecial(c.Text))
				if d := firstDiff(gotS, c.IDsSpecial); d != "" {
					t.Errorf("EncodeWithSpecial(%q): %s", c.Text, d)
				}
			}
		})
	}
}

// firstDiff describes the first difference between got and want, or "" if equal.
func firstDiff(got, want []int) string {
	if slices.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-3)
	return fmt.Sprintf("len got %d want %d; first difference at %d: got %v want %v",
		len(got), len(want), i, got[lo:min(len(got), i+4)], want[lo:min(len(want), i+4)])
}

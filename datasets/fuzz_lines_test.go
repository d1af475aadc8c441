package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzLanguage picks a language from a fuzzed byte: every known one, and one unknown.
func fuzzLanguage(b uint8) Language {
	if i := int(b) % (len(AllLanguages) + 1); i < len(AllLanguages) {
		return AllLanguages[i]
	}
	return "cobol"
}

// addCodeSeeds adds the code files of testdata (the mutation programs and the pairs) to f,
// through add.
func addCodeSeeds(f *testing.F, add func(lang uint8, code string)) {
	for _, dir := range []string{"testdata/mutate", "testdata/pairs/buggy"} {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil || len(data) > 4<<10 {
				return nil
			}
			l, _ := LanguageOfName(p)
			i := slices.Index(AllLanguages, l)
			if i < 0 {
				i = len(AllLanguages)
			}
			add(uint8(i), string(data))
			return nil
		})
	}
}

// FuzzLineRule checks the line splitter every stage shares on arbitrary text: CodeLines has
// LineCount elements, none holding a newline; the lines with their terminators (splitRaw)
// rebuild the text byte for byte; ScorableLines gives one flag per line and never flags a blank
// or punctuation-only line, in any language (the lexer must not panic on any input). The corpus
// is kept in testdata/fuzz/FuzzLineRule.
func FuzzLineRule(f *testing.F) {
	addCodeSeeds(f, func(lang uint8, code string) { f.Add(lang, code) })
	for i, s := range []string{"", "\n", "a\r\nb\r", "\"\"\"doc\n\"\"\"\nx = 1\n", "/* a\n*/ b;\n}\n", "`a\n${b}`\n", "r#\"x\n\"#;\n", "'\\\n'\n", "x = '''\n"} {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, langByte uint8, code string) {
		lang := fuzzLanguage(langByte)
		lines := CodeLines(code)
		if len(lines) != LineCount(code) {
			t.Fatalf("CodeLines gives %d lines, LineCount %d", len(lines), LineCount(code))
		}
		raw := splitRaw(code)
		if len(raw) != len(lines) || joinRaw(raw) != code {
			t.Fatalf("splitRaw does not rebuild the text: %q", raw)
		}
		for i, l := range raw {
			if l.text != lines[i] || slices.Contains([]byte(l.text), '\n') || (l.term == "" && i != len(raw)-1) {
				t.Fatalf("line %d: %q + %q (CodeLines: %q)", i, l.text, l.term, lines[i])
			}
		}
		sc := ScorableLines(lang, code)
		if len(sc) != len(lines) {
			t.Fatalf("%s: ScorableLines gives %d flags for %d lines", lang, len(sc), len(lines))
		}
		for i, ok := range sc {
			if ok && !Scorable(lines[i]) {
				t.Fatalf("%s: line %d %q is blank or punctuation only but scored", lang, i, lines[i])
			}
		}
	})
}

// FuzzDiffLabels checks the labels DiffLabels derives from a pair of versions: one label (0 or
// 1) and one alignment per buggy line; at least one line labeled; blank lines neither labeled
// nor aligned; alignments inside the fixed version and increasing, every unlabeled non-blank
// line aligned to a line equal to it after normalization; a version against itself (or against
// itself with blank lines added) has no difference; and a cap on the edit distance either
// refuses the pair (ErrTooDifferent) or changes nothing. The corpus is kept in
// testdata/fuzz/FuzzDiffLabels.
func FuzzDiffLabels(f *testing.F) {
	pairs := map[string]uint8{"a.py": 1, "b.go": 0, "sub/C.java": 2}
	for name, lang := range pairs {
		b, errB := os.ReadFile(filepath.Join("testdata/pairs/buggy", name))
		x, errX := os.ReadFile(filepath.Join("testdata/pairs/fixed", name))
		if errB == nil && errX == nil {
			f.Add(lang, string(b), string(x), uint8(0))
			f.Add(lang, string(b), string(x), uint8(1))
		}
	}
	f.Add(uint8(1), "def f(x):\n    for i in x:\n        y = i\n    return y\n", "def f(x):\n    for i in x:\n        y = i\n        return y\n", uint8(0))
	f.Add(uint8(0), "a\n\nb\n", "a\nb\n", uint8(0))
	f.Add(uint8(3), "x = 1;\n", "x = 1;\ny = 2;\n", uint8(1))
	f.Add(uint8(5), "s = ' ';\r\n", "s = '';\n", uint8(2))
	f.Add(uint8(8), "\n\n", "a\n", uint8(0))

	f.Fuzz(func(t *testing.T, langByte uint8, buggy, fixed string, capByte uint8) {
		lang := fuzzLanguage(langByte)
		bl, fl := CodeLines(buggy), CodeLines(fixed)
		blank := func(l string) bool { return normalizeFor(lang, l) == "" }
		nonBlank := slices.ContainsFunc(bl, func(l string) bool { return !blank(l) })

		// A version against itself, and against itself with blank lines added, has no difference.
		for _, same := range []string{buggy, "\n" + buggy + "\n\n"} {
			if _, _, err := DiffLabels(lang, buggy, same, 0); nonBlank != errors.Is(err, ErrNoDifference) || err == nil {
				t.Fatalf("%s: a version against itself: %v", lang, err)
			}
		}

		labels, aligned, err := DiffLabels(lang, buggy, fixed, 0)
		if err != nil {
			if !nonBlank || errors.Is(err, ErrNoDifference) {
				return
			}
			t.Fatalf("%s: a pair with a non-blank buggy line refused: %v", lang, err)
		}
		if !nonBlank {
			t.Fatalf("%s: a buggy version without a non-blank line labeled", lang)
		}
		if len(labels) != len(bl) || len(aligned) != len(bl) {
			t.Fatalf("%d labels and %d alignments for %d buggy lines", len(labels), len(aligned), len(bl))
		}
		ones, last := 0, int32(-1)
		for i, l := range labels {
			o := aligned[i]
			switch {
			case l != 0 && l != 1:
				t.Fatalf("line %d: label %d", i, l)
			case o < -1 || int(o) >= len(fl):
				t.Fatalf("line %d: aligned to %d of %d fixed lines", i, o, len(fl))
			case blank(bl[i]) && (l != 0 || o != -1):
				t.Fatalf("blank line %d %q: label %d, aligned %d", i, bl[i], l, o)
			case !blank(bl[i]) && l == 0 && (o < 0 || normalizeFor(lang, fl[o]) != normalizeFor(lang, bl[i])):
				t.Fatalf("unlabeled line %d %q aligned to %d", i, bl[i], o)
			}
			if o >= 0 {
				if o <= last {
					t.Fatalf("line %d aligned to %d after %d: not increasing", i, o, last)
				}
				last = o
			}
			ones += int(l)
		}
		if ones == 0 {
			t.Fatalf("%s: no line labeled", lang)
		}

		// A cap refuses the pair or gives the same (minimal) diff.
		capped := int(capByte%16) + 1
		l2, a2, err := DiffLabels(lang, buggy, fixed, capped)
		switch {
		case errors.Is(err, ErrTooDifferent):
		case err != nil:
			t.Fatalf("cap %d: %v", capped, err)
		case !slices.Equal(l2, labels) || !slices.Equal(a2, aligned):
			t.Fatalf("cap %d changed the diff: %v %v, uncapped %v %v", capped, l2, a2, labels, aligned)
		}
	})
}

package report

import (
	"bytes"
	"strings"
	"testing"
)

const wantPlain = `pttrust v0.1.0-test  model models/tiny-coder  assessor runs/a1/assessor  threshold 0.500
gutter: line, !! flagged (score at or above threshold), rank (1 = riskiest), score, risk bar (half full at the threshold)

== src/app.py (python): 7 lines, 5 scored, 2 flagged
1    4 0.100 ###      | import os
2                     |
3    3 0.300 ####     | def run(cmd):
4 !! 1 0.900 ######## |     os.system(cmd)
5 !! 2 0.700 ######   |     s = "</script><b>bold</b>" + '&amp;' # <!-- x -->
6                     | }
7    5 0.200 ###      | print("�[31mred")
  !! line 4: rank 1 of 5, score 0.900; top latents:
       latent 37 (activation 2.5)
         e.g. train-0012:7 (3.25): subprocess.call(x, shell=True)
       latent 5 (activation 1.12)
  !! line 5: rank 2 of 5, score 0.700; top latents:
       latent 88 (activation 0.75)
         e.g. train-<9>:1 (1.5): x = '</script>'

== cmd/main.go (go): 2 lines, 2 scored, 0 flagged
1    2 -1.250          | package main
2    1  0.250 ###      | func main() {}

== broken.rs (rust): error: cannot read: permission denied
3 files, 2 flagged lines, 1 file not scored
`

func TestWriteTextPlain(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleReport(), false); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if got != wantPlain {
		t.Errorf("plain text output differs.\n--- got\n%s\n--- want\n%s", got, wantPlain)
	}
	if strings.Contains(got, "\x1b") {
		t.Error("plain output holds an escape character")
	}
}

func TestWriteTextColor(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleReport(), true); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		ansiBoldRed + "!!" + ansiReset, // flagged marker in red
		"\x1b[38;5;196m████████",       // the riskiest line's full red bar
		"│ " + ansiReset + "    os.system(cmd)\n",
		ansiBoldRed + "== broken.rs (rust): error: cannot read: permission denied" + ansiReset,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("colour output lacks %q", want)
		}
	}
	// The ESC in the code of line 7 must not reach the terminal.
	if strings.Contains(got, "\x1b[31mred") {
		t.Error("an escape sequence from the code reached the output")
	}
	// Stripped of colours, every line of code is still there.
	plain := stripANSI(got)
	for _, l := range sampleReport().Files[0].Lines {
		if !strings.Contains(plain, sanitize(l.Text)) {
			t.Errorf("colour output lacks line %d", l.Number)
		}
	}
}

func TestWriteTextEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Threshold: 1}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "0 files, 0 flagged lines") {
		t.Errorf("empty report: %q", b.String())
	}
}

func stripANSI(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		out.WriteByte(s[i])
	}
	return out.String()
}

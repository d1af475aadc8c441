package report

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

// nastyCode is a line of code that breaks out of naive HTML embedding.
const nastyCode = `    s = "</script><b>bold</b>" + '&amp;' # <!-- x -->`

// sampleReport is a small report: a Python file with two flagged lines (one with HTML-breaking
// text, one with an ESC character), a Go file with nothing flagged and a file that failed.
func sampleReport() *Report {
	return &Report{
		Tool: "pttrust", Version: "v0.1.0-test", Model: "models/tiny-coder", Assessor: "runs/a1/assessor",
		Threshold: 0.5,
		Files: []File{
			{
				Path: "src/app.py", Language: "python",
				Lines: []Line{
					{Number: 1, Text: "import os", Scored: true, Score: 0.1, Rank: 4},
					{Number: 2, Text: "", Scored: false},
					{Number: 3, Text: "def run(cmd):", Scored: true, Score: 0.3, Rank: 3},
					{Number: 4, Text: "    os.system(cmd)", Scored: true, Score: 0.9, Rank: 1, Flagged: true, Probability: 0.62,
						Latents: []Latent{
							{Index: 37, Activation: 2.5, Examples: []Example{
								{Snippet: "train-0012", Line: 7, Text: "    subprocess.call(x, shell=True)", Activation: 3.25},
								{Snippet: "train-0450", Line: 2, Text: "eval(input())", Activation: 2.75},
							}},
							{Index: 5, Activation: 1.125},
						}},
					{Number: 5, Text: nastyCode, Scored: true, Score: 0.7, Rank: 2, Flagged: true, Probability: 0.3,
						Latents: []Latent{{Index: 88, Activation: 0.75, Examples: []Example{
							{Snippet: "train-<9>", Line: 1, Text: "x = '</script>'", Activation: 1.5},
						}}}},
					{Number: 6, Text: "}", Scored: false},
					{Number: 7, Text: "print(\"\x1b[31mred\")", Scored: true, Score: 0.2, Rank: 5},
				},
			},
			{
				Path: "cmd/main.go", Language: "go",
				Lines: []Line{
					{Number: 1, Text: "package main", Scored: true, Score: -1.25, Rank: 2},
					{Number: 2, Text: "func main() {}", Scored: true, Score: 0.25, Rank: 1},
				},
			},
			{Path: "broken.rs", Language: "rust", Lines: []Line{}, Error: "cannot read: permission denied"},
		},
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"text": FormatText, "json": FormatJSON, "sarif": FormatSARIF, "html": FormatHTML,
		"SARIF": FormatSARIF, " Html ": FormatHTML,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "xml", "sarif2", "yaml"} {
		_, err := ParseFormat(bad)
		if err == nil {
			t.Errorf("ParseFormat(%q): no error", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "sarif") {
			t.Errorf("ParseFormat(%q): error %q does not name the bad value and the choices", bad, err)
		}
	}
}

func TestWriteDispatch(t *testing.T) {
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, sampleReport(), f, false); err != nil || b.Len() == 0 {
			t.Errorf("Write(%s): %v, %d bytes", f, err, b.Len())
		}
	}
	if err := Write(&bytes.Buffer{}, sampleReport(), Format("pdf"), false); err == nil || !strings.Contains(err.Error(), "pdf") {
		t.Errorf("Write(pdf): %v", err)
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(nil) {
		t.Error("IsTerminal(nil) = true")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("IsTerminal(regular file) = true")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) || ColorWanted(w) {
		t.Error("a pipe is taken for a terminal")
	}
}

func TestValidate(t *testing.T) {
	if err := sampleReport().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(r *Report){
		func(r *Report) { r.Files[0].Lines[0].Score = math.NaN() },
		func(r *Report) { r.Files[0].Lines[0].Score = math.Inf(1) },
		func(r *Report) { r.Files[0].Lines[1].Flagged = true },
		func(r *Report) { r.Files[1].Lines[0].Number = 0 },
		func(r *Report) { r.Threshold = math.NaN() },
		func(r *Report) { r.Files[0].Lines[1].Score = math.NaN() }, // unscored, still not encodable
	}
	for i, mutate := range bad {
		r := sampleReport()
		mutate(r)
		if err := r.Validate(); err == nil {
			t.Errorf("case %d: Validate accepted a bad report", i)
		}
		for _, f := range Formats {
			if err := Write(&bytes.Buffer{}, r, f, false); err == nil {
				t.Errorf("case %d: Write(%s) accepted a bad report", i, f)
			}
		}
	}
}

func TestRiskScale(t *testing.T) {
	s := newRiskScale(sampleReport()) // scores -1.25 … 0.9, threshold 0.5
	for _, c := range []struct{ x, want float64 }{
		{-1.25, 0}, {0.5, 0.5}, {0.9, 1}, {0.7, 0.75}, {-0.375, 0.25}, {5, 1}, {-9, 0},
	} {
		if got := s.heat(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("heat(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// Nothing scored: everything sits at the threshold.
	if h := newRiskScale(&Report{Threshold: 2}).heat(2); h != 0.5 {
		t.Errorf("empty scale: heat = %v", h)
	}
}

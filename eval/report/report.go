// Package report holds the data model of a `pttrust score` run (per-line risk for source files)
// and writes it in four formats: text (the code with a risk gutter, coloured on a terminal), JSON,
// SARIF 2.1.0 (so code-scanning tools and IDEs show the flagged lines) and a self-contained HTML
// page (code with per-line heat and, for each flagged line, its top SAE latents with the training
// lines that fire them most).
//
// The writers only format: scoring, ranking, flagging and the choice of latents are done by the
// caller. Scores are on the assessor's scale (not necessarily 0..1); bars and heat put the lowest
// score of the report at 0, the threshold at the middle and the highest score at 1.
package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"
)

// Example is a training line that fires a latent: one of its nearest examples.
type Example struct {
	Snippet    string  `json:"snippet"`    // id of the training snippet
	Line       int     `json:"line"`       // 1-based line number in that snippet
	Text       string  `json:"text"`       // the line's code
	Activation float32 `json:"activation"` // the latent's activation on that line
	Language   string  `json:"language,omitempty"`
	// Role is the training snippet's: "buggy" (a mutant or a benchmark's buggy version) or
	// "original"; Faulty says the line itself is one of its faulty (mutated) lines.
	Role   string `json:"role,omitempty"`
	Faulty bool   `json:"faulty,omitempty"`
}

// Kind is how an example reads in a report: "faulty line", "line of a buggy snippet" or
// "clean line" ("" when the bundle did not record it).
func (e Example) Kind() string {
	switch {
	case e.Faulty:
		return "faulty line"
	case e.Role == "buggy":
		return "line of a buggy snippet"
	case e.Role != "":
		return "clean line"
	}
	return ""
}

// Latent is one SAE latent active on a line, with the training lines that fire it most.
type Latent struct {
	Index      int       `json:"index"`
	Activation float32   `json:"activation"`
	Examples   []Example `json:"examples,omitempty"`
}

// Line is one line of a scored file.
type Line struct {
	Number  int     `json:"number"` // 1-based
	Text    string  `json:"text"`
	Scored  bool    `json:"scored"` // false for dropped lines (blank, punctuation only)
	Score   float64 `json:"score"`
	Rank    int     `json:"rank"` // 1 = riskiest in the file; 0 = not scored
	Flagged bool    `json:"flagged"`
	// Probability is the calibrated probability that the line is faulty (0 when the assessor
	// has no calibration); scored lines only.
	Probability float64  `json:"probability,omitempty"`
	Latents     []Latent `json:"latents,omitempty"` // top latents, filled for flagged lines
}

// File is the result for one input file.
type File struct {
	Path     string `json:"path"`
	Language string `json:"language"`
	Lines    []Line `json:"lines"`
	Error    string `json:"error,omitempty"` // non-empty: the file was not scored, and why
}

// Report is the result of one `pttrust score` run.
type Report struct {
	Tool      string  `json:"tool"`
	Version   string  `json:"version"`
	Model     string  `json:"model"`
	Assessor  string  `json:"assessor"`
	Threshold float64 `json:"threshold"`
	Files     []File  `json:"files"`
}

// WithoutLatents returns a copy of r whose lines carry no latents (and so no training-line
// examples): the machine formats' default, since the latents are most of a report's size
// (46.7 MB for 298 files with them).
func WithoutLatents(r *Report) *Report {
	out := *r
	out.Files = make([]File, len(r.Files))
	for i, f := range r.Files {
		f.Lines = slices.Clone(f.Lines)
		for j := range f.Lines {
			f.Lines[j].Latents = nil
		}
		out.Files[i] = f
	}
	return &out
}

// InformationURI is the tool's home page, written into SARIF.
const InformationURI = "https://github.com/pttrust/pttrust"

// Format is an output format of `pttrust score`.
type Format string

// The formats.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
	FormatHTML  Format = "html"
)

// Formats lists the formats in the order shown in help texts.
var Formats = []Format{FormatText, FormatJSON, FormatSARIF, FormatHTML}

// ParseFormat parses a format name (case-insensitive, surrounding spaces ignored).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, g := range Formats {
		if f == g {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, g := range Formats {
		names[i] = string(g)
	}
	return "", fmt.Errorf("unknown report format %q (want one of %s)", s, strings.Join(names, ", "))
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Write writes r in format f. color only matters for FormatText.
func Write(w io.Writer, r *Report, f Format, color bool) error {
	switch f {
	case FormatText:
		return WriteText(w, r, color)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatSARIF:
		return WriteSARIF(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	}
	_, err := ParseFormat(string(f))
	return err
}

// IsTerminal reports whether f is a terminal (so text output may be coloured). It is false for
// nil, pipes and regular files.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// ColorWanted reports whether text output to f should be coloured: f is a terminal, NO_COLOR is
// unset or empty (https://no-color.org) and TERM is not "dumb".
func ColorWanted(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(f)
}

// Summary counts the lines of a file.
type Summary struct {
	Lines, Scored, Flagged int
}

// Summary counts f's lines, scored lines and flagged lines.
func (f *File) Summary() Summary {
	s := Summary{Lines: len(f.Lines)}
	for i := range f.Lines {
		if f.Lines[i].Scored {
			s.Scored++
		}
		if f.Lines[i].Flagged {
			s.Flagged++
		}
	}
	return s
}

// Validate checks what the writers rely on: every line has a finite score (JSON has no NaN), line numbers
// are positive, a flagged line is scored, and the threshold is finite. Every writer calls it first.
func (r *Report) Validate() error {
	if r == nil {
		return errors.New("report: nil report")
	}
	if math.IsNaN(r.Threshold) || math.IsInf(r.Threshold, 0) {
		return fmt.Errorf("report: threshold %v is not finite", r.Threshold)
	}
	var errs []error
	for i := range r.Files {
		f := &r.Files[i]
		for j := range f.Lines {
			l := &f.Lines[j]
			switch {
			case l.Number < 1:
				errs = append(errs, fmt.Errorf("report: %s: line index %d has number %d (want ≥ 1)", f.Path, j, l.Number))
			case math.IsNaN(l.Score) || math.IsInf(l.Score, 0):
				errs = append(errs, fmt.Errorf("report: %s:%d: score %v is not finite", f.Path, l.Number, l.Score))
			case l.Flagged && !l.Scored:
				errs = append(errs, fmt.Errorf("report: %s:%d: flagged but not scored", f.Path, l.Number))
			}
			if len(errs) >= 10 {
				return errors.Join(errs...)
			}
		}
	}
	return errors.Join(errs...)
}

// riskScale maps scores to heat in [0, 1] for bars and backgrounds, the same for every file of a
// report: the lowest score maps to 0, the threshold to 0.5 and the highest score to 1, linearly in
// between. So lines below the threshold are green to yellow and lines at or above it orange to red.
type riskScale struct{ lo, t, hi float64 }

func newRiskScale(r *Report) riskScale {
	s := riskScale{lo: r.Threshold, t: r.Threshold, hi: r.Threshold}
	for i := range r.Files {
		f := &r.Files[i]
		if f.Error != "" {
			continue
		}
		for j := range f.Lines {
			if l := &f.Lines[j]; l.Scored {
				s.lo, s.hi = min(s.lo, l.Score), max(s.hi, l.Score)
			}
		}
	}
	return s
}

// heat is the position of score x on the scale, in [0, 1].
func (s riskScale) heat(x float64) float64 {
	switch {
	case x < s.t && s.t > s.lo:
		return max(0, 0.5*(x-s.lo)/(s.t-s.lo))
	case x > s.t && s.hi > s.t:
		return min(1, 0.5+0.5*(x-s.t)/(s.hi-s.t))
	}
	return 0.5
}

// scoredCount is the number of scored lines of f (for "rank r of n").
func scoredCount(f *File) int { return f.Summary().Scored }

// fmtScore formats a score compactly and stably: 3 decimals for ordinary magnitudes, %g beyond.
func fmtScore(s float64) string {
	if a := math.Abs(s); a != 0 && (a >= 1e5 || a < 1e-3) {
		return fmt.Sprintf("%.3g", s)
	}
	return fmt.Sprintf("%.3f", s)
}

// sanitize makes a code line safe to print: it drops a trailing CR, replaces invalid UTF-8 and
// control characters other than tab (ESC among them, so code cannot drive the terminal) by U+FFFD.
func sanitize(s string) string {
	s = strings.TrimSuffix(s, "\r")
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ANSI SGR sequences used by the coloured text format.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiBoldRed = "\x1b[1;31m"
	ansiCyan    = "\x1b[36m"
)

// heatColors is a green → yellow → red ramp in the xterm 256-colour palette.
var heatColors = []int{46, 82, 118, 154, 190, 226, 220, 214, 208, 202, 196}

const barWidth = 8

// maxTextLatents and maxTextExamples bound the latent notes printed under each file.
const (
	maxTextLatents  = 3
	maxTextExamples = 1
)

// WriteText writes r as text: per file a header, then every line of code behind a gutter holding
// the line number, "!!" on flagged lines, the line's rank and score and a risk bar (empty at the
// report's lowest score, half full at the threshold, full at the highest score); then the top
// latents of the flagged lines. color adds ANSI
// colours (heat-coloured bars, flagged lines in red); without it the output is plain ASCII apart
// from the code itself. A file that could not be scored is printed as one error line.
func WriteText(w io.Writer, r *Report, color bool) error {
	if err := r.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	t := textWriter{w: bw, color: color, scale: newRiskScale(r)}
	t.header(r)
	var nFlagged, nErr int
	for i := range r.Files {
		f := &r.Files[i]
		if f.Error != "" {
			nErr++
		}
		nFlagged += f.Summary().Flagged
		t.file(f)
	}
	t.footer(len(r.Files), nErr, nFlagged)
	return bw.Flush()
}

type textWriter struct {
	w     *bufio.Writer
	color bool
	scale riskScale
}

func (t *textWriter) sgr(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) header(r *Report) {
	tool := r.Tool
	if tool == "" {
		tool = "pttrust"
	}
	parts := []string{strings.TrimSpace(tool + " " + r.Version)}
	if r.Model != "" {
		parts = append(parts, "model "+r.Model)
	}
	if r.Assessor != "" {
		parts = append(parts, "assessor "+r.Assessor)
	}
	parts = append(parts, "threshold "+fmtScore(r.Threshold))
	fmt.Fprintln(t.w, t.sgr(ansiDim, strings.Join(parts, "  ")))
	fmt.Fprintln(t.w, t.sgr(ansiDim, "gutter: line, !! flagged (score at or above threshold), rank (1 = riskiest), score, risk bar (half full at the threshold)"))
}

func (t *textWriter) footer(files, errs, flagged int) {
	s := fmt.Sprintf("%d file%s, %d flagged line%s", files, plural(files), flagged, plural(flagged))
	if errs > 0 {
		s += fmt.Sprintf(", %d file%s not scored", errs, plural(errs))
	}
	fmt.Fprintln(t.w, t.sgr(ansiDim, s))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (t *textWriter) file(f *File) {
	fmt.Fprintln(t.w)
	name := f.Path
	if f.Language != "" {
		name += " (" + f.Language + ")"
	}
	if f.Error != "" {
		fmt.Fprintln(t.w, t.sgr(ansiBoldRed, "== "+name+": error: "+sanitize(f.Error)))
		return
	}
	s := f.Summary()
	fmt.Fprintf(t.w, "%s %s\n", t.sgr(ansiBold, "== "+name+":"),
		t.sgr(ansiDim, fmt.Sprintf("%d lines, %d scored, %d flagged", s.Lines, s.Scored, s.Flagged)))

	numW, rankW, scoreW := 1, 1, 1
	for i := range f.Lines {
		l := &f.Lines[i]
		numW = max(numW, len(strconv.Itoa(l.Number)))
		if l.Scored {
			rankW = max(rankW, len(strconv.Itoa(l.Rank)))
			scoreW = max(scoreW, len(fmtScore(l.Score)))
		}
	}
	sep := " | "
	if t.color {
		sep = " │ "
	}
	for i := range f.Lines {
		l := &f.Lines[i]
		num := fmt.Sprintf("%*d", numW, l.Number)
		mark := "  "
		rank := strings.Repeat(" ", rankW)
		score := strings.Repeat(" ", scoreW)
		bar := strings.Repeat(" ", barWidth)
		if l.Scored {
			if l.Rank > 0 {
				rank = fmt.Sprintf("%*d", rankW, l.Rank)
			}
			score = fmt.Sprintf("%*s", scoreW, fmtScore(l.Score))
			bar = t.bar(t.scale.heat(l.Score))
		}
		code := sanitize(l.Text)
		if l.Flagged {
			mark = t.sgr(ansiBoldRed, "!!")
			num = t.sgr(ansiRed, num)
			rank = t.sgr(ansiRed, rank)
			score = t.sgr(ansiRed, score)
		} else {
			num = t.sgr(ansiDim, num)
			rank = t.sgr(ansiDim, rank)
			score = t.sgr(ansiDim, score)
		}
		line := num + " " + mark + " " + rank + " " + score + " " + bar + t.sgr(ansiDim, sep) + code
		fmt.Fprintln(t.w, strings.TrimRight(line, " "))
	}
	t.latents(f)
}

// bar draws h ∈ [0, 1] as a barWidth-wide bar: '#' in plain text, eighth blocks coloured by heat
// in colour.
func (t *textWriter) bar(h float64) string {
	if !t.color {
		n := int(math.Round(h * barWidth))
		return strings.Repeat("#", n) + strings.Repeat(" ", barWidth-n)
	}
	eighths := int(math.Round(h * barWidth * 8))
	full, part := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	if part > 0 {
		b.WriteRune([]rune("▏▎▍▌▋▊▉")[part-1])
		full++
	}
	if full == 0 { // keep the lowest score visible
		b.WriteString("▏")
		full++
	}
	c := heatColors[int(math.Round(h*float64(len(heatColors)-1)))]
	return fmt.Sprintf("\x1b[38;5;%dm%s%s", c, b.String(), ansiReset) + strings.Repeat(" ", barWidth-full)
}

// latents prints, under a file, the top latents of its flagged lines with their nearest example.
func (t *textWriter) latents(f *File) {
	n := scoredCount(f)
	for i := range f.Lines {
		l := &f.Lines[i]
		if !l.Flagged {
			continue
		}
		head := fmt.Sprintf("  !! line %d: rank %d of %d, score %s", l.Number, l.Rank, n, fmtScore(l.Score))
		if len(l.Latents) == 0 {
			fmt.Fprintln(t.w, t.sgr(ansiRed, head))
			continue
		}
		fmt.Fprintln(t.w, t.sgr(ansiRed, head+"; top latents:"))
		for j, lat := range l.Latents {
			if j == maxTextLatents {
				fmt.Fprintln(t.w, t.sgr(ansiDim, fmt.Sprintf("       … %d more", len(l.Latents)-j)))
				break
			}
			fmt.Fprintf(t.w, "       %s %s\n", t.sgr(ansiCyan, fmt.Sprintf("latent %d", lat.Index)),
				t.sgr(ansiDim, fmt.Sprintf("(activation %.3g)", lat.Activation)))
			for k, ex := range lat.Examples {
				if k == maxTextExamples {
					break
				}
				where := fmt.Sprintf("e.g. %s:%d (%.3g", ex.Snippet, ex.Line, ex.Activation)
				if k := ex.Kind(); k != "" {
					where += ", " + k
				}
				fmt.Fprintf(t.w, "         %s %s\n", t.sgr(ansiDim, where+"):"), strings.TrimSpace(sanitize(ex.Text)))
			}
		}
	}
}

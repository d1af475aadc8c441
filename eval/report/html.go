package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// WriteHTML writes r as one self-contained HTML page (inline CSS, no scripts, no external
// resources): per file the code with each scored line's background heated by its score (green at
// the report's lowest score, yellow at the threshold, red at the highest score), flagged lines outlined in red and carrying the DOM
// marker class="line flagged" data-line="N" (N = line number; the row id is f<file>-L<N>), and
// beside the code one panel per flagged line (id f<file>-L<N>-why) listing its top SAE latents
// and, for each, the training lines that fire it most. All code text is HTML-escaped.
func WriteHTML(w io.Writer, r *Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := htmlTemplate.Execute(w, buildHTMLView(r)); err != nil {
		return fmt.Errorf("report: writing HTML: %w", err)
	}
	return nil
}

type htmlView struct {
	Title     string
	Tool      string
	Version   string
	Model     string
	Assessor  string
	Threshold string
	Files     []htmlFile
	Flagged   int
	Errors    int
}

type htmlFile struct {
	ID       string
	Path     string
	Language string
	Error    string
	Summary  Summary
	Lines    []htmlLine
	Flagged  []htmlLine
	Scored   int
}

type htmlLine struct {
	ID      string
	Number  int
	Text    string
	Scored  bool
	Flagged bool
	Score   string
	Rank    int
	Heat    string       // 0..1, 3 decimals
	Style   template.CSS // background heat; built from numbers only
	BarPct  int
	Latents []htmlLatent
}

type htmlLatent struct {
	Index      int
	Activation string
	Label      string // its top example's code, shortened: what the latent fires on
	Examples   []htmlExample
}

type htmlExample struct {
	Snippet    string
	Line       int
	Text       string
	Activation string
	Language   string
	Kind       string // Example.Kind
	KindClass  string // "faulty", "buggy" or "clean": the badge's colour
}

// latentLabelRunes bounds a latent's label.
const latentLabelRunes = 48

// latentLabel is a short label for a latent: its top example's code, trimmed and shortened.
func latentLabel(ex []Example) string {
	if len(ex) == 0 {
		return ""
	}
	r := []rune(strings.Join(strings.Fields(sanitize(ex[0].Text)), " "))
	if len(r) > latentLabelRunes {
		return string(r[:latentLabelRunes-1]) + "…"
	}
	return string(r)
}

// heatCSS is the background of a line with heat h: green (low) through yellow to red (high),
// more opaque as the risk grows.
func heatCSS(h float64) template.CSS {
	hue := 120 * (1 - h)
	alpha := 0.07 + 0.43*h
	return template.CSS(fmt.Sprintf("background-color:hsla(%.0f,85%%,50%%,%.3f)", hue, alpha))
}

func buildHTMLView(r *Report) htmlView {
	v := htmlView{
		Tool:      r.Tool,
		Version:   r.Version,
		Model:     r.Model,
		Assessor:  r.Assessor,
		Threshold: fmtScore(r.Threshold),
	}
	if v.Tool == "" {
		v.Tool = "pttrust"
	}
	scale := newRiskScale(r)
	for i := range r.Files {
		f := &r.Files[i]
		hf := htmlFile{
			ID:       fmt.Sprintf("f%d", i),
			Path:     f.Path,
			Language: f.Language,
			Error:    sanitize(f.Error),
			Summary:  f.Summary(),
		}
		hf.Scored = hf.Summary.Scored
		if f.Error != "" {
			v.Errors++
			v.Files = append(v.Files, hf)
			continue
		}
		for j := range f.Lines {
			l := &f.Lines[j]
			hl := htmlLine{
				ID:      fmt.Sprintf("%s-L%d", hf.ID, l.Number),
				Number:  l.Number,
				Text:    sanitize(l.Text),
				Scored:  l.Scored,
				Flagged: l.Flagged,
				Rank:    l.Rank,
			}
			if l.Scored {
				h := scale.heat(l.Score)
				hl.Score = fmtScore(l.Score)
				hl.Heat = fmt.Sprintf("%.3f", h)
				hl.Style = heatCSS(h)
				hl.BarPct = int(math.Round(100 * h))
			}
			for _, lat := range l.Latents {
				hlat := htmlLatent{Index: lat.Index, Activation: fmt.Sprintf("%.3g", lat.Activation), Label: latentLabel(lat.Examples)}
				for _, ex := range lat.Examples {
					he := htmlExample{
						Snippet:    ex.Snippet,
						Line:       ex.Line,
						Text:       strings.TrimRight(sanitize(ex.Text), " \t"),
						Activation: fmt.Sprintf("%.3g", ex.Activation),
						Language:   ex.Language,
						Kind:       ex.Kind(),
					}
					switch {
					case ex.Faulty:
						he.KindClass = "faulty"
					case ex.Role == "buggy":
						he.KindClass = "buggy"
					case ex.Role != "":
						he.KindClass = "clean"
					}
					hlat.Examples = append(hlat.Examples, he)
				}
				hl.Latents = append(hl.Latents, hlat)
			}
			hf.Lines = append(hf.Lines, hl)
			if l.Flagged {
				hf.Flagged = append(hf.Flagged, hl)
			}
		}
		v.Flagged += len(hf.Flagged)
		v.Files = append(v.Files, hf)
	}
	v.Title = fmt.Sprintf("%s report: %d file%s, %d flagged line%s", v.Tool,
		len(r.Files), plural(len(r.Files)), v.Flagged, plural(v.Flagged))
	return v
}

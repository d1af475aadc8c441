package pretrain

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// constant reports whether value is the same on every row (and which); no rows: not constant.
func constant(rows []MetricsRow, value func(MetricsRow) float64) (float64, bool) {
	if len(rows) == 0 {
		return 0, false
	}
	v := value(rows[0])
	for _, r := range rows[1:] {
		if value(r) != v {
			return 0, false
		}
	}
	return v, true
}

// curve is one panel of CurvesFile.
type curve struct {
	title string
	value func(MetricsRow) float64
}

var curves = []curve{
	{"FVU", func(r MetricsRow) float64 { return r.FVU }},
	{"L0 (active latents per line)", func(r MetricsRow) float64 { return r.L0 }},
	{"dead latents (%)", func(r MetricsRow) float64 { return r.DeadPct }},
	{"AuxK loss", func(r MetricsRow) float64 { return r.AuxLoss }},
	{"contrastive margin satisfied (%)", func(r MetricsRow) float64 { return r.MarginSatisfiedPct }},
	{"mean pair distance (normalised latents)", func(r MetricsRow) float64 { return r.PairDistance }},
}

// curvesPNG draws each metric against the step in a grid of panels. Metrics that stay constant
// (L0 is k by construction for a TopK SAE; no dead latents, so no AuxK loss) get no panel of
// their own: a last panel lists them with their value.
func curvesPNG(rows []MetricsRow) ([]byte, error) {
	var drawn []curve
	var flat []string
	for _, c := range curves {
		if v, ok := constant(rows, c.value); ok {
			flat = append(flat, fmt.Sprintf("%s: %.4g", c.title, v))
			continue
		}
		drawn = append(drawn, c)
	}
	const cols = 2
	panels := len(drawn)
	if len(flat) > 0 {
		panels++
	}
	nRows := max(1, (panels+cols-1)/cols)
	plots := make([][]*plot.Plot, nRows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	for i, c := range drawn {
		p := plot.New()
		p.Title.Text = c.title
		p.X.Label.Text = "step"
		pts := make(plotter.XYs, 0, len(rows))
		for _, r := range rows {
			pts = append(pts, plotter.XY{X: float64(r.Step), Y: c.value(r)})
		}
		if len(pts) > 0 {
			line, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
			line.Width = vg.Points(1.5)
			p.Add(line, plotter.NewGrid())
		}
		plots[i/cols][i%cols] = p
	}
	if len(flat) > 0 {
		p := plot.New()
		p.Title.Text = "constant throughout (not drawn):\n" + strings.Join(flat, "\n")
		p.HideAxes()
		plots[len(drawn)/cols][len(drawn)%cols] = p
	}
	img := vgimg.New(vg.Points(900), vg.Points(300*float64(nRows)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: nRows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := plot.Align(plots, tiles, dc)
	for j := range plots {
		for i, p := range plots[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

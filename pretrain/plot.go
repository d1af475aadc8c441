package pretrain

import (
	"bytes"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

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

// curvesPNG draws each metric against the step in a grid of panels.
func curvesPNG(rows []MetricsRow) ([]byte, error) {
	const cols = 2
	nRows := (len(curves) + cols - 1) / cols
	plots := make([][]*plot.Plot, nRows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	for i, c := range curves {
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

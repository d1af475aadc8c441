package eval

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pttrust/pttrust/internal/atomicfile"
)

// Plot geometry: images are rendered at plotDPI.
const (
	plotDPI    = 100
	barsWidth  = 1200 // PlotBars image width in pixels
	barsHeight = 600  // PlotBars image height in pixels
)

// heatmapSize returns the PlotHeatmap image size in pixels for a matrix of rows × cols:
// max(500, 250 + 150·cols) × max(400, 150 + 80·rows).
func heatmapSize(rows, cols int) (w, h int) {
	return max(500, 250+150*cols), max(400, 150+80*rows)
}

// savePNG renders p at w×h pixels and writes it atomically to path.
func savePNG(path string, p *plot.Plot, w, h int) error {
	px := vg.Inch / plotDPI
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*px, vg.Length(h)*px), vgimg.UseDPI(plotDPI),
		vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	return atomicfile.Write(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(wr)
		return err
	})
}

// ciBars are the error bars of one method: x positions, values and interval ends.
type ciBars struct{ x, y, lo, hi []float64 }

func (b ciBars) Len() int                        { return len(b.x) }
func (b ciBars) XY(i int) (float64, float64)     { return b.x[i], b.y[i] }
func (b ciBars) YError(i int) (float64, float64) { return b.y[i] - b.lo[i], b.hi[i] - b.y[i] }
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// PlotBars writes a PNG (1200×600 px) of grouped bars: one group per metric (metrics nil = the
// table's columns), one coloured bar per method, with the 95 % intervals as error bars. NaN
// values are drawn as empty bars without error bars.
func PlotBars(path, title string, t Table, metrics []string) error {
	if metrics == nil {
		metrics = t.Metrics
	}
	nm, nr := len(metrics), len(t.Rows)
	if nm == 0 || nr == 0 {
		return errors.New("eval: PlotBars: no metrics or no methods")
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "value (95% CI)"
	p.X.Min, p.X.Max = -0.5, float64(nm)-0.5
	p.Legend.Top = true
	// Data units per group: 1; bars use 80 % of it. The plot area is about 88 % of the image.
	unit := vg.Length(barsWidth) * vg.Inch / plotDPI * 0.88 / vg.Length(nm)
	barW := unit * 0.8 / vg.Length(nr) * 0.95
	ymax := 1.0
	for ri, r := range t.Rows {
		vals := make(plotter.Values, nm)
		var eb ciBars
		off := -0.4 + (float64(ri)+0.5)*0.8/float64(nr)
		for mi, name := range metrics {
			c := t.cell(r, name)
			if finite(c.Value) {
				vals[mi] = c.Value
				ymax = math.Max(ymax, c.Value)
				if finite(c.CI.Lo, c.CI.Hi) {
					eb.x = append(eb.x, float64(mi)+off)
					eb.y = append(eb.y, c.Value)
					eb.lo = append(eb.lo, math.Min(c.CI.Lo, c.Value))
					eb.hi = append(eb.hi, math.Max(c.CI.Hi, c.Value))
					ymax = math.Max(ymax, c.CI.Hi)
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return fmt.Errorf("eval: PlotBars: %w", err)
		}
		bars.XMin = off
		bars.Color = barColor(ri)
		bars.LineStyle.Width = 0
		p.Add(bars)
		p.Legend.Add(r.Method, bars)
		if eb.Len() > 0 {
			e, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return fmt.Errorf("eval: PlotBars: %w", err)
			}
			e.CapWidth = barW / 2
			p.Add(e)
		}
	}
	ticks := make(plot.ConstantTicks, nm)
	for i, name := range metrics {
		ticks[i] = plot.Tick{Value: float64(i), Label: name}
	}
	p.X.Tick.Marker = ticks
	p.Y.Min = math.Min(0, p.Y.Min)
	p.Y.Max = ymax * (1 + 0.08*float64(nr)) // room for the legend
	p.Add(plotter.NewGrid())
	return savePNG(path, p, barsWidth, barsHeight)
}

// heatGrid adapts a Matrix to plotter.GridXYZ: column c = test source, row r = train source,
// with the first train source at the top.
type heatGrid struct{ m Matrix }

func (g heatGrid) Dims() (c, r int)   { return len(g.m.Test), len(g.m.Train) }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }
func (g heatGrid) Z(c, r int) float64 { return g.m.Cells[len(g.m.Train)-1-r][c].Value }

// PlotHeatmap writes a PNG heat map of the matrix (rows: train sources, first at the top;
// columns: test sources) with each cell's value and interval printed in it; NaN cells are grey.
// The image is max(500, 250+150·cols) × max(400, 150+80·rows) pixels.
func PlotHeatmap(path, title string, m Matrix) error {
	rows, cols := len(m.Train), len(m.Test)
	if rows == 0 || cols == 0 {
		return errors.New("eval: PlotHeatmap: empty matrix")
	}
	if len(m.Cells) != rows {
		return errors.New("eval: PlotHeatmap: Cells do not match Train")
	}
	for _, r := range m.Cells {
		if len(r) != cols {
			return errors.New("eval: PlotHeatmap: Cells do not match Test")
		}
	}
	pal := moreland.SmoothBlueRed().Palette(255)
	g := heatGrid{m}
	h := plotter.NewHeatMap(g, pal)
	if !finite(h.Min, h.Max) {
		h.Min, h.Max = 0, 1
	}
	if h.Min == h.Max {
		h.Min, h.Max = h.Min-0.5, h.Max+0.5
	}
	h.NaN = color.Gray{Y: 200}
	p := plot.New()
	p.Title.Text = title
	if m.Metric != "" {
		p.Title.Text += " (" + m.Metric + ")"
	}
	p.X.Label.Text = "test"
	p.Y.Label.Text = "train"
	p.Add(h)

	var xys plotter.XYs
	var labels []string
	var dark []bool
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cell := m.Cells[rows-1-r][c]
			s := "n/a"
			if finite(cell.Value) {
				s = fmt.Sprintf("%.3f", cell.Value)
				if finite(cell.CI.Lo, cell.CI.Hi) {
					s += fmt.Sprintf("\n[%.3f, %.3f]", cell.CI.Lo, cell.CI.Hi)
				}
			}
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			labels = append(labels, s)
			dark = append(dark, finite(cell.Value) && luminance(cellColor(pal, h, cell.Value)) < 0.45)
		}
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return fmt.Errorf("eval: PlotHeatmap: %w", err)
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].XAlign = draw.XCenter
		lab.TextStyle[i].YAlign = draw.YCenter
		lab.TextStyle[i].Font.Size = vg.Points(11)
		if dark[i] {
			lab.TextStyle[i].Color = color.White
		}
	}
	p.Add(lab)

	xt := make(plot.ConstantTicks, cols)
	for c, name := range m.Test {
		xt[c] = plot.Tick{Value: float64(c), Label: name}
	}
	yt := make(plot.ConstantTicks, rows)
	for r := range rows {
		yt[r] = plot.Tick{Value: float64(r), Label: m.Train[rows-1-r]}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(rows)-0.5
	w, hh := heatmapSize(rows, cols)
	return savePNG(path, p, w, hh)
}

// cellColor is the palette colour HeatMap gives to v.
func cellColor(pal palette.Palette, h *plotter.HeatMap, v float64) color.Color {
	cs := pal.Colors()
	i := int((v-h.Min)*float64(len(cs)-1)/(h.Max-h.Min) + 0.5)
	return cs[max(0, min(len(cs)-1, i))]
}

// luminance is the relative luminance (0 black … 1 white), sRGB weights on linear-ish values.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// barColors are the method colours of PlotBars: plotutil's soft palette, then more, so the eight
// methods of a results table get eight colours.
var barColors = []color.Color{
	plotutil.Color(0), plotutil.Color(1), plotutil.Color(2), plotutil.Color(3), plotutil.Color(4),
	plotutil.Color(5), plotutil.Color(6),
	color.RGBA{R: 0x66, G: 0x66, B: 0x66, A: 0xff},
	color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
}

// barColor is the colour of the i-th method.
func barColor(i int) color.Color { return barColors[i%len(barColors)] }

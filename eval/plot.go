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
	legendPx   = 280  // PlotBars: the legend's column at the right of the bars
	scalePx    = 120  // PlotHeatmap: the colour scale's column at the right of the cells
)

// FewSnippets is the test-set size under which a heat map column is marked "few": a metric over
// fewer snippets has intervals too wide to compare cells.
const FewSnippets = 30

// heatmapSize returns the PlotHeatmap image size in pixels for a matrix of rows × cols:
// max(500, 250 + 150·cols) × max(400, 150 + 80·rows).
func heatmapSize(rows, cols int) (w, h int) {
	return max(500, 250+150*cols), max(400, 150+80*rows)
}

// savePNG renders p at w×h pixels and writes it atomically to path.
func savePNG(path string, p *plot.Plot, w, h int) error {
	return renderPNG(path, w, h, func(dc draw.Canvas) { p.Draw(dc) })
}

// renderPNG draws a w×h-pixel image with drawFn and writes it atomically to path as PNG.
func renderPNG(path string, w, h int, drawFn func(draw.Canvas)) error {
	px := vg.Inch / plotDPI
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*px, vg.Length(h)*px), vgimg.UseDPI(plotDPI),
		vgimg.UseBackgroundColor(color.White))
	drawFn(draw.New(c))
	return atomicfile.Write(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(wr)
		return err
	})
}

// splitRight draws left into the image less its right rightPx pixels and right into those.
func splitRight(dc draw.Canvas, rightPx int, left, right func(draw.Canvas)) {
	cut := dc.Max.X - vg.Length(rightPx)*vg.Inch/plotDPI
	left(draw.Crop(dc, 0, cut-dc.Max.X, 0, 0))
	right(draw.Crop(dc, cut-dc.Min.X, 0, 0, 0))
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
// table's columns), one coloured bar per method, with the 95 % intervals as error bars, and the
// methods' legend in a column at the right. The y axis is [0, 1] when every value and interval
// lies in it (most metrics are rates), else fitted to the data. NaN values are drawn as empty
// bars without error bars.
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
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	// Data units per group: 1; bars use 80 % of it. The plot area is about 88 % of its column.
	unit := vg.Length(barsWidth-legendPx) * vg.Inch / plotDPI * 0.88 / vg.Length(nm)
	barW := unit * 0.8 / vg.Length(nr) * 0.95
	ymin, ymax := 0.0, 1.0
	for ri, r := range t.Rows {
		vals := make(plotter.Values, nm)
		var eb ciBars
		off := -0.4 + (float64(ri)+0.5)*0.8/float64(nr)
		for mi, name := range metrics {
			c := t.cell(r, name)
			if finite(c.Value) {
				vals[mi] = c.Value
				ymin, ymax = math.Min(ymin, c.Value), math.Max(ymax, c.Value)
				if finite(c.CI.Lo, c.CI.Hi) {
					eb.x = append(eb.x, float64(mi)+off)
					eb.y = append(eb.y, c.Value)
					eb.lo = append(eb.lo, math.Min(c.CI.Lo, c.Value))
					eb.hi = append(eb.hi, math.Max(c.CI.Hi, c.Value))
					ymin, ymax = math.Min(ymin, c.CI.Lo), math.Max(ymax, c.CI.Hi)
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
		leg.Add(r.Method, bars)
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
	p.Y.Min, p.Y.Max = ymin, ymax
	if ymin < 0 || ymax > 1 { // not a rate: a margin above the data
		p.Y.Max = ymax + 0.05*(ymax-ymin)
	}
	p.Add(plotter.NewGrid())
	return renderPNG(path, barsWidth, barsHeight, func(dc draw.Canvas) {
		splitRight(dc, legendPx, p.Draw, func(c draw.Canvas) {
			leg.Draw(draw.Crop(c, vg.Points(6), 0, 0, -vg.Points(30)))
		})
	})
}

// heatGrid adapts a Matrix to plotter.GridXYZ: column c = test source, row r = train source,
// with the first train source at the top.
type heatGrid struct{ m Matrix }

func (g heatGrid) Dims() (c, r int)   { return len(g.m.Test), len(g.m.Train) }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }
func (g heatGrid) Z(c, r int) float64 { return g.m.Cells[len(g.m.Train)-1-r][c].Value }

// PlotHeatmap writes a PNG heat map of the matrix (rows: train sources, first at the top;
// columns: test sources) with each cell's value and interval printed in it, NaN cells grey, a
// colour scale at the right, and under each column its number of test snippets when m.TestN is
// set ("few" below FewSnippets). The image is max(500, 250+150·cols) + scalePx ×
// max(400, 150+80·rows) pixels.
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
	if m.TestN != nil && len(m.TestN) != cols {
		return errors.New("eval: PlotHeatmap: TestN does not match Test")
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
		if m.TestN != nil {
			name += fmt.Sprintf("\nn=%d", m.TestN[c])
			if m.TestN[c] < FewSnippets {
				name += " (few)"
			}
		}
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
	scale := colourScale(h.Min, h.Max, m.Metric)
	return renderPNG(path, w+scalePx, hh, func(dc draw.Canvas) {
		splitRight(dc, scalePx, p.Draw, scale.Draw)
	})
}

// colourScale is a vertical bar of the heat map's palette from lo to hi, labelled with metric.
func colourScale(lo, hi float64, metric string) *plot.Plot {
	cm := moreland.SmoothBlueRed()
	cm.SetMax(hi)
	cm.SetMin(lo)
	p := plot.New()
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	p.HideX()
	p.Y.Padding = 0
	p.Y.Label.Text = metric
	p.Title.Text = " "
	return p
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

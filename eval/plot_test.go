package eval

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// checkPNG decodes path, checks its size and that it is not blank (pixel variance).
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s: size %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	if v := variance(img); v < 100 {
		t.Fatalf("%s: pixel variance %v: blank?", path, v)
	}
}

func variance(img image.Image) float64 {
	var s, s2, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			v := float64(r+g+bb) / 3 / 257
			s += v
			s2 += v * v
			n++
		}
	}
	m := s / n
	return s2/n - m*m
}

func TestPlotBars(t *testing.T) {
	tb := NewTable("", nil)
	tb.Add("PtTrust", Compute(toySnippets(), 0.5), map[string]Interval{"hit@1": {0.3, 0.7}, "auroc": {0.4, 0.5}})
	tb.Add("random", Metrics{AUROC: 0.5, HitRate: map[int]float64{1: 0.2}}, nil)
	tb.Add("entropy", Metrics{AUROC: math.NaN()}, map[string]Interval{"auroc": NoCI})
	path := filepath.Join(t.TempDir(), "bars.png")
	if err := PlotBars(path, "toy", *tb, []string{"hit@1", "prec@3", "auroc", "f1"}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, barsWidth, barsHeight)
	if err := PlotBars(path, "", Table{}, nil); err == nil {
		t.Error("empty table: want error")
	}
}

func TestPlotHeatmap(t *testing.T) {
	m := NewMatrix("", "auroc", []string{"go", "python"}, []string{"go", "python", "js"})
	m.Set("go", "go", Cell{0.8, Interval{0.75, 0.85}})
	m.Set("go", "python", Cell{0.6, NoCI})
	m.Set("python", "js", Cell{0.55, Interval{0.5, 0.6}})
	m.Set("python", "python", Cell{0.9, Interval{0.88, 0.92}})
	path := filepath.Join(t.TempDir(), "heat.png")
	if err := PlotHeatmap(path, "cross-language", *m); err != nil {
		t.Fatal(err)
	}
	w, h := heatmapSize(2, 3)
	if w != 700 || h != 400 {
		t.Fatalf("heatmapSize(2,3) = %d,%d", w, h)
	}
	checkPNG(t, path, w+scalePx, h)
	m.TestN = []int{120, 12, 40}
	if err := PlotHeatmap(path, "cross-language", *m); err != nil {
		t.Fatal(err)
	}
	m.TestN = []int{1}
	if err := PlotHeatmap(path, "cross-language", *m); err == nil {
		t.Error("TestN of the wrong length: want error")
	}
	// A constant and an all-NaN matrix must not panic.
	c := NewMatrix("", "f1", []string{"a"}, []string{"a"})
	if err := PlotHeatmap(path, "nan", *c); err != nil {
		t.Fatal(err)
	}
	c.Set("a", "a", Cell{0.5, NoCI})
	if err := PlotHeatmap(path, "const", *c); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 500+scalePx, 400)
	if err := PlotHeatmap(path, "", Matrix{}); err == nil {
		t.Error("empty matrix: want error")
	}
}

package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBootstrapEqualsComputeOnResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	snips := randomSnippets(rng, 40, 15, 2, 1)
	for _, th := range []float64{math.NaN(), 1} {
		p := prepare(snips, th)
		w := make([]int32, len(snips))
		for r := range 5 {
			resampleWeights(w, 9, r)
			var expanded []SnippetScores
			for i, c := range w {
				for range c {
					expanded = append(expanded, snips[i])
				}
			}
			got, want := p.evaluate(w), Compute(expanded, th)
			for _, name := range append(MetricNames(), "threshold", "tpr", "fpr", "snippets", "lines") {
				if !near(got.Value(name), want.Value(name)) {
					t.Fatalf("th %v rep %d %s: %v vs %v", th, r, name, got.Value(name), want.Value(name))
				}
			}
		}
	}
}

func TestBootstrapDeterministicAndContainsPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	snips := randomSnippets(rng, 300, 20, 0, 1.5)
	point, ci := Bootstrap(snips, 0.5, 400, 42)
	point2, ci2 := Bootstrap(snips, 0.5, 400, 42)
	_, ci3 := Bootstrap(snips, 0.5, 400, 43)
	c := Compute(snips, 0.5)
	differs := false
	for _, name := range MetricNames() {
		if point.Value(name) != c.Value(name) || point2.Value(name) != point.Value(name) {
			t.Errorf("%s: point %v, Compute %v", name, point.Value(name), c.Value(name))
		}
		if ci[name] != ci2[name] {
			t.Errorf("%s: not deterministic: %v vs %v", name, ci[name], ci2[name])
		}
		if ci[name] != ci3[name] {
			differs = true
		}
		iv, v := ci[name], point.Value(name)
		if !(iv.Lo <= v && v <= iv.Hi) || (name == "auroc" && !(iv.Lo < iv.Hi)) {
			t.Errorf("%s: point %v outside %v", name, v, iv)
		}
	}
	if !differs {
		t.Error("another seed gave identical intervals")
	}
}

func TestBootstrapWidthShrinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	small := randomSnippets(rng, 100, 20, 0, 1)
	large := randomSnippets(rng, 1600, 20, 0, 1)
	_, cs := Bootstrap(small, 0.5, 300, 1)
	_, cl := Bootstrap(large, 0.5, 300, 1)
	for _, name := range []string{"hit@1", "anyhit@3", "prec@5", "auroc", "auprc", "f1"} {
		ws, wl := cs[name].Hi-cs[name].Lo, cl[name].Hi-cl[name].Lo
		// 16× the data: about 4× narrower; demand at least 2×.
		if !(wl < ws/2) {
			t.Errorf("%s: width %v with 100 snippets, %v with 1600", name, ws, wl)
		}
	}
}

func TestBootstrapDegenerate(t *testing.T) {
	_, ci := Bootstrap(nil, 0.5, 100, 1)
	for _, name := range MetricNames() {
		if iv := ci[name]; !math.IsNaN(iv.Lo) || !math.IsNaN(iv.Hi) {
			t.Errorf("%s: %v", name, iv)
		}
	}
}

func TestQuantile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5}
	if q := quantile(v, 0.5); q != 3 {
		t.Error(q)
	}
	if q := quantile(v, 0.025); !near(q, 1.1) {
		t.Error(q)
	}
	if q := quantile(v, 1); q != 5 {
		t.Error(q)
	}
	iv := percentileInterval([]float64{math.NaN(), 2, 1}, 0, 1)
	if iv.Lo != 1 || iv.Hi != 2 {
		t.Error(iv)
	}
}

func BenchmarkBootstrap5kx50(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	snips := make([]SnippetScores, 5000)
	for i := range snips {
		s := SnippetScores{Scores: make([]float64, 50), Labels: make([]int, 50)}
		for j := range 50 {
			if rng.IntN(20) == 0 {
				s.Labels[j] = 1
			}
			s.Scores[j] = rng.NormFloat64() + float64(s.Labels[j])
		}
		snips[i] = s
	}
	for b.Loop() {
		Bootstrap(snips, math.NaN(), 1000, 1)
	}
}

package eval

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

const tol = 1e-12

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func toySnippets() []SnippetScores {
	return []SnippetScores{
		{ID: "A", Scores: []float64{0.9, 0.1, 0.5, 0.3}, Labels: []int{0, 1, 1, 0}},
		{ID: "B", Scores: []float64{0.8, 0.2, 0.6}, Labels: []int{1, 0, 0}},
		{ID: "C", Scores: []float64{0.7, 0.4}, Labels: []int{0, 0}},
	}
}

func TestComputeToyHandComputed(t *testing.T) {
	m := Compute(toySnippets(), 0.5)
	want := map[string]float64{
		// A: order N B N B (B=2, n=4); B: order B N N (B=1, n=3); C has no buggy line.
		"hit@1": 0.5, "anyhit@1": 0.5, "prec@1": 0.5,
		"hit@3": 0.75, "anyhit@3": 1, "prec@3": 1.0 / 3,
		"hit@5": 1, "anyhit@5": 1, "prec@5": (0.5 + 1.0/3) / 2,
		"hit@10": 1, "anyhit@10": 1, "prec@10": (0.5 + 1.0/3) / 2,
		// positives 0.1 0.5 0.8 beat 0, 3, 5 of the 6 negatives.
		"auroc": 8.0 / 18,
		// precisions at the positives (descending): 1/2, 2/5, 3/9.
		"auprc": (0.5 + 0.4 + 1.0/3) / 3,
		// flagged ≥ 0.5: TP 2, FP 3, FN 1.
		"f1": 0.5, "tpr": 2.0 / 3, "fpr": 0.5, "threshold": 0.5,
		"snippets": 3, "buggy_snippets": 2, "lines": 9, "buggy_lines": 3,
	}
	for name, w := range want {
		if got := m.Value(name); !near(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	// Youden on these data: J = 1/6 at 0.8 and at 0.5; the highest (0.8) wins: TP 1 FP 1 FN 2.
	y := Compute(toySnippets(), math.NaN())
	if y.Threshold != 0.8 || !near(y.F1, 0.4) || !near(y.TPR, 1.0/3) || !near(y.FPR, 1.0/6) {
		t.Errorf("youden: threshold %v f1 %v tpr %v fpr %v", y.Threshold, y.F1, y.TPR, y.FPR)
	}
	if !near(y.AUROC, m.AUROC) {
		t.Error("AUROC must not depend on the threshold")
	}
}

func TestTopKTiesConstantScores(t *testing.T) {
	// 4 tied lines, 1 buggy: random order.
	m := Compute([]SnippetScores{{Scores: []float64{2, 2, 2, 2}, Labels: []int{0, 0, 1, 0}}}, 1)
	for name, w := range map[string]float64{
		"hit@1": 0.25, "anyhit@1": 0.25, "prec@1": 0.25,
		"hit@3": 0.75, "anyhit@3": 0.75, "prec@3": 0.25,
		"hit@5": 1, "anyhit@5": 1, "prec@5": 0.25,
		"auroc": 0.5, "auprc": 0.25,
	} {
		if got := m.Value(name); !near(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	// Partial tie group: N(1.0) then {B,B,N}(0.5) then N(0). k=3 takes 2 of the 3 tied lines.
	m = Compute([]SnippetScores{{Scores: []float64{1, .5, .5, .5, 0}, Labels: []int{0, 1, 1, 0, 0}}}, 1)
	if !near(m.HitRate[3], 2.0/3) || !near(m.AnyHit[3], 1) || !near(m.Precision[3], 4.0/9) {
		t.Errorf("partial tie: hit %v any %v prec %v", m.HitRate[3], m.AnyHit[3], m.Precision[3])
	}
	if !near(m.HitRate[1], 0) || !near(m.AnyHit[1], 0) {
		t.Errorf("partial tie k=1: hit %v any %v", m.HitRate[1], m.AnyHit[1])
	}
}

// permutations calls f with every permutation of 0..n-1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(int)
	rec = func(i int) {
		if i == n {
			f(p)
			return
		}
		for j := i; j < n; j++ {
			p[i], p[j] = p[j], p[i]
			rec(i + 1)
			p[i], p[j] = p[j], p[i]
		}
	}
	rec(0)
}

// naiveTopK averages the top-k metrics over every order of the lines, each stably sorted by
// descending score: the expectation over uniformly random tie-breaking.
func naiveTopK(scores []float64, labels []int, k int) (hit, any, prec float64) {
	n := len(scores)
	B := 0
	for _, l := range labels {
		if l != 0 {
			B++
		}
	}
	count := 0
	permutations(n, func(p []int) {
		order := append([]int(nil), p...)
		sort.SliceStable(order, func(a, b int) bool { return cleanScore(scores[order[a]]) > cleanScore(scores[order[b]]) })
		h := 0
		for _, i := range order[:min(k, n)] {
			if labels[i] != 0 {
				h++
			}
		}
		hit += float64(h) / float64(B)
		if h > 0 {
			any++
		}
		prec += float64(h) / float64(min(k, n))
		count++
	})
	c := float64(count)
	return hit / c, any / c, prec / c
}

func TestTopKTiesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 60; trial++ {
		n := 1 + rng.IntN(7)
		s := SnippetScores{Scores: make([]float64, n), Labels: make([]int, n)}
		for i := range n {
			s.Scores[i] = float64(rng.IntN(3))
			if rng.IntN(8) == 0 {
				s.Scores[i] = math.NaN()
			}
			s.Labels[i] = rng.IntN(2)
		}
		s.Labels[rng.IntN(n)] = 1
		m := Compute([]SnippetScores{s}, 1)
		for _, k := range Ks {
			h, a, p := naiveTopK(s.Scores, s.Labels, k)
			if !near(m.HitRate[k], h) || !near(m.AnyHit[k], a) || !near(m.Precision[k], p) {
				t.Fatalf("%v k=%d: got %v %v %v want %v %v %v", s, k, m.HitRate[k], m.AnyHit[k], m.Precision[k], h, a, p)
			}
		}
	}
}

// naiveLine computes AUROC, AUPRC and F1/TPR/FPR at threshold in O(n²) straight from the
// definitions.
func naiveLine(snips []SnippetScores, threshold float64) (auroc, auprc, f1, tpr, fpr float64) {
	var ps, ns []float64
	for _, s := range snips {
		for i, sc := range s.Scores {
			if s.Labels[i] != 0 {
				ps = append(ps, cleanScore(sc))
			} else {
				ns = append(ns, cleanScore(sc))
			}
		}
	}
	for _, p := range ps {
		for _, n := range ns {
			switch {
			case p > n:
				auroc++
			case p == n:
				auroc += 0.5
			}
		}
	}
	auroc /= float64(len(ps) * len(ns))
	for _, p := range ps {
		tp, all := 0, 0
		for _, q := range ps {
			if q >= p {
				tp++
				all++
			}
		}
		for _, n := range ns {
			if n >= p {
				all++
			}
		}
		auprc += float64(tp) / float64(all)
	}
	auprc /= float64(len(ps))
	var tp, fp int
	for _, p := range ps {
		if p >= threshold {
			tp++
		}
	}
	for _, n := range ns {
		if n >= threshold {
			fp++
		}
	}
	fn := len(ps) - tp
	return auroc, auprc, 2 * float64(tp) / float64(2*tp+fp+fn), float64(tp) / float64(len(ps)), float64(fp) / float64(len(ns))
}

func randomSnippets(rng *rand.Rand, n, maxLines, levels int, signal float64) []SnippetScores {
	snips := make([]SnippetScores, n)
	for i := range snips {
		nl := 1 + rng.IntN(maxLines)
		s := SnippetScores{Scores: make([]float64, nl), Labels: make([]int, nl)}
		for j := range nl {
			if rng.IntN(5) == 0 {
				s.Labels[j] = 1
			}
			v := rng.NormFloat64() + signal*float64(s.Labels[j])
			if levels > 0 {
				v = math.Round(v * float64(levels))
			}
			s.Scores[j] = v
		}
		snips[i] = s
	}
	return snips
}

func TestLineMetricsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 30; trial++ {
		levels := []int{0, 1, 2, 5}[trial%4]
		snips := randomSnippets(rng, 5+rng.IntN(40), 12, levels, 1)
		th := float64(rng.IntN(3)) - 1
		if levels > 0 {
			th *= float64(levels)
		}
		m := Compute(snips, th)
		a, p, f, tpr, fpr := naiveLine(snips, th)
		if !near(m.AUROC, a) || !near(m.AUPRC, p) || !near(m.F1, f) || !near(m.TPR, tpr) || !near(m.FPR, fpr) {
			t.Fatalf("trial %d: got auroc %v auprc %v f1 %v tpr %v fpr %v; want %v %v %v %v %v",
				trial, m.AUROC, m.AUPRC, m.F1, m.TPR, m.FPR, a, p, f, tpr, fpr)
		}
		// NaN threshold = Youden on these data.
		var all []float64
		var labels []int
		for _, s := range snips {
			all = append(all, s.Scores...)
			labels = append(labels, s.Labels...)
		}
		yt, ytpr, yfpr, err := Youden(all, labels)
		if err != nil {
			t.Fatal(err)
		}
		y := Compute(snips, math.NaN())
		_, _, yf, _, _ := naiveLine(snips, yt)
		if y.Threshold != yt || !near(y.TPR, ytpr) || !near(y.FPR, yfpr) || !near(y.F1, yf) {
			t.Fatalf("trial %d youden: got %v %v %v %v want %v %v %v %v", trial, y.Threshold, y.TPR, y.FPR, y.F1, yt, ytpr, yfpr, yf)
		}
	}
}

func TestComputeDegenerate(t *testing.T) {
	m := Compute(nil, 0.5)
	for _, name := range MetricNames() {
		if !math.IsNaN(m.Value(name)) {
			t.Errorf("empty: %s = %v, want NaN", name, m.Value(name))
		}
	}
	m = Compute([]SnippetScores{{Scores: []float64{1, 2}, Labels: []int{0, 0}}}, math.NaN())
	if !math.IsNaN(m.AUROC) || !math.IsNaN(m.AUPRC) || !math.IsNaN(m.F1) || !math.IsNaN(m.HitRate[1]) {
		t.Errorf("no positives: %+v", m)
	}
	if m.Snippets != 1 || m.BuggySnippets != 0 || m.Lines != 2 {
		t.Errorf("counts: %+v", m)
	}
	if !math.IsNaN(m.Value("nope")) || !math.IsNaN(m.Value("hit@2")) {
		t.Error("unknown names must give NaN")
	}
}

func TestMetricNames(t *testing.T) {
	names := MetricNames()
	want := []string{"hit@1", "hit@3", "hit@5", "hit@10", "anyhit@1", "anyhit@3", "anyhit@5", "anyhit@10",
		"prec@1", "prec@3", "prec@5", "prec@10", "auroc", "auprc", "f1"}
	if len(names) != len(want) {
		t.Fatalf("%v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("%v", names)
		}
	}
}

package eval

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Ks are the cut-offs k of the top-k metrics, in report order.
var Ks = []int{1, 3, 5, 10}

// SnippetScores is one snippet's scored lines: Scores[i] is the risk of line i (higher = riskier)
// and Labels[i] is nonzero when line i is buggy. Group is free text (language, task, source) used
// by callers to split results; the metrics ignore it.
type SnippetScores struct {
	ID     string
	Group  string
	Scores []float64
	Labels []int
}

// Metrics are the evaluation metrics of DESIGN.md, "Evaluation".
//
// Top-k metrics (per snippet, then averaged over the snippets that hold at least one buggy line;
// NaN when there is none). A snippet's lines are ranked by descending score; with n lines, B buggy
// lines and H = |buggy ∩ top k|:
//   - HitRate[k]   = H / B, the share of the snippet's buggy lines found in the top k;
//   - AnyHit[k]    = 1 if H ≥ 1 else 0;
//   - Precision[k] = H / min(k, n).
//
// Ties in scores are resolved by the expected value over all orders of the tied lines (uniformly
// random tie-breaking), computed exactly: when the top k cuts through a tie group of g lines
// holding b buggy lines and takes r of them, that group adds r·b/g expected hits, and any-hit uses
// the hypergeometric probability 1 − C(g−b, r)/C(g, r) that at least one buggy line is drawn. A
// constant scorer therefore scores exactly like the average random ranking, and no tie rule can
// favour buggy lines.
//
// Line-level metrics pool all lines of all snippets:
//   - AUROC: Mann–Whitney statistic, P(score of a buggy line > score of a clean line) with ties
//     counting 1/2; NaN without both classes.
//   - AUPRC: average precision, Σ over tie groups (descending score) of (ΔTP / P) · precision
//     after the whole group (tied lines enter together); NaN without buggy lines.
//   - F1, TPR, FPR at Threshold, where a line is flagged when score ≥ Threshold.
//
// NaN scores rank as −Inf (least risky).
type Metrics struct {
	Ks        []int
	HitRate   map[int]float64
	AnyHit    map[int]float64
	Precision map[int]float64

	AUROC float64
	AUPRC float64

	F1        float64
	Threshold float64
	TPR       float64
	FPR       float64

	Snippets      int
	BuggySnippets int
	Lines         int
	BuggyLines    int
}

// MetricNames lists the metric names, in a fixed report order: hit@k, anyhit@k, prec@k for k in
// Ks, then auroc, auprc, f1. These are the keys of Bootstrap's intervals and of Value.
func MetricNames() []string {
	var names []string
	for _, p := range []string{"hit", "anyhit", "prec"} {
		for _, k := range Ks {
			names = append(names, p+"@"+strconv.Itoa(k))
		}
	}
	return append(names, "auroc", "auprc", "f1")
}

// Value returns the metric called name: any of MetricNames, or "threshold", "tpr", "fpr",
// "snippets", "buggy_snippets", "lines", "buggy_lines". Unknown names give NaN.
func (m Metrics) Value(name string) float64 {
	if p, ks, ok := strings.Cut(name, "@"); ok {
		k, err := strconv.Atoi(ks)
		if err != nil {
			return math.NaN()
		}
		var mp map[int]float64
		switch p {
		case "hit":
			mp = m.HitRate
		case "anyhit":
			mp = m.AnyHit
		case "prec":
			mp = m.Precision
		}
		if v, ok := mp[k]; ok {
			return v
		}
		return math.NaN()
	}
	switch name {
	case "auroc":
		return m.AUROC
	case "auprc":
		return m.AUPRC
	case "f1":
		return m.F1
	case "threshold":
		return m.Threshold
	case "tpr":
		return m.TPR
	case "fpr":
		return m.FPR
	case "snippets":
		return float64(m.Snippets)
	case "buggy_snippets":
		return float64(m.BuggySnippets)
	case "lines":
		return float64(m.Lines)
	case "buggy_lines":
		return float64(m.BuggyLines)
	}
	return math.NaN()
}

// Compute evaluates the snippets. threshold is the F1 decision threshold (flag score ≥
// threshold), normally chosen on validation data (e.g. with Youden). A NaN threshold picks the
// Youden threshold on these same data, which is optimistic (the threshold is tuned on the test
// set); F1, TPR and FPR are then NaN if the data lack buggy or clean lines.
//
// It panics when a snippet's Scores and Labels differ in length.
func Compute(snips []SnippetScores, threshold float64) Metrics {
	p := prepare(snips, threshold)
	w := make([]int32, len(snips))
	for i := range w {
		w[i] = 1
	}
	return p.evaluate(w)
}

// prepared holds what a (re)weighted evaluation needs, computed once.
type prepared struct {
	threshold float64
	nk        int
	buggy     []bool    // per snippet: holds ≥ 1 buggy line
	topk      []float64 // per snippet, nk×3: hit, anyhit, prec for each k
	pos, neg  []int64   // per snippet line counts
	tpAt      []int64   // per snippet: buggy lines with score ≥ threshold
	fpAt      []int64   // per snippet: clean lines with score ≥ threshold
	// All lines sorted by descending score; line i packs snippet<<2 | buggy<<1 | lastOfTieGroup.
	lines  []uint64
	scores []float64
}

func cleanScore(s float64) float64 {
	if math.IsNaN(s) {
		return math.Inf(-1)
	}
	return s
}

func prepare(snips []SnippetScores, threshold float64) *prepared {
	nk := len(Ks)
	n := len(snips)
	p := &prepared{
		threshold: threshold,
		nk:        nk,
		buggy:     make([]bool, n),
		topk:      make([]float64, n*nk*3),
		pos:       make([]int64, n),
		neg:       make([]int64, n),
		tpAt:      make([]int64, n),
		fpAt:      make([]int64, n),
	}
	total := 0
	for i, s := range snips {
		if len(s.Scores) != len(s.Labels) {
			panic(fmt.Sprintf("eval: snippet %d (%q): %d scores but %d labels", i, s.ID, len(s.Scores), len(s.Labels)))
		}
		total += len(s.Scores)
	}
	type line struct {
		s    float64
		snip int
		bug  bool
	}
	all := make([]line, 0, total)
	for i, s := range snips {
		for j, sc := range s.Scores {
			sc = cleanScore(sc)
			bug := s.Labels[j] != 0
			all = append(all, line{sc, i, bug})
			if bug {
				p.pos[i]++
			} else {
				p.neg[i]++
			}
			if !math.IsNaN(threshold) && sc >= threshold {
				if bug {
					p.tpAt[i]++
				} else {
					p.fpAt[i]++
				}
			}
		}
		if p.pos[i] > 0 {
			p.buggy[i] = true
			snippetTopK(s.Scores, s.Labels, p.topk[i*nk*3:(i+1)*nk*3])
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].s > all[b].s })
	p.lines = make([]uint64, len(all))
	p.scores = make([]float64, len(all))
	for i, l := range all {
		v := uint64(l.snip) << 2
		if l.bug {
			v |= 2
		}
		if i == len(all)-1 || all[i+1].s != l.s {
			v |= 1
		}
		p.lines[i] = v
		p.scores[i] = l.s
	}
	return p
}

// snippetTopK fills out (len 3·len(Ks)) with hit, anyhit, prec for each k: the expected values
// over uniformly random orders of tied lines. The snippet must hold at least one buggy line.
func snippetTopK(scores []float64, labels []int, out []float64) {
	n := len(scores)
	type line struct {
		s   float64
		bug bool
	}
	ls := make([]line, n)
	B := 0
	for i, s := range scores {
		ls[i] = line{cleanScore(s), labels[i] != 0}
		if ls[i].bug {
			B++
		}
	}
	sort.Slice(ls, func(a, b int) bool { return ls[a].s > ls[b].s })
	type group struct{ g, b int }
	var groups []group
	for i := 0; i < n; {
		j, b := i, 0
		for j < n && ls[j].s == ls[i].s {
			if ls[j].bug {
				b++
			}
			j++
		}
		groups = append(groups, group{j - i, b})
		i = j
	}
	nk := len(Ks)
	for ki, k := range Ks {
		kk := min(k, n)
		above, bAbove := 0, 0
		expected, pNone := 0.0, 1.0
		for _, gr := range groups {
			if above+gr.g <= kk {
				above += gr.g
				bAbove += gr.b
				continue
			}
			r := kk - above
			expected = float64(r) * float64(gr.b) / float64(gr.g)
			// P(no buggy line among r drawn without replacement from g holding b buggy).
			for i := 0; i < r; i++ {
				pNone *= float64(gr.g-gr.b-i) / float64(gr.g-i)
			}
			break
		}
		expected += float64(bAbove)
		if bAbove > 0 {
			pNone = 0
		}
		out[ki] = expected / float64(B)
		out[nk+ki] = 1 - pNone
		out[2*nk+ki] = expected / float64(kk)
	}
}

// evaluate computes the metrics of the data set in which snippet i appears w[i] times.
func (p *prepared) evaluate(w []int32) Metrics {
	nk := p.nk
	m := Metrics{
		Ks:        append([]int(nil), Ks...),
		HitRate:   make(map[int]float64, nk),
		AnyHit:    make(map[int]float64, nk),
		Precision: make(map[int]float64, nk),
	}
	sums := make([]float64, 3*nk)
	var P, N, TP, FP, nb, ns int64
	for i, wi := range w {
		if wi == 0 {
			continue
		}
		wf := int64(wi)
		ns += wf
		P += wf * p.pos[i]
		N += wf * p.neg[i]
		TP += wf * p.tpAt[i]
		FP += wf * p.fpAt[i]
		if p.buggy[i] {
			nb += wf
			row := p.topk[i*3*nk : (i+1)*3*nk]
			for j, v := range row {
				sums[j] += float64(wi) * v
			}
		}
	}
	m.Snippets, m.BuggySnippets, m.Lines, m.BuggyLines = int(ns), int(nb), int(P+N), int(P)
	for ki, k := range Ks {
		if nb == 0 {
			m.HitRate[k], m.AnyHit[k], m.Precision[k] = math.NaN(), math.NaN(), math.NaN()
			continue
		}
		m.HitRate[k] = sums[ki] / float64(nb)
		m.AnyHit[k] = sums[nk+ki] / float64(nb)
		m.Precision[k] = sums[2*nk+ki] / float64(nb)
	}

	// One pass over all lines by descending score, tie group by tie group.
	youden := math.IsNaN(p.threshold)
	var tp, fp, gp, gn, auc2 int64
	ap := 0.0
	bestJ := math.Inf(-1)
	bestT, bestTP, bestFP := math.NaN(), int64(0), int64(0)
	fP, fN := float64(P), float64(N)
	for i, l := range p.lines {
		if wi := int64(w[l>>2]); wi != 0 {
			if l&2 != 0 {
				gp += wi
			} else {
				gn += wi
			}
		}
		if l&1 == 0 || gp+gn == 0 {
			continue
		}
		negBelow := N - fp - gn
		auc2 += gp * (2*negBelow + gn)
		tp += gp
		fp += gn
		if gp > 0 {
			ap += float64(gp) * float64(tp) / float64(tp+fp)
		}
		if youden && P > 0 && N > 0 {
			if j := float64(tp)/fP - float64(fp)/fN; j > bestJ {
				bestJ, bestT, bestTP, bestFP = j, p.scores[i], tp, fp
			}
		}
		gp, gn = 0, 0
	}
	m.AUROC, m.AUPRC = math.NaN(), math.NaN()
	if P > 0 && N > 0 {
		m.AUROC = float64(auc2) / (2 * fP * fN)
	}
	if P > 0 {
		m.AUPRC = ap / fP
	}
	if youden {
		m.Threshold = bestT
		if math.IsNaN(bestT) {
			m.F1, m.TPR, m.FPR = math.NaN(), math.NaN(), math.NaN()
			return m
		}
		TP, FP = bestTP, bestFP
	} else {
		m.Threshold = p.threshold
	}
	m.TPR, m.FPR, m.F1 = math.NaN(), math.NaN(), math.NaN()
	if P > 0 {
		m.TPR = float64(TP) / fP
	}
	if N > 0 {
		m.FPR = float64(FP) / fN
	}
	if d := 2*TP + FP + (P - TP); d > 0 {
		m.F1 = float64(2*TP) / float64(d)
	}
	return m
}

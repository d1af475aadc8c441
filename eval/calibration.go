package eval

import (
	"math"
	"sort"
)

// Platt is a logistic calibration of scores: P(buggy | score s) = 1 / (1 + exp(-(A·s + B))).
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Prob is the calibrated probability of a score.
func (p Platt) Prob(s float64) float64 {
	z := p.A*s + p.B
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// FitPlatt fits A and B by maximum likelihood (Newton's method with Platt's smoothed targets
// (n₊+1)/(n₊+2) and 1/(n₋+2), which keep the fit finite when the classes separate). Labels are
// 1 (buggy) or 0. With no positive or no negative it returns A = 0 and B = the log-odds of the
// smoothed base rate.
func FitPlatt(scores []float64, labels []int) Platt {
	var pos, neg float64
	for _, l := range labels {
		if l == 1 {
			pos++
		} else {
			neg++
		}
	}
	hi, lo := (pos+1)/(pos+2), 1/(neg+2)
	t := make([]float64, len(labels))
	for i, l := range labels {
		t[i] = lo
		if l == 1 {
			t[i] = hi
		}
	}
	base := (pos + 1) / (pos + neg + 2)
	p := Platt{A: 0, B: math.Log(base / (1 - base))}
	if pos == 0 || neg == 0 {
		return p
	}
	nll := func(q Platt) float64 {
		s := 0.0
		for i, x := range scores {
			z := q.A*x + q.B
			// -[t log σ(z) + (1-t) log(1-σ(z))] = log(1+e^z) - t·z, computed stably
			s += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - t[i]*z
		}
		return s
	}
	cur := nll(p)
	for iter := 0; iter < 100; iter++ {
		var g1, g2, h11, h12, h22 float64
		for i, x := range scores {
			pr := p.Prob(x)
			d := pr - t[i]
			w := math.Max(pr*(1-pr), 1e-12)
			g1 += d * x
			g2 += d
			h11 += w * x * x
			h12 += w * x
			h22 += w
		}
		h11 += 1e-12
		h22 += 1e-12
		det := h11*h22 - h12*h12
		if det <= 0 {
			break
		}
		dA := (h22*g1 - h12*g2) / det
		dB := (h11*g2 - h12*g1) / det
		step := 1.0
		next := Platt{p.A - dA, p.B - dB}
		nv := nll(next)
		for nv > cur && step > 1e-10 { // backtrack until the likelihood improves
			step /= 2
			next = Platt{p.A - step*dA, p.B - step*dB}
			nv = nll(next)
		}
		if nv > cur {
			break
		}
		done := math.Abs(cur-nv) < 1e-10*(1+math.Abs(cur))
		p, cur = next, nv
		if done {
			break
		}
	}
	return p
}

// Calibration measures how well probabilities match outcomes: the Brier score (mean squared
// error) and the expected calibration error over Bins equal-count bins (mean |rate - mean
// probability| weighted by bin size).
type Calibration struct {
	Brier float64 `json:"brier"`
	ECE   float64 `json:"ece"`
	Bins  int     `json:"bins"`
}

// CalibrationOf computes the Brier score and the ECE of probabilities against labels.
func CalibrationOf(probs []float64, labels []int, bins int) Calibration {
	c := Calibration{Bins: bins}
	n := len(probs)
	if n == 0 || bins <= 0 {
		return Calibration{Brier: math.NaN(), ECE: math.NaN(), Bins: bins}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
		d := probs[i] - float64(labels[i])
		c.Brier += d * d
	}
	c.Brier /= float64(n)
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] < probs[idx[b]] })
	for b := 0; b < bins; b++ {
		lo, hi := b*n/bins, (b+1)*n/bins
		if hi <= lo {
			continue
		}
		var sp, sl float64
		for _, i := range idx[lo:hi] {
			sp += probs[i]
			sl += float64(labels[i])
		}
		m := float64(hi - lo)
		c.ECE += m / float64(n) * math.Abs(sp/m-sl/m)
	}
	return c
}

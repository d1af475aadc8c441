// Package youden chooses a flag threshold by Youden's J: a leaf package, so that both stage 2
// (finetune) and the evaluation (eval) use it without finetune importing eval.
package youden

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Threshold returns the threshold maximizing Youden's J = TPR − FPR, where a line is flagged risky
// when score >= threshold (higher score = riskier), together with the TPR and FPR at that
// threshold.
//
// Candidate thresholds are the distinct observed scores (flagging nothing is not a candidate, so
// the lowest score, which flags every line and gives J = 0, bounds J from below). When several
// thresholds reach the maximal J, the highest of them is returned (the most conservative one,
// flagging the fewest lines); the result therefore depends only on the multiset of
// (score, label) pairs, never on their order.
//
// Labels are 0 (clean) or nonzero (risky). It is an error when the lengths differ, a score is
// NaN, or there is no positive or no negative line.
func Threshold(scores []float64, labels []int) (threshold, tpr, fpr float64, err error) {
	if len(scores) != len(labels) {
		return math.NaN(), 0, 0, fmt.Errorf("youden: %d scores but %d labels", len(scores), len(labels))
	}
	var pos, neg int
	idx := make([]int, len(scores))
	for i, s := range scores {
		if math.IsNaN(s) {
			return math.NaN(), 0, 0, fmt.Errorf("youden: score %d is NaN", i)
		}
		if labels[i] != 0 {
			pos++
		} else {
			neg++
		}
		idx[i] = i
	}
	if pos == 0 || neg == 0 {
		return math.NaN(), 0, 0, errors.New("youden: need at least one positive and one negative line")
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	bestJ := math.Inf(-1)
	var tp, fp int
	for i := 0; i < len(idx); {
		t := scores[idx[i]]
		for i < len(idx) && scores[idx[i]] == t {
			if labels[idx[i]] != 0 {
				tp++
			} else {
				fp++
			}
			i++
		}
		r, f := float64(tp)/float64(pos), float64(fp)/float64(neg)
		// Strict improvement only: thresholds are visited from high to low, so ties keep the
		// highest threshold.
		if j := r - f; j > bestJ {
			bestJ, threshold, tpr, fpr = j, t, r, f
		}
	}
	return threshold, tpr, fpr, nil
}

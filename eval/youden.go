package eval

import "github.com/pttrust/pttrust/internal/youden"

// Youden returns the threshold maximizing Youden's J = TPR − FPR (a line is flagged when
// score >= threshold) with the TPR and FPR there; ties go to the highest threshold. See
// youden.Threshold, which stage 2 also uses.
func Youden(scores []float64, labels []int) (threshold, tpr, fpr float64, err error) {
	return youden.Threshold(scores, labels)
}

package youden

import (
	"math"
	"testing"
)

func TestThresholdHandMadeROC(t *testing.T) {
	// Sorted by score (desc): 0.9 P, 0.8 N, 0.7 P, 0.6 P, 0.5 N, 0.4 N, 0.3 P, 0.2 N.
	// pos = 4, neg = 4.
	// t=0.9: TPR 1/4 FPR 0   J=.25
	// t=0.8: TPR 1/4 FPR 1/4 J=0
	// t=0.7: TPR 2/4 FPR 1/4 J=.25
	// t=0.6: TPR 3/4 FPR 1/4 J=.5  <- best
	// t=0.5: 3/4 2/4 .25; t=0.4: 3/4 3/4 0; t=0.3: 1 3/4 .25; t=0.2: 1 1 0
	scores := []float64{0.3, 0.9, 0.5, 0.7, 0.2, 0.8, 0.6, 0.4}
	labels := []int{1, 1, 0, 1, 0, 0, 1, 0}
	th, tpr, fpr, err := Threshold(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	if th != 0.6 || tpr != 0.75 || fpr != 0.25 {
		t.Fatalf("got th=%v tpr=%v fpr=%v, want 0.6 0.75 0.25", th, tpr, fpr)
	}
}

func TestThresholdTiesPickHighest(t *testing.T) {
	// t=0.9: TPR 1/2 FPR 0 J=.5 ; t=0.5: TPR 1/2 FPR 1/2 J=0; t=0.1: TPR 1 FPR 1/2 J=.5.
	// Maxima at 0.9 and 0.1: the highest (0.9) wins.
	scores := []float64{0.9, 0.5, 0.1, 0.0}
	labels := []int{1, 0, 1, 0}
	th, tpr, fpr, err := Threshold(scores, labels)
	if err != nil || th != 0.9 || tpr != 0.5 || fpr != 0 {
		t.Fatalf("got %v %v %v %v", th, tpr, fpr, err)
	}
	// Tied scores form one group: all equal → the only threshold flags everything.
	th, tpr, fpr, err = Threshold([]float64{1, 1, 1}, []int{1, 0, 0})
	if err != nil || th != 1 || tpr != 1 || fpr != 1 {
		t.Fatalf("constant scores: got %v %v %v %v", th, tpr, fpr, err)
	}
	// A tie group mixing classes: 0.7 holds one P and one N.
	// t=0.7: TPR 1/2 FPR 1/2 J=0 ; t=0.2: TPR 1 FPR 1/2 J=.5
	th, tpr, fpr, err = Threshold([]float64{0.7, 0.7, 0.2, 0.1}, []int{1, 0, 1, 0})
	if err != nil || th != 0.2 || tpr != 1 || fpr != 0.5 {
		t.Fatalf("mixed tie: got %v %v %v %v", th, tpr, fpr, err)
	}
}

func TestThresholdErrors(t *testing.T) {
	if _, _, _, err := Threshold([]float64{1, 2}, []int{1}); err == nil {
		t.Error("length mismatch: want error")
	}
	if _, _, _, err := Threshold([]float64{1, 2}, []int{1, 1}); err == nil {
		t.Error("no negatives: want error")
	}
	if _, _, _, err := Threshold([]float64{1, 2}, []int{0, 0}); err == nil {
		t.Error("no positives: want error")
	}
	if _, _, _, err := Threshold([]float64{math.NaN(), 2}, []int{0, 1}); err == nil {
		t.Error("NaN: want error")
	}
}

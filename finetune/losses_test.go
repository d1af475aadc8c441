package finetune

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/pttrust/pttrust/models"
)

var (
	backendOnce sync.Once
	testBackend compute.Backend
)

func backend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() {
		b, err := models.NewBackend("go")
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	})
	return testBackend
}

// testList is one list of a loss test: scores and graded relevance of its real items.
type testList struct {
	scores []float64
	rel    []float64
}

// padded builds [B, n] inputs from lists padded to n; padding scores are set to pad (any value:
// they must not matter) and padding relevance to 2 (likewise).
func padded(lists []testList, n int, pad float32) (s, mask, rel, idcg *tensors.Tensor) {
	B := len(lists)
	sf, mf, rf := make([]float32, B*n), make([]float32, B*n), make([]float32, B*n)
	idf := make([]float32, B)
	for b, l := range lists {
		for i := range n {
			if i < len(l.scores) {
				sf[b*n+i], mf[b*n+i], rf[b*n+i] = float32(l.scores[i]), 1, float32(l.rel[i])
			} else {
				sf[b*n+i], rf[b*n+i] = pad+float32(i), 2
			}
		}
		idf[b] = float32(idealDCG(l.rel))
	}
	return tensors.FromFlatDataAndDimensions(sf, B, n), tensors.FromFlatDataAndDimensions(mf, B, n),
		tensors.FromFlatDataAndDimensions(rf, B, n), tensors.FromFlatDataAndDimensions(idf, B)
}

// lossOf runs a per-list loss graph on padded lists and returns its [B] values.
func lossOf(t *testing.T, lists []testList, n int, pad float32, fn func(s, mask, rel, idcg *Node) *Node) []float64 {
	t.Helper()
	s, m, r, i := padded(lists, n, pad)
	out, err := ExecOnce(backend(t), func(in []*Node) *Node {
		return fn(in[0], in[1], in[2], in[3]) // padding holds relevance 2 and odd scores on purpose

	}, s, m, r, i)
	if err != nil {
		t.Fatal(err)
	}
	v := tensors.MustCopyFlatData[float32](out)
	res := make([]float64, len(v))
	for k, x := range v {
		res[k] = float64(x)
	}
	return res
}

// distinctScores draws n scores at least gap apart, in random order.
func distinctScores(rng *rand.Rand, n int, gap float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)*gap + rng.Float64()*gap*0.2 - float64(n)*gap/2
	}
	rng.Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func lossTestLists() []testList {
	rng := rand.New(rand.NewPCG(7, 7))
	var lists []testList
	for _, n := range []int{5, 9, 12, 3} {
		l := testList{scores: distinctScores(rng, n, 0.3), rel: make([]float64, n)}
		for i := range l.rel {
			l.rel[i] = float64(rng.IntN(3)) // graded 0, 1, 2
		}
		l.rel[rng.IntN(n)] = 2
		lists = append(lists, l)
	}
	return lists
}

// TestNeuralNDCGApproachesExact: as τ falls, NeuralNDCG tends to the exact NDCG of the sorted
// scores (computed by a naive sort in Go); the gap shrinks monotonically and is < 1e-2 at 0.01.
func TestNeuralNDCGApproachesExact(t *testing.T) {
	lists := lossTestLists()
	prev := math.Inf(1)
	for _, tau := range []float64{1, 0.1, 0.01} {
		got := lossOf(t, lists, 16, 0, func(s, m, r, i *Node) *Node { return neuralNDCG(s, m, r, i, tau, 20) })
		gap := 0.0
		for b, l := range lists {
			gap = max(gap, math.Abs(got[b]-naiveNDCG(l.scores, l.rel)))
		}
		t.Logf("tau %g: max |NeuralNDCG − NDCG| = %.2e", tau, gap)
		if gap >= prev {
			t.Errorf("tau %g: gap %.3e did not shrink (previous %.3e)", tau, gap, prev)
		}
		prev = gap
	}
	if prev >= 1e-2 {
		t.Errorf("gap at tau 0.01 = %.3e, want < 1e-2", prev)
	}
}

// TestApproxNDCGApproachesExact: likewise for ApproxNDCG.
func TestApproxNDCGApproachesExact(t *testing.T) {
	lists := lossTestLists()
	prev := math.Inf(1)
	for _, tau := range []float64{1, 0.1, 0.01} {
		got := lossOf(t, lists, 16, 0, func(s, m, r, i *Node) *Node { return approxNDCG(s, m, r, i, tau) })
		gap := 0.0
		for b, l := range lists {
			gap = max(gap, math.Abs(got[b]-naiveNDCG(l.scores, l.rel)))
		}
		t.Logf("tau %g: max |ApproxNDCG − NDCG| = %.2e", tau, gap)
		if gap >= prev {
			t.Errorf("tau %g: gap %.3e did not shrink (previous %.3e)", tau, gap, prev)
		}
		prev = gap
	}
	if prev >= 1e-2 {
		t.Errorf("gap at tau 0.01 = %.3e, want < 1e-2", prev)
	}
}

// naiveNDCG is an independent exact NDCG: selection sort by score, gains 2^rel − 1, discount
// 1/log2(rank + 1) with 1-based ranks.
func naiveNDCG(scores, rel []float64) float64 {
	n := len(scores)
	used := make([]bool, n)
	dcg := 0.0
	for r := 1; r <= n; r++ {
		best := -1
		for i := range n {
			if !used[i] && (best < 0 || scores[i] > scores[best]) {
				best = i
			}
		}
		used[best] = true
		dcg += (math.Pow(2, rel[best]) - 1) / math.Log2(float64(r)+1)
	}
	usedR := make([]bool, n)
	ideal := 0.0
	for r := 1; r <= n; r++ {
		best := -1
		for i := range n {
			if !usedR[i] && (best < 0 || rel[i] > rel[best]) {
				best = i
			}
		}
		usedR[best] = true
		ideal += (math.Pow(2, rel[best]) - 1) / math.Log2(float64(r)+1)
	}
	return dcg / ideal
}

// TestExactNDCG checks the package's exactNDCG (used for model selection) on hand-worked cases.
func TestExactNDCG(t *testing.T) {
	// Buggy line (rel 1) ranked second of three: DCG = 1/log2(3), IDCG = 1.
	if got, want := exactNDCG([]float64{3, 2, 1}, []float64{0, 1, 0}), 1/math.Log2(3); math.Abs(got-want) > 1e-12 {
		t.Errorf("exactNDCG = %v, want %v", got, want)
	}
	if got := exactNDCG([]float64{0, 5, 1}, []float64{0, 2, 1}); got != 1 {
		t.Errorf("perfect ranking: exactNDCG = %v, want 1", got)
	}
	if got := exactNDCG([]float64{1, 2}, []float64{0, 0}); !math.IsNaN(got) {
		t.Errorf("no gain: exactNDCG = %v, want NaN", got)
	}
}

// TestListNetHandComputed: scores (1, 2, 3), relevance (0, 1, 2):
// ListNet = −Σ softmax(rel)_j · log softmax(s)_j; both softmaxes are (1, e, e²)/(1 + e + e²), so
// the value is the entropy of that distribution.
func TestListNetHandComputed(t *testing.T) {
	z := 1 + math.E + math.E*math.E
	p := []float64{1 / z, math.E / z, math.E * math.E / z}
	want := 0.0
	for _, q := range p {
		want -= q * math.Log(q)
	}
	// A second list: scores (0, 0), relevance (1, 0): target (e, 1)/(1+e), prediction (½, ½).
	want2 := math.Log(2)
	lists := []testList{{scores: []float64{1, 2, 3}, rel: []float64{0, 1, 2}}, {scores: []float64{0, 0}, rel: []float64{1, 0}}}
	got := lossOf(t, lists, 4, 50, func(s, m, r, _ *Node) *Node { return listNet(s, m, r) })
	if math.Abs(got[0]-want) > 1e-5 || math.Abs(got[1]-want2) > 1e-5 {
		t.Errorf("ListNet = %v, want [%v %v]", got, want, want2)
	}
}

// TestPaddingInvariance: padding a list further, with arbitrary padded scores and relevance, does
// not change any loss (1e-6), and the real block of NeuralSort's P̂ is doubly stochastic.
func TestPaddingInvariance(t *testing.T) {
	lists := lossTestLists()
	fns := map[string]func(s, m, r, i *Node) *Node{
		"neuralndcg": func(s, m, r, i *Node) *Node { return neuralNDCG(s, m, r, i, 0.5, 20) },
		"approxndcg": func(s, m, r, i *Node) *Node { return approxNDCG(s, m, r, i, 0.5) },
		"listnet":    func(s, m, r, _ *Node) *Node { return listNet(s, m, r) },
		"bce": func(s, m, r, _ *Node) *Node {
			y := ConvertDType(GreaterThan(r, ZerosLike(r)), s.DType())
			return Div(ReduceSum(Mul(bceWithLogits(s, y), m), -1), ReduceSum(m, -1))
		},
		"agg_last": func(s, m, _, _ *Node) *Node { return aggregateLines(s, m, AggregateLast) },
		"agg_mean": func(s, m, _, _ *Node) *Node { return aggregateLines(s, m, AggregateMean) },
		"agg_max":  func(s, m, _, _ *Node) *Node { return aggregateLines(s, m, AggregateMax) },
	}
	for name, fn := range fns {
		a := lossOf(t, lists, 12, 0, fn)
		b := lossOf(t, lists, 32, 1e3, fn)
		c := lossOf(t, lists, 16, -7, fn)
		for i := range a {
			if math.Abs(a[i]-b[i]) > 1e-6 || math.Abs(a[i]-c[i]) > 1e-6 {
				t.Errorf("%s list %d: %v (n=12) vs %v (n=32) vs %v (n=16)", name, i, a[i], b[i], c[i])
			}
		}
	}

	s, m, _, _ := padded(lists, 16, 99)
	out, err := ExecOnce(backend(t), func(in []*Node) *Node { return neuralSort(in[0], in[1], 0.5, 20) }, s, m)
	if err != nil {
		t.Fatal(err)
	}
	p := tensors.MustCopyFlatData[float32](out)
	for b, l := range lists {
		n := len(l.scores)
		for i := range 16 {
			row, col := 0.0, 0.0
			for j := range 16 {
				row += float64(p[(b*16+i)*16+j])
				col += float64(p[(b*16+j)*16+i])
			}
			wantR, wantC := 0.0, 0.0
			if i < n {
				wantR, wantC = 1, 1
			}
			if math.Abs(row-wantR) > 2e-3 || math.Abs(col-wantC) > 1e-5 {
				t.Errorf("list %d: row %d sums to %v (want %v), column %d to %v (want %v)", b, i, row, wantR, i, col, wantC)
			}
		}
	}
}

// TestLossGradientsFiniteWithEmptyList: an all-padding list (as batches are filled) gives finite
// losses and gradients for every objective.
func TestLossGradientsFiniteWithEmptyList(t *testing.T) {
	lists := append(lossTestLists(), testList{})
	for _, cfgLoss := range []struct{ loss, agg string }{{LossNeuralNDCG, ""}, {LossApproxNDCG, ""}, {LossListNet, ""}, {LossBCE, ""},
		{LossNeuralNDCG, AggregateLast}, {LossNeuralNDCG, AggregateMean}, {LossNeuralNDCG, AggregateMax}} {
		cfg := DefaultConfig()
		cfg.Loss, cfg.Aggregate, cfg.Temperature = cfgLoss.loss, cfgLoss.agg, 0.05
		s, m, r, i := padded(lists, 16, 3)
		w := tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1, 0}, 5)
		out, err := ExecOnce(backend(t), func(in []*Node) *Node {
			mask := in[1]
			rel := Mul(in[2], mask)
			lab := ConvertDType(GreaterThan(rel, ScalarZero(mask.Graph(), rel.DType())), rel.DType())
			l, wt := listLosses(cfg, in[0], mask, rel, lab, in[3], in[4])
			loss := Div(ReduceAllSum(Mul(l, wt)), ReduceAllSum(wt))
			return Concatenate([]*Node{Reshape(loss, 1), Reshape(Gradient(loss, in[0])[0], -1)}, 0)
		}, s, m, r, i, w)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tensors.MustCopyFlatData[float32](out) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Errorf("loss %s aggregate %q: output %d is %v", cfgLoss.loss, cfgLoss.agg, k, v)
				break
			}
		}
	}
}

// TestAggregateGoMatchesGraph: Assessor.SnippetScore's Go aggregate equals the graph's
// aggregateLines used in training.
func TestAggregateGoMatchesGraph(t *testing.T) {
	lists := lossTestLists()
	for _, kind := range []string{AggregateLast, AggregateMean, AggregateMax} {
		got := lossOf(t, lists, 16, 5, func(s, m, _, _ *Node) *Node { return aggregateLines(s, m, kind) })
		for b, l := range lists {
			if want := aggregate(l.scores, kind); math.Abs(got[b]-want) > 1e-5 {
				t.Errorf("%s list %d: graph %v, Go %v", kind, b, got[b], want)
			}
		}
	}
}

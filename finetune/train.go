package finetune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/pttrust/pttrust/internal/eta"
	"github.com/pttrust/pttrust/internal/youden"
	"github.com/pttrust/pttrust/models"
)

// Threshold sources (Assessor.ThresholdSource).
const (
	ThresholdFromValidation = "validation"
	ThresholdFromTrain      = "train"
)

// EpochStat is one epoch of training.
type EpochStat struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	// ValMetric is the selection metric (see Assessor.ValMetricName); NaN (null) without one.
	ValMetric *float64 `json:"val_metric"`
}

// listLosses is the per-list training loss of the configured objective, and the weight of each
// list in the batch mean.
// scores, mask, rel, labels: [B, n]; idcg, weight: [B]; returns loss [B] and weight [B].
func listLosses(cfg Config, scores, mask, rel, labels, idcg, weight *Node) (loss, w *Node) {
	if cfg.Aggregate != AggregateNone {
		agg := aggregateLines(scores, mask, cfg.Aggregate) // [B]
		y := ReduceMax(Mul(labels, mask), -1)              // [B] snippet has a buggy line
		return bceWithLogits(agg, y), weight
	}
	switch cfg.Loss {
	case LossNeuralNDCG:
		return oneMinus(neuralNDCG(scores, mask, rel, idcg, cfg.Temperature, cfg.SinkhornIters)), weight
	case LossApproxNDCG:
		return oneMinus(approxNDCG(scores, mask, rel, idcg, cfg.Temperature)), weight
	case LossListNet:
		return listNet(scores, mask, rel), weight
	default: // LossBCE: per-line mean, lists weighted by their real lines
		m := ReduceSum(mask, -1)                                                                 // [B]
		perList := Div(ReduceSum(Mul(bceWithLogits(scores, labels), mask), -1), MaxScalar(m, 1)) // [B]
		return perList, Mul(weight, m)
	}
}

// oneMinus is 1 − x.
func oneMinus(x *Node) *Node { return Sub(OnesLike(x), x) }

// batchLoss is the weighted mean of listLosses over the batch.
// x: [B, n, D]; mask, rel, labels: [B, n]; idcg, weight: [B]; returns a scalar.
func batchLoss(cfg Config, dims []int, scope *model.Scope, x, mask, rel, labels, idcg, weight *Node) *Node {
	scores := mlpGraph(scope.In(bindingScope), x, dims) // [B, n]
	l, w := listLosses(cfg, scores, mask, rel, labels, idcg, weight)
	return Div(ReduceAllSum(Mul(l, w)), MaxScalar(ReduceAllSum(w), 1e-6))
}

type param struct {
	path  string
	shape []int
	decay bool
}

func mlpParams(dims []int) []param {
	var ps []param
	for l := range len(dims) - 1 {
		ps = append(ps, param{weightPath(l), []int{dims[l+1], dims[l]}, true}, param{biasPath(l), []int{dims[l+1]}, false})
	}
	return ps
}

func momentPath(kind, p string) string { return "/optim/" + kind + p }

// stepGraph is one AdamW step with clipping by global gradient norm. Inputs as batchLoss; t is
// the 1-based step (float32 scalar) for bias correction. Returns the loss before the update and
// the gradient norm before clipping.
func stepGraph(cfg Config, dims []int, ps []param, scope *model.Scope, x, mask, rel, labels, idcg, weight, t *Node) (loss, gradNorm *Node) {
	g := x.Graph()
	scope.SetTraining(g, true) // variables as parameters, never baked-in constants
	store := scope.Store()
	loss = batchLoss(cfg, dims, scope, x, mask, rel, labels, idcg, weight)
	vars := make([]*model.Variable, len(ps))
	ws := make([]*Node, len(ps))
	for i, p := range ps {
		vars[i] = store.GetVariable(p.path)
		ws[i] = vars[i].NodeValue(g)
	}
	grads := Gradient(loss, ws...)
	sumSq := ReduceAllSum(Square(grads[0]))
	for _, gr := range grads[1:] {
		sumSq = Add(sumSq, ReduceAllSum(Square(gr)))
	}
	gradNorm = Sqrt(sumSq)
	scale := Const(g, float32(1))
	if cfg.GradClip > 0 {
		scale = Min(scale, Div(Const(g, float32(cfg.GradClip)), AddScalar(gradNorm, 1e-6)))
	}
	one := Const(g, float32(1))
	corr1 := Sub(one, Pow(Const(g, float32(cfg.Beta1)), t))
	corr2 := Sub(one, Pow(Const(g, float32(cfg.Beta2)), t))
	for i, p := range ps {
		gr := Mul(grads[i], scale)
		mv, vv := store.GetVariable(momentPath("m", p.path)), store.GetVariable(momentPath("v", p.path))
		m := Add(MulScalar(mv.NodeValue(g), cfg.Beta1), MulScalar(gr, 1-cfg.Beta1))
		v := Add(MulScalar(vv.NodeValue(g), cfg.Beta2), MulScalar(Square(gr), 1-cfg.Beta2))
		upd := Div(Div(m, corr1), AddScalar(Sqrt(Div(v, corr2)), cfg.Eps))
		if p.decay && cfg.WeightDecay > 0 {
			upd = Add(upd, MulScalar(ws[i], cfg.WeightDecay))
		}
		vars[i].SetNodeValue(Sub(ws[i], MulScalar(upd, cfg.LR)))
		mv.SetNodeValue(m)
		vv.SetNodeValue(v)
	}
	return loss, gradNorm
}

// newStore holds the MLP's weights and zeroed AdamW moments.
func newStore(net *mlp) (*model.Store, []param, error) {
	store := model.NewStore()
	ps := mlpParams(net.dims)
	for l := range len(net.dims) - 1 {
		in, out := net.dims[l], net.dims[l+1]
		if _, err := store.CreateVariable(weightPath(l), tensors.FromFlatDataAndDimensions(append([]float32(nil), net.W[l]...), out, in)); err != nil {
			return nil, nil, err
		}
		if _, err := store.CreateVariable(biasPath(l), tensors.FromFlatDataAndDimensions(append([]float32(nil), net.B[l]...), out)); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range ps {
		for _, kind := range []string{"m", "v"} {
			v, err := store.CreateVariable(momentPath(kind, p.path), tensors.FromShape(shapes.Make(dtypes.Float32, p.shape...)))
			if err != nil {
				return nil, nil, err
			}
			v.SetTrainable(false)
		}
	}
	return store, ps, nil
}

// readMLP copies the current weights out of the store.
func readMLP(store *model.Store, dims []int) (*mlp, error) {
	net := &mlp{dims: dims}
	for l := range len(dims) - 1 {
		for _, p := range []string{weightPath(l), biasPath(l)} {
			v := store.GetVariable(p)
			if v == nil {
				return nil, fmt.Errorf("finetune: variable %s missing", p)
			}
			val, err := v.Value()
			if err != nil {
				return nil, err
			}
			data, err := tensors.CopyFlatData[float32](val)
			if err != nil {
				return nil, err
			}
			if p == weightPath(l) {
				net.W = append(net.W, data)
			} else {
				net.B = append(net.B, data)
			}
		}
	}
	return net, nil
}

var (
	backendsMu sync.Mutex
	backends   = map[string]compute.Backend{}
)

// sharedBackend returns one backend per spec for the process: Train is called many times by the
// experiment runner (one binding per baseline and matrix cell), and a PJRT client is costly.
func sharedBackend(spec string) (compute.Backend, error) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := backends[spec]; ok {
		return b, nil
	}
	b, err := models.NewBackend(spec)
	if err != nil {
		return nil, err
	}
	backends[spec] = b
	return b, nil
}

// Train fits the binding MLP on the training lists and returns the assessor of the best epoch.
//
// Each epoch visits the training units (lists, cut into chunks of Config.MaxLines) in an order
// drawn from Config.Seed and the epoch, Config.BatchSize per AdamW step (lists of similar length
// are batched together, see epochBatches). After each epoch the
// selection metric is computed on the validation lists with the pure-Go forward: the mean exact
// NDCG (graded relevance, ties by line order) over lists with a buggy line when ranking, or
// minus the mean snippet-level cross-entropy for the snippet classifier (Config.Aggregate). The
// best epoch's weights are kept (the earliest on ties); training stops after Config.Patience
// epochs without improvement. Without a usable validation list the last epoch is kept.
//
// The threshold is the Youden index (youden.Threshold) of the validation lines' scores; when the
// validation lines lack a buggy or a clean line, the training lines' scores are used instead
// (Assessor.ThresholdSource says which). The same inputs and Config give the same weights bit
// for bit. progress (nil: silent) receives one line per epoch.
func Train(ctx context.Context, cfg Config, train, val []List, progress io.Writer) (*Assessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	dim, err := checkLists(train, "train", 0)
	if err != nil {
		return nil, err
	}
	if dim == 0 {
		return nil, errors.New("finetune: no training lines")
	}
	if _, err := checkLists(val, "validation", dim); err != nil {
		return nil, err
	}
	a := &Assessor{Cfg: cfg, InputDim: dim}
	if cfg.Standardize {
		a.mean, a.std = standardStats(train, dim)
	}
	units := makeUnits(train, cfg, a.mean, a.std)
	if len(units) == 0 {
		return nil, errors.New("finetune: no training list has a buggy line (the ranking losses need one); use loss = \"bce\" or an aggregate")
	}
	backend, err := sharedBackend(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	dims := layerDims(dim, cfg)
	net := newMLP(dims, cfg.Seed)
	store, ps, err := newStore(net)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, in []*Node) []*Node {
		// in: x, mask, rel, labels, idcg, weight (batchTensors), t
		loss, norm := stepGraph(cfg, dims, ps, scope, in[0], in[1], in[2], in[3], in[4], in[5], in[6])
		return []*Node{loss, norm}
	})
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	defer exec.Finalize()

	a.net = net
	valStd := make([]List, len(val))
	for i, l := range val {
		valStd[i] = a.standardizeList(l)
	}
	a.ValMetricName = "ndcg"
	if cfg.Aggregate != AggregateNone {
		a.ValMetricName = "neg_snippet_bce"
	}
	best := math.Inf(-1)
	haveBest := false
	step, since := 0, 0
	start := time.Now()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lossSum, lossN := 0.0, 0
		for _, idx := range epochBatches(units, cfg.BatchSize, cfg.Seed, epoch) {
			batch := make([]unit, 0, cfg.BatchSize)
			for _, i := range idx {
				batch = append(batch, units[i])
			}
			step++
			args := []any{}
			for _, t := range batchTensors(batch, cfg.BatchSize, dim, cfg.MaxLines) {
				args = append(args, t)
			}
			outs, err := exec.Call(append(args, float32(step))...)
			if err != nil {
				return nil, fmt.Errorf("finetune: step %d: %w", step, err)
			}
			loss := float64(tensors.ToScalar[float32](outs[0]))
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, fmt.Errorf("finetune: epoch %d step %d: loss is %g (diverged); lower lr", epoch, step, loss)
			}
			lossSum += loss * float64(len(batch))
			lossN += len(batch)
		}
		cur, err := readMLP(store, dims)
		if err != nil {
			return nil, err
		}
		a.net = cur
		metric := a.valMetric(valStd)
		st := EpochStat{Epoch: epoch, TrainLoss: lossSum / float64(lossN)}
		if !math.IsNaN(metric) {
			st.ValMetric = &metric
		}
		a.History = append(a.History, st)
		a.EpochsRun = epoch
		improved := math.IsNaN(metric) || metric > best
		if improved {
			if !math.IsNaN(metric) {
				best = metric
			}
			haveBest = true
			a.BestEpoch, a.ValMetric, since = epoch, st.ValMetric, 0
			net = cur
		} else {
			since++
		}
		if progress != nil {
			ms := "n/a"
			if st.ValMetric != nil {
				ms = fmt.Sprintf("%.4f", metric)
			}
			// The ETA is a bound: early stopping (Patience) may end the run sooner.
			fmt.Fprintf(progress, "epoch %3d/%d  train loss %.4f  val %s %s%s  (%s, %s at most)\n", epoch, cfg.Epochs, st.TrainLoss,
				a.ValMetricName, ms, map[bool]string{true: " *", false: ""}[improved], time.Since(start).Round(time.Millisecond),
				eta.String(time.Since(start), float64(epoch), float64(cfg.Epochs)))
		}
		if cfg.Patience > 0 && since >= cfg.Patience {
			break
		}
	}
	if !haveBest {
		return nil, errors.New("finetune: no epoch ran")
	}
	a.net = net
	if err := a.chooseThreshold(val, train); err != nil {
		return nil, err
	}
	return a, nil
}

// standardizeList applies the stored standardisation to a list's features.
func (a *Assessor) standardizeList(l List) List {
	out := List{ID: l.ID, Labels: l.Labels, Features: make([][]float32, len(l.Features))}
	for i, f := range l.Features {
		out.Features[i] = standardize(f, a.mean, a.std)
	}
	return out
}

// valMetric is the selection metric over already standardised validation lists; NaN when no list
// qualifies.
func (a *Assessor) valMetric(val []List) float64 {
	sum, n := 0.0, 0
	buf := a.net.buffers()
	for _, l := range val {
		if len(l.Features) == 0 {
			continue
		}
		scores := make([]float64, len(l.Features))
		for i, f := range l.Features {
			scores[i] = a.net.forward(f, buf)
		}
		if a.Cfg.Aggregate != AggregateNone {
			y := 0.0
			if hasPositive(l.Labels) {
				y = 1
			}
			s := aggregate(scores, a.Cfg.Aggregate)
			sum -= math.Max(s, 0) - s*y + math.Log1p(math.Exp(-math.Abs(s)))
			n++
			continue
		}
		v := exactNDCG(scores, relevance(l.Labels, a.Cfg.GradedRelevance, a.Cfg.RelevanceWindow))
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// chooseThreshold sets the Youden threshold from the validation lines, or the training lines
// when the validation lines lack a positive or a negative.
func (a *Assessor) chooseThreshold(val, train []List) error {
	var verr error
	for _, src := range []struct {
		name  string
		lists []List
	}{{ThresholdFromValidation, val}, {ThresholdFromTrain, train}} {
		var scores []float64
		var labels []int
		for _, l := range src.lists {
			scores = append(scores, a.ScoreList(l)...)
			for _, y := range l.Labels {
				labels = append(labels, int(y))
			}
		}
		th, tpr, fpr, err := youden.Threshold(scores, labels)
		if err != nil {
			if verr == nil {
				verr = err
			}
			continue
		}
		a.Threshold, a.ThresholdTPR, a.ThresholdFPR, a.ThresholdSource = th, tpr, fpr, src.name
		return nil
	}
	return fmt.Errorf("finetune: no threshold: neither the validation nor the training lines have both buggy and clean lines: %w", verr)
}

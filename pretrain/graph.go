package pretrain

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Store paths of the SAE's variables (scope "sae"), the dead-latent counter (scope "stats") and
// AdamW's moments (/optim/m/<path>, /optim/v/<path>).
const (
	scopeSAE   = "sae"
	scopeStats = "stats"
	varWEnc    = "w_enc" // [dim, latents]; absent when tied (the encoder is w_dec transposed)
	varBEnc    = "b_enc" // [latents]
	varWDec    = "w_dec" // [latents, dim]; each row (a latent's decoder column) has unit norm
	varBPre    = "b_pre" // [dim]
	varSince   = "lines_since_fired"
	varThresh  = "batchtopk_threshold" // [1]: BatchTopK's inference threshold (EncodeOn's store only)
	optimScope = "/optim"
)

// Numerical constants shared by the graph and the Go encoder.
const (
	normEps  = 1e-5  // input LayerNorm: (x - mean) / sqrt(var + normEps)
	zNormEps = 1e-12 // L2 normalisation of latents for the contrastive term
	adamB1   = 0.9
	adamB2   = 0.999
	adamEps  = 1e-8
	// bisectSteps: the k-th largest non-negative float32 of a row is found by bisection on its
	// bit pattern (order-preserving for non-negative floats), exact after 31 halvings.
	bisectSteps = 31
)

func saePath(name string) string   { return "/" + scopeSAE + "/" + name }
func statsPath(name string) string { return "/" + scopeStats + "/" + name }
func momentPath(kind, p string) string {
	return optimScope + "/" + kind + p
}

// shape is the size of an SAE.
type shape struct {
	dim, latents, k, auxK int
	tied, inputNorm       bool
	batchTopK             bool // keep a batch's k × rows largest latents (Config.Activation)
	// hostKth: the step graph takes its TopK thresholds as inputs (found on the host from
	// preGraph's output, hostkth.go) instead of bisecting for them.
	hostKth bool
	// hostAdam: the weight matrices are updated on the host (hostadam.go); the step graph
	// returns their gradients.
	hostAdam bool
	// preIn: the step graph takes preGraph's pre-activations as an input instead of computing
	// them again (prein.go; needs hostKth).
	preIn bool
	// freeDec: the decoder rows' norms are trained, as gains of the latents (Config.DecoderNorm
	// "free"; decoderNorms).
	freeDec bool
}

// decays says whether AdamW's weight decay applies to the trained variable p: the encoder
// matrix (W_dec when tied).
func (s shape) decays(p string) bool {
	return p == saePath(varWEnc) || (s.tied && p == saePath(varWDec))
}

// trainable lists the store paths of the trained variables.
func (s shape) trainable() []string {
	p := []string{saePath(varBEnc), saePath(varWDec), saePath(varBPre)}
	if !s.tied {
		p = append([]string{saePath(varWEnc)}, p...)
	}
	return p
}

func f32Var(scope *model.Scope, name string, dims ...int) *model.Variable {
	return scope.VariableWithShape(name, shapes.Make(dtypes.Float32, dims...))
}

// layerNorm normalises each row to zero mean and unit variance (no learned parameters).
// x: [batch, dim]; returns [batch, dim].
func layerNorm(x *Node) *Node {
	xc := Sub(x, ReduceAndKeep(x, ReduceMean, -1)) // [batch, dim]
	v := ReduceAndKeep(Square(xc), ReduceMean, -1) // [batch, 1]
	return Div(xc, Sqrt(AddScalar(v, normEps)))    // [batch, dim]
}

// preActivations is W_enc(x - b_pre) + b_enc. xn: [batch, dim]; returns [batch, latents].
func preActivations(s shape, scope *model.Scope, xn *Node) *Node {
	g := xn.Graph()
	bPre := f32Var(scope, varBPre, s.dim).NodeValue(g)     // [dim]
	bEnc := f32Var(scope, varBEnc, s.latents).NodeValue(g) // [latents]
	xc := Sub(xn, InsertAxes(bPre, 0))                     // [batch, dim]
	if s.tied {                                            // the encoder is W_dec^T: W_dec [latents, dim] is in the [out, in] layout
		return nn.Dense(xc, f32Var(scope, varWDec, s.latents, s.dim).NodeValue(g), bEnc, compute.DenseLayoutOutputsInput)
	}
	pre := nn.Dense(xc, f32Var(scope, varWEnc, s.dim, s.latents).NodeValue(g), bEnc, compute.DenseLayoutInputOutputs)
	if s.freeDec {
		pre = Mul(pre, InsertAxes(decoderNorms(f32Var(scope, varWDec, s.latents, s.dim).NodeValue(g)), 0))
	}
	return pre
}

// decoderNorms is each decoder row's L2 norm (+1e-12 under the root, as unitRows): a free
// decoder's latent gains. wDec: [latents, dim]; returns [latents].
func decoderNorms(wDec *Node) *Node {
	return Sqrt(AddScalar(ReduceSum(Square(wDec), -1), 1e-12))
}

// decoderRows is the decoder as applied: W_dec, or with free rows (shape.freeDec) W_dec's rows
// divided by their norms. Returns [latents, dim].
func decoderRows(s shape, scope *model.Scope, g *Graph) *Node {
	wDec := f32Var(scope, varWDec, s.latents, s.dim).NodeValue(g) // [latents, dim]
	if s.freeDec {
		wDec = Div(wDec, InsertAxes(decoderNorms(wDec), -1))
	}
	return wDec
}

// kthLargest returns, per row, the k-th largest value of a non-negative v, or a value in
// [0, the row's smallest positive value] when fewer than k values are positive (so that
// v >= result and v > 0 keep exactly the positive values then). It bisects the float32 bit
// pattern, which orders non-negative floats, for the smallest t with fewer than k values > t:
// exact after 31 halvings. Counting uses Sign and Max rather than a comparison and a bool
// conversion (the pure-Go backend vectorises the former). A radix select trying 15 digits at
// once (8 rounds) was measured slower: 4.1 vs 2.0 ms for [256, 128] (the step is bound by
// element work, not by the number of ops). No gradient flows.
// v: [batch, n] float32, values >= 0; returns [batch, 1].
func kthLargest(v *Node, k int) *Node {
	return kthLargestN(v, Scalar(v.Graph(), dtypes.Float32, float64(k)))
}

// kthLargestN is kthLargest with k a float32 scalar node (a count known only in the graph).
func kthLargestN(v, kk *Node) *Node {
	v = StopGradient(v)
	g := v.Graph()
	vmax := ReduceAndKeep(v, ReduceMax, -1)           // [batch, 1]
	lo := ConvertDType(ZerosLike(vmax), dtypes.Int32) // [batch, 1]: bits of 0
	hi := AddScalar(Bitcast(vmax, dtypes.Int32), 1)   // [batch, 1]: count(v > hi) = 0 < k
	two := Scalar(g, dtypes.Int32, 2)
	for range bisectSteps {
		mid := Add(lo, Div(Sub(hi, lo), two))                                  // [batch, 1] int32
		above := Max(Sign(Sub(v, Bitcast(mid, dtypes.Float32))), ZerosLike(v)) // [batch, n]: 1 where v > mid
		few := LessThan(ReduceAndKeep(above, ReduceSum, -1), kk)               // [batch, 1]
		hi = Where(few, mid, hi)
		lo = Where(few, lo, mid)
	}
	return Bitcast(hi, dtypes.Float32)
}

// topK keeps, per row, the values >= the k-th largest that are positive, zeroing the rest.
// v: [batch, n], values >= 0; returns [batch, n]; the gradient flows to the kept values.
func topK(v *Node, k int) *Node {
	if k >= v.Shape().Dim(-1) {
		return v
	}
	return keepFrom(v, kthLargest(v, k))
}

// keepFrom keeps the positive values at or above the threshold, zeroing the rest.
// v: [batch, n], values >= 0; thr: [batch, 1] or [1, 1]; returns [batch, n].
func keepFrom(v, thr *Node) *Node {
	keep := LogicalAnd(GreaterOrEqual(v, thr), GreaterThan(v, ZerosLike(v))) // [batch, n]
	return Where(keep, v, ZerosLike(v))
}

// batchTopK keeps the k × (real rows) largest positive values of the whole batch (padding rows,
// rowW 0, keep none). v: [batch, n], values >= 0; rowW: [batch]; returns [batch, n]; the
// gradient flows to the kept values.
func batchTopK(v, rowW *Node, k int) *Node {
	b, n := v.Shape().Dim(0), v.Shape().Dim(1)
	vm := Mul(v, InsertAxes(rowW, -1))                         // [batch, n]
	kk := MulScalar(ReduceAllSum(rowW), float64(k))            // scalar
	thr := InsertAxes(kthLargestN(Reshape(vm, 1, b*n), kk), 0) // [1, 1]
	return keepFrom(vm, Reshape(thr, 1, 1))
}

// thresholdVar is BatchTopK's inference threshold variable ([1], in the stats scope).
func thresholdVar(scope *model.Scope) *model.Variable {
	return scope.Store().GetVariable(statsPath(varThresh))
}

// encode is the SAE's encoder on (normalised) inputs. xn: [batch, dim]; returns the
// pre-activations and the latents z = TopK(ReLU(pre)), both [batch, latents]. A BatchTopK SAE
// keeps, in training (rowW: [batch] real-row weights), the batch's k × rows largest; at
// inference (rowW nil) the values at or above its threshold (SAEConfig.Threshold). thr, when
// not nil ([batch, 1]: the host's thresholds, shape.hostKth), replaces the search for them;
// preIn, when not nil ([batch, latents], shape.preIn), is the pre-activations.
func encode(s shape, scope *model.Scope, xn, rowW, thr, preIn *Node) (pre, z *Node) {
	pre = preIn
	if pre == nil {
		pre = preActivations(s, scope, xn)
	}
	if thr != nil {
		r := relu(pre)
		if s.batchTopK {
			r = Mul(r, InsertAxes(rowW, -1))
		}
		return pre, keepFrom(r, thr)
	}
	if !s.batchTopK {
		return pre, topK(relu(pre), s.k)
	}
	r := relu(pre)
	if rowW != nil {
		return pre, batchTopK(r, rowW, s.k)
	}
	t := InsertAxes(thresholdVar(scope).NodeValue(xn.Graph()), 0) // [1, 1]
	keep := LogicalAnd(GreaterOrEqual(r, t), GreaterThan(r, ZerosLike(r)))
	return pre, Where(keep, r, ZerosLike(r))
}

// decode is W_dec z + b_pre. z: [batch, latents]; returns [batch, dim].
func decode(s shape, scope *model.Scope, z *Node) *Node {
	g := z.Graph()
	wDec := decoderRows(s, scope, g)                   // [latents, dim]
	bPre := f32Var(scope, varBPre, s.dim).NodeValue(g) // [dim]
	return nn.Dense(z, wDec, bPre, compute.DenseLayoutInputOutputs)
}

// prepare applies the input normalisation. x: [batch, dim]; returns [batch, dim].
func prepare(s shape, x *Node) *Node {
	if s.inputNorm {
		return layerNorm(x)
	}
	return x
}

// encodeGraph is the inference encoder. x: [batch, dim] raw states; returns z: [batch, latents].
func encodeGraph(s shape, scope *model.Scope, x *Node) *Node {
	_, z := encode(s, scope, prepare(s, x), nil, nil, nil)
	return z
}

// weightedSSE is Σ_b w_b ||a_b - t_b||² and the total variance Σ_b w_b ||t_b - mean_w(t)||².
// a, t: [batch, dim]; w: [batch]; returns two scalars.
func weightedSSE(a, t, w *Node) (sse, variance *Node) {
	wc := InsertAxes(w, -1)                                         // [batch, 1]
	n := Max(ReduceAllSum(w), ScalarOne(w.Graph(), dtypes.Float32)) // scalar
	mean := InsertAxes(Div(ReduceSum(Mul(t, wc), 0), n), 0)         // [1, dim]
	sse = ReduceAllSum(Mul(Square(Sub(a, t)), wc))                  // scalar
	variance = ReduceAllSum(Mul(Square(Sub(t, mean)), wc))          // scalar
	return sse, variance
}

// Indices of the step's statistics vector.
const (
	statLoss = iota
	statSSE
	statVar
	statL0Sum
	statDead
	statAux
	statPairs
	statSatisfied
	statDistSum
	statHinge
	statGradNorm
	statScale // the clip factor applied to every gradient
	statCorr1 // Adam's bias corrections 1 - β1^t and 1 - β2^t
	statCorr2
	numStats
)

// stepInputs are the inputs of one training step (in order).
//
//	x: [batch, dim] raw states; rowW: [batch] 1 for real rows, 0 for padding;
//	pa, pb: [batch] int32 row indices of the contrastive pairs; pw: [batch] 1 for real pairs;
//	lr, t (1-based step for Adam's bias correction), cw (contrast weight, 0 in the cold start):
//	float32 scalars;
//	with shape.hostKth: thr [batch, 1] the TopK thresholds (batchTopK: the batch's in every row)
//	and thrAux [batch, 1] AuxK's over the dead latents (unused without AuxK); with shape.preIn
//	then pre [batch, latents], preGraph's pre-activations.
const numStepInputs = 8

// preGraph is what the host needs to find the step's TopK thresholds (shape.hostKth): the
// pre-activations, computed by the same ops as in stepGraph (whose input they are with
// shape.preIn; the host counts only their positive values, those ReLU keeps), and the latents
// dead before the step (1 or 0). x: [batch, dim]; returns [batch, latents] and [latents].
func preGraph(s shape, cfg Config, scope *model.Scope, x *Node) (pre, dead *Node) {
	g := x.Graph()
	scope.SetTraining(g, true) // read the variables as parameters, as the step does
	pre = preActivations(s, scope.In(scopeSAE), prepare(s, x))
	since := scope.Store().GetVariable(statsPath(varSince)).NodeValue(g) // [latents]
	dead = ConvertDType(GreaterOrEqual(since, Scalar(g, dtypes.Float32, float64(cfg.DeadAfterLines))), dtypes.Float32)
	return pre, dead
}

// stepGraph is one AdamW step on the SAE's loss: normalised MSE + AuxKCoef · AuxK loss on dead
// latents + cw · contrastive hinge; gradients are clipped by global norm, and, unless the
// decoder's rows are free (shape.freeDec), the decoder's gradient loses its component along each
// (unit) decoder row and the rows are renormalised after the update. It also advances the
// dead-latent counter. Returns [numStats] float32 (statLoss...) and, with shape.hostAdam, the
// gradients of shape.hostAdamPaths (the update then left to the host: those variables and their
// moments are not touched).
func stepGraph(s shape, cfg Config, scope *model.Scope, in []*Node) []*Node {
	x, rowW, pa, pb, pw, lr, t, cw := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	var thr, thrAux, preIn *Node
	if s.hostKth {
		thr, thrAux = in[numStepInputs], in[numStepInputs+1]
	}
	if s.preIn {
		preIn = in[numStepInputs+2]
	}
	g := x.Graph()
	scope.SetTraining(g, true) // variables as parameters, never as baked-in constants
	store := scope.Store()
	sae := scope.In(scopeSAE)
	f32 := func(v float64) *Node { return Scalar(g, dtypes.Float32, v) }
	one := f32(1)

	xn := prepare(s, x)                            // [batch, dim]
	pre, z := encode(s, sae, xn, rowW, thr, preIn) // [batch, latents] x2
	xHat := decode(s, sae, z)                      // [batch, dim]
	sse, variance := weightedSSE(xHat, xn, rowW)
	nmse := Div(sse, Max(variance, f32(1e-12)))
	loss := nmse

	// Latent statistics and the dead-latent counter.
	wc := InsertAxes(rowW, -1)                                                    // [batch, 1]
	active := Mul(ConvertDType(GreaterThan(z, ZerosLike(z)), dtypes.Float32), wc) // [batch, latents]
	l0Sum := ReduceAllSum(active)
	fired := GreaterThan(ReduceMax(active, 0), f32(0)) // [latents]
	sinceVar := store.GetVariable(statsPath(varSince))
	since := sinceVar.NodeValue(g) // [latents]
	deadBefore := GreaterOrEqual(since, f32(float64(cfg.DeadAfterLines)))
	newSince := Where(fired, ZerosLike(since), Add(since, ReduceAllSum(rowW))) // [latents]
	sinceVar.SetNodeValue(newSince)
	numDead := ReduceAllSum(ConvertDType(GreaterOrEqual(newSince, f32(float64(cfg.DeadAfterLines))), dtypes.Float32))

	// AuxK: the largest pre-activations among dead latents reconstruct the residual.
	aux := f32(0)
	if s.auxK > 0 && cfg.AuxKCoef > 0 {
		deadMask := InsertAxes(ConvertDType(deadBefore, dtypes.Float32), 0) // [1, latents]
		deadPre := Mul(relu(pre), deadMask)                                 // [batch, latents]
		var zAux *Node
		if thrAux != nil {
			zAux = keepFrom(deadPre, thrAux)
		} else {
			zAux = topK(deadPre, min(s.auxK, s.latents))
		}
		wDec := decoderRows(s, sae, g)       // [latents, dim]
		resid := StopGradient(Sub(xn, xHat)) // [batch, dim]
		aSSE, aVar := weightedSSE(MatMul(zAux, wDec), resid, rowW)
		anyDead := ConvertDType(GreaterThan(ReduceAllSum(ConvertDType(deadBefore, dtypes.Float32)), f32(0)), dtypes.Float32)
		aux = Mul(anyDead, Div(aSSE, Max(aVar, f32(1e-12))))
		loss = Add(loss, MulScalar(aux, cfg.AuxKCoef))
	}

	// Contrastive hinge on L2-normalised latents of (original, mutated) rows. Without a
	// contrastive term in the run (ContrastWeight 0, cw 0 at every step), its statistics are
	// still reported but autodiff does not differentiate it: its gradient, 0 · dhinge, would add
	// exact zeros to the reconstruction's.
	zc := z
	if cfg.ContrastWeight == 0 && !contrastGradAlways {
		zc = StopGradient(z)
	}
	zn := Div(zc, Sqrt(AddScalar(ReduceAndKeep(Square(zc), ReduceSum, -1), zNormEps))) // [batch, latents]
	za := Gather(zn, InsertAxes(pa, -1))                                               // [batch, latents]
	zb := Gather(zn, InsertAxes(pb, -1))                                               // [batch, latents]
	dist := Sqrt(AddScalar(ReduceSum(Square(Sub(za, zb)), -1), zNormEps))              // [batch]
	margin := f32(cfg.Margin)
	hinge := Mul(relu(Sub(margin, dist)), pw) // [batch]
	nPairs := ReduceAllSum(pw)
	hingeSum := ReduceAllSum(hinge)
	if cfg.Contrast == ContrastSupCon {
		tau := cfg.ContrastTemperature
		if tau == 0 {
			tau = DefaultContrastTemperature
		}
		sc := supConLoss(zn, pa, pb, pw, tau)
		loss = Add(loss, Mul(cw, sc))
		hingeSum = Mul(sc, nPairs) // the metrics' per-pair "hinge" column then shows the SupCon loss
	} else {
		loss = Add(loss, Mul(cw, Div(hingeSum, Max(nPairs, one))))
	}
	satisfied := ReduceAllSum(Mul(ConvertDType(GreaterOrEqual(dist, margin), dtypes.Float32), pw))
	distSum := ReduceAllSum(Mul(dist, pw))

	// AdamW with global-norm clipping.
	paths := s.trainable()
	vars := make([]*model.Variable, len(paths))
	weights := make([]*Node, len(paths))
	for i, p := range paths {
		vars[i] = store.GetVariable(p)
		weights[i] = vars[i].NodeValue(g)
	}
	var grads []*Node
	if s.preIn {
		grads = preInGradients(s, loss, xn, preIn, paths, weights)
	} else {
		grads = Gradient(loss, weights...)
	}
	for i, p := range paths {
		if p == saePath(varWDec) && !s.freeDec { // keep the update tangent to the unit rows
			w := weights[i]
			grads[i] = Sub(grads[i], Mul(ReduceAndKeep(Mul(grads[i], w), ReduceSum, -1), w))
		}
	}
	sumSq := ReduceAllSum(Square(grads[0]))
	for _, gr := range grads[1:] {
		sumSq = Add(sumSq, ReduceAllSum(Square(gr)))
	}
	gradNorm := Sqrt(sumSq)
	scale := one
	if cfg.GradClip > 0 {
		scale = Min(one, Div(f32(cfg.GradClip), Add(gradNorm, f32(1e-6))))
	}
	corr1 := Sub(one, Pow(f32(adamB1), t))
	corr2 := Sub(one, Pow(f32(adamB2), t))
	var hostGrads []*Node
	for i, p := range paths {
		if s.isHostAdam(p) {
			hostGrads = append(hostGrads, grads[i])
			continue
		}
		gr := Mul(grads[i], scale)
		mVar, vVar := store.GetVariable(momentPath("m", p)), store.GetVariable(momentPath("v", p))
		m := Add(MulScalar(mVar.NodeValue(g), adamB1), MulScalar(gr, 1-adamB1))
		v := Add(MulScalar(vVar.NodeValue(g), adamB2), MulScalar(Square(gr), 1-adamB2))
		update := Div(Div(m, corr1), AddScalar(Sqrt(Div(v, corr2)), adamEps))
		w := weights[i]
		if cfg.WeightDecay > 0 && s.decays(p) {
			update = Add(update, MulScalar(w, cfg.WeightDecay))
		}
		nw := Sub(w, Mul(lr, update))
		if p == saePath(varWDec) && !s.freeDec {
			nw = unitRows(nw)
		}
		vars[i].SetNodeValue(nw)
		mVar.SetNodeValue(m)
		vVar.SetNodeValue(v)
	}
	stats := Stack([]*Node{loss, sse, variance, l0Sum, numDead, aux, nPairs, satisfied, distSum, hingeSum, gradNorm,
		scale, corr1, corr2}, 0)
	return append([]*Node{stats}, hostGrads...)
}

// contrastGradAlways, set by tests, makes autodiff differentiate the contrastive term even
// when the run has none.
var contrastGradAlways bool

// relu is max(x, 0) with +0 for non-positive inputs. x: any shape; returns the same shape.
func relu(x *Node) *Node { return Where(GreaterThan(x, ZerosLike(x)), x, ZerosLike(x)) }

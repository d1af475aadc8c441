package pretrain

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/support/envutil"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// The encoder product computed once per step. With the TopK thresholds found on the host
// (hostkth.go), preGraph already computes the pre-activations W_enc(x - b_pre) + b_enc; the step
// graph used to compute them again, one of its seven [batch, dim] × [dim, latents] products
// outside AuxK steps, only so that autodiff could differentiate them. The step graph now takes
// preGraph's output as an input and gets the encoder's gradients from the VJP of GoMLX's fused
// dense op, the op autodiff calls for nn.Dense, called directly with the same operands: the
// pre-activations' gradient from autodiff, the input x - b_pre, W_enc and b_enc. b_pre, used
// by the encoder and the decoder, sums its two gradients as autodiff does (two terms: the order
// cannot matter). A tied SAE (its encoder is W_dec, whose gradient then has three terms) and a
// graph built without fused ops keep the recomputation. Every weight is the same bytes
// (TestPreActivationsOnceTrainSameSAE).

// recomputePre, set by tests, makes the step graph recompute the pre-activations.
var recomputePre bool

// preInOn says whether the step graph takes the pre-activations from preGraph (shape.preIn):
// with the host TopK, untied, and GoMLX's fused dense op (and its VJP) in use.
func preInOn(s shape, backend compute.Backend) bool {
	if recomputePre || !s.hostKth || s.tied {
		return false
	}
	if fused, err := envutil.ReadBool(FusionEnv, true); err != nil || !fused {
		return false
	}
	return backend.Capabilities().Operations[compute.OpTypeFusedDenseVJP]
}

// preInGradients is Gradient(loss, weights...) for a step graph whose pre-activations are the
// input preIn. paths and weights are shape.trainable() and their nodes; xn: [batch, dim] the
// normalised input; preIn: [batch, latents]. Returns the gradients in paths' order.
//
// With free decoder rows (shape.freeDec) preIn is n · u, u the dense op's output and n the
// decoder rows' norms: u's cotangent is n · dPre, and n_j gets Σ_b dPre_bj u_bj, which reaches
// W_dec's row j as that times W_dec_j / n_j (the norm's gradient), beside what autodiff gives
// W_dec through the decoder. u is taken as preIn / n: not the dense op's bits, and the gradients
// are not those of the recomputing graph to the bit, only to rounding
// (TestPreActivationsOnceFreeDecoder).
func preInGradients(s shape, loss, xn, preIn *Node, paths []string, weights []*Node) []*Node {
	at := map[string]int{}
	var wrt []*Node
	var autoAt []int // the indices (in paths) of the variables autodiff differentiates
	for i, p := range paths {
		at[p] = i
		if p != saePath(varWEnc) && p != saePath(varBEnc) {
			wrt, autoAt = append(wrt, weights[i]), append(autoAt, i)
		}
	}
	auto := Gradient(loss, append(wrt, preIn)...)
	dPre := auto[len(auto)-1] // [batch, latents]
	grads := make([]*Node, len(paths))
	for k, i := range autoAt {
		grads[i] = auto[k]
	}
	bPre, wEnc, bEnc := weights[at[saePath(varBPre)]], weights[at[saePath(varWEnc)]], weights[at[saePath(varBEnc)]]
	xc := Sub(xn, InsertAxes(bPre, 0)) // [batch, dim]: as preActivations builds it
	u := preIn                         // [batch, latents]: the dense op's output
	if s.freeDec {
		dec := at[saePath(varWDec)]
		n := StopGradient(decoderNorms(weights[dec])) // [latents]
		u = Div(preIn, InsertAxes(n, 0))
		dN := ReduceSum(Mul(dPre, u), 0) // [latents]
		grads[dec] = Add(grads[dec], Mul(InsertAxes(Div(dN, n), -1), weights[dec]))
		dPre = Mul(dPre, InsertAxes(n, 0))
	}
	cfg := compute.DenseConfig{Activation: activation.TypeNone.ToBackend(), WeightLayout: compute.DenseLayoutInputOutputs}
	dXc, dWEnc, dBEnc := BackendFusedDenseVJP(xc, wEnc, bEnc, u, dPre, cfg)
	// b_pre's share through x - b_pre: the VJP of that Sub for the cotangent dXc.
	dBPreEnc := Gradient(ReduceAllSum(Mul(xc, StopGradient(dXc))), bPre)[0] // [dim]
	grads[at[saePath(varWEnc)]] = dWEnc
	grads[at[saePath(varBEnc)]] = dBEnc
	grads[at[saePath(varBPre)]] = Add(grads[at[saePath(varBPre)]], dBPreEnc)
	return grads
}

package train

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/pttrust/pttrust/models"
)

// optimPrefix is the store scope of AdamW's moment estimates: /optim/m/<param path>, /optim/v/...
const optimPrefix = "/optim"

func momentPath(kind string, p models.Param) string { return optimPrefix + "/" + kind + p.Path() }

// crossEntropy is the mean next-token loss.
// logits: [batch, seq, vocab]; targets: [batch, seq] int32; returns a scalar.
func crossEntropy(logits, targets *Node, vocab int) *Node {
	mx := StopGradient(ReduceAndKeep(logits, ReduceMax, -1))                     // [batch, seq, 1]
	lse := Add(Log(ReduceSum(Exp(Sub(logits, mx)), -1)), Squeeze(mx, -1))        // [batch, seq]
	picked := ReduceSum(Mul(logits, OneHot(targets, vocab, logits.DType())), -1) // [batch, seq]
	return ReduceAllMean(Sub(lse, picked))
}

// lossGraph computes the next-token loss of windows [batch, seqLen+1].
func lossGraph(cfg *models.Config, scope *model.Scope, windows *Node) *Node {
	seq := windows.Shape().Dim(1) - 1
	x := Slice(windows, AxisRange(), AxisRange(0, seq))
	y := Slice(windows, AxisRange(), AxisRange(1, seq+1))
	return crossEntropy(models.BuildLogits(cfg, scope, x), y, cfg.VocabSize)
}

// stepGraph is one AdamW step. windows: [batch, seqLen+1] int32; lr and t (1-based step count
// for bias correction) are float32 scalars. Returns the loss before the update and the global
// gradient norm before clipping.
func stepGraph(mcfg *models.Config, tc Config, params []models.Param, scope *model.Scope, windows, lr, t *Node) (loss, gradNorm *Node) {
	g := windows.Graph()
	scope.SetTraining(g, true) // variables as parameters, never as baked-in constants
	store := scope.Store()
	loss = lossGraph(mcfg, scope, windows)

	weights := make([]*Node, len(params))
	vars := make([]*model.Variable, len(params))
	for i, p := range params {
		vars[i] = store.GetVariable(p.Path())
		weights[i] = vars[i].NodeValue(g)
	}
	grads := Gradient(loss, weights...)

	sumSq := ReduceAllSum(Square(grads[0]))
	for _, gr := range grads[1:] {
		sumSq = Add(sumSq, ReduceAllSum(Square(gr)))
	}
	gradNorm = Sqrt(sumSq)
	scale := Const(g, float32(1))
	if tc.GradClip > 0 {
		scale = Min(scale, Div(Const(g, float32(tc.GradClip)), Add(gradNorm, Const(g, float32(1e-6)))))
	}
	b1, b2 := Const(g, float32(tc.Beta1)), Const(g, float32(tc.Beta2))
	one := Const(g, float32(1))
	corr1 := Sub(one, Pow(b1, t)) // 1 - beta1^t
	corr2 := Sub(one, Pow(b2, t))
	for i, p := range params {
		gr := Mul(grads[i], scale)
		mVar, vVar := store.GetVariable(momentPath("m", p)), store.GetVariable(momentPath("v", p))
		m := Add(MulScalar(mVar.NodeValue(g), tc.Beta1), MulScalar(gr, 1-tc.Beta1))
		v := Add(MulScalar(vVar.NodeValue(g), tc.Beta2), MulScalar(Square(gr), 1-tc.Beta2))
		update := Div(Div(m, corr1), AddScalar(Sqrt(Div(v, corr2)), tc.Eps))
		w := weights[i]
		if tc.WeightDecay > 0 && !p.NoDecay {
			update = Add(update, MulScalar(w, tc.WeightDecay))
		}
		vars[i].SetNodeValue(Sub(w, Mul(lr, update)))
		mVar.SetNodeValue(m)
		vVar.SetNodeValue(v)
	}
	return loss, gradNorm
}

package pretrain

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Contrast values: the contrastive term of stage 1.
const (
	// ContrastHinge is the paper's: max(0, margin − ‖ẑ_orig − ẑ_mut‖) per pair.
	ContrastHinge = "hinge"
	// ContrastSupCon is a supervised-contrastive loss (Khosla et al. 2020) over the batch's
	// lines labelled original (a pair's first line) or mutated (its second): each labelled line
	// is pulled toward the lines of its own label and pushed from the others, on L2-normalised
	// latents with temperature ContrastTemperature. Unlike the hinge it has no margin to miss.
	ContrastSupCon = "supcon"
)

// DefaultContrastTemperature is the SupCon temperature used when ContrastTemperature is 0.
const DefaultContrastTemperature = 0.1

// supConLoss is the mean SupCon loss over the batch's labelled lines that have at least one
// other line of their label. zn: [batch, latents] L2-normalised latents; pa, pb: [batch] int32
// pair row indices (original, mutated); pw: [batch] 1 for real pairs. Returns a scalar.
func supConLoss(zn, pa, pb, pw *Node, temperature float64) *Node {
	g := zn.Graph()
	b := zn.Shape().Dim(0)
	f32 := func(v float64) *Node { return Scalar(g, dtypes.Float32, v) }
	// Labels: a row is original when it is some real pair's first row, mutated when it is the
	// second. pwc: [pairs, 1] weights the one-hot rows of padding pairs to 0.
	pwc := InsertAxes(pw, -1)
	orig := MinScalar(ReduceSum(Mul(OneHot(pa, b, dtypes.Float32), pwc), 0), 1) // [batch]
	mut := MinScalar(ReduceSum(Mul(OneHot(pb, b, dtypes.Float32), pwc), 0), 1)  // [batch]
	// outer(u, v)[i, j] = u_i v_j, off the diagonal. u, v: [batch]; returns [batch, batch].
	notSelf := OneMinus(ConvertDType(Diagonal(g, b), dtypes.Float32))
	outer := func(u, v *Node) *Node { return Mul(Mul(InsertAxes(u, -1), InsertAxes(v, 0)), notSelf) }
	labelled := Add(orig, mut)                                     // [batch], 0 or 1
	others := outer(labelled, labelled)                            // [batch, batch]: the other labelled lines
	same := Add(outer(orig, orig), outer(mut, mut))                // [batch, batch]: those of the same label
	sim := DivScalar(MatMul(zn, Transpose(zn, 0, 1)), temperature) // [batch, batch]
	// log Σ_{a ≠ i, labelled} exp(sim_ia), stabilised by the row's largest similarity.
	m := StopGradient(ReduceAndKeep(sim, ReduceMax, -1))               // [batch, 1]
	den := ReduceAndKeep(Mul(Exp(Sub(sim, m)), others), ReduceSum, -1) // [batch, 1]
	logDen := Add(Log(Max(den, f32(1e-30))), m)                        // [batch, 1]
	nPos := ReduceSum(same, -1)                                        // [batch]
	posLogProb := ReduceSum(Mul(Sub(sim, logDen), same), -1)           // [batch]
	anchor := ConvertDType(GreaterThan(nPos, f32(0)), dtypes.Float32)  // [batch]
	perAnchor := Neg(Div(posLogProb, Max(nPos, f32(1))))               // [batch]
	return Div(ReduceAllSum(Mul(perAnchor, anchor)), Max(ReduceAllSum(anchor), f32(1)))
}

package pretrain

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/pttrust/pttrust/internal/matrix"
)

// initVariables creates the SAE's variables with a deterministic initialisation (decoder rows:
// Gaussian directions of unit norm from Seed, of norm DecoderInitNorm when free; encoder: the
// decoder's transpose, times EncoderInitScale when set; biases: 0), the dead-latent counter and
// the Adam moments.
func (t *trainer) initVariables() error {
	d, l := t.s.dim, t.s.latents
	rng := rand.New(rand.NewPCG(t.cfg.Seed, 0x5AE))
	wDec := make([]float32, l*d)
	norm := 1.0 // each decoder row's initial norm
	if t.s.freeDec {
		norm = t.cfg.decoderInitNorm()
	}
	for j := range l {
		row := wDec[j*d : (j+1)*d]
		var n float64
		for i := range row {
			v := rng.NormFloat64()
			row[i] = float32(v)
			n += v * v
		}
		inv := float32(norm / math.Sqrt(n))
		for i := range row {
			row[i] *= inv
		}
	}
	t.store = model.NewStore()
	vals := map[string]*tensors.Tensor{
		saePath(varWDec): tensors.FromFlatDataAndDimensions(wDec, l, d),
		saePath(varBEnc): tensors.FromShape(shapes.Make(dtypes.Float32, l)),
		saePath(varBPre): tensors.FromShape(shapes.Make(dtypes.Float32, d)),
	}
	if !t.s.tied {
		wEnc := matrix.Transpose(wDec, l, d)
		if s := float32(t.cfg.EncoderInitScale); s != 0 && s != 1 {
			for i := range wEnc {
				wEnc[i] *= s
			}
		}
		vals[saePath(varWEnc)] = tensors.FromFlatDataAndDimensions(wEnc, d, l)
	}
	for _, p := range t.s.trainable() {
		if _, err := t.store.CreateVariable(p, vals[p]); err != nil {
			return err
		}
		for _, kind := range []string{"m", "v"} {
			v, err := t.store.CreateVariable(momentPath(kind, p), tensors.FromShape(vals[p].Shape()))
			if err != nil {
				return err
			}
			v.SetTrainable(false)
		}
	}
	v, err := t.store.CreateVariable(statsPath(varSince), tensors.FromShape(shapes.Make(dtypes.Float32, l)))
	if err != nil {
		return err
	}
	v.SetTrainable(false)
	return nil
}

package pretrain

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// EncodeOn encodes xs with the SAE's graph encoder on a GoMLX backend (the graph training
// uses); it returns what Encode returns, up to float rounding.
func (s *SAE) EncodeOn(backend compute.Backend, xs [][]float32) ([][]float32, error) {
	if len(xs) == 0 {
		return nil, nil
	}
	d, l := s.Config.DIn, s.Config.DSAE
	sh := shape{dim: d, latents: l, k: s.Config.K, inputNorm: s.Config.Normalization == NormLayerNorm,
		batchTopK: s.Config.Architecture == ActivationBatchTopK}
	store := model.NewStore()
	vars := []struct {
		path string
		data []float32
		dims []int
	}{{saePath(varWEnc), s.WEnc, []int{d, l}}, {saePath(varBEnc), s.BEnc, []int{l}},
		{saePath(varWDec), s.WDec, []int{l, d}}, {saePath(varBPre), s.BDec, []int{d}}}
	if sh.batchTopK {
		vars = append(vars, struct {
			path string
			data []float32
			dims []int
		}{statsPath(varThresh), []float32{s.Config.Threshold}, []int{1}})
	}
	for _, v := range vars {
		if _, err := store.CreateVariable(v.path, tensors.FromFlatDataAndDimensions(v.data, v.dims...)); err != nil {
			return nil, err
		}
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return encodeGraph(sh, scope.In(scopeSAE), x) // [batch, latents]
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	flat := make([]float32, 0, len(xs)*d)
	for i, x := range xs {
		if len(x) != d {
			return nil, fmt.Errorf("pretrain: vector %d has %d values, want %d", i, len(x), d)
		}
		flat = append(flat, x...)
	}
	outs, err := exec.Call(tensors.FromFlatDataAndDimensions(flat, len(xs), d))
	if err != nil {
		return nil, err
	}
	z, err := tensors.CopyFlatData[float32](outs[0])
	if err != nil {
		return nil, err
	}
	res := make([][]float32, len(xs))
	for i := range res {
		res[i] = z[i*l : (i+1)*l]
	}
	return res, nil
}

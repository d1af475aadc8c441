package pretrain

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/pttrust/pttrust/models"
)

// AdamW on the host for the SAE's weight matrices. On the pure-Go backend every element-wise op
// of a graph is one single-threaded pass over its operands, so the step graph's update of a
// [dim, latents] matrix (scale by the clip factor, the two moments, the bias-corrected ratio,
// weight decay, the step: 18 passes, 25 with the decoder's tangent projection and row norms) was
// a large share of the step. The step graph instead returns the matrices' gradients (after the
// tangent projection) with the clip factor and bias corrections, and the host applies the same
// float32 operations in the same order to each element in one pass split over the cores; the
// decoder's rows are then renormalised by a small graph (unitRows: its row sums are the graph's,
// bit for bit). The bias vectors keep their update in the step graph. Every weight, moment and
// metric is the same bytes as the graph's update (TestHostAdamTrainsSameSAE).

// inGraphAdam, set by tests, keeps the whole AdamW update in the step graph on the pure-Go
// backend, as other backends do.
var inGraphAdam bool

// hostAdamOn says whether the SAE's weight matrices are updated on the host: on the pure-Go
// backend, where the graph's element-wise passes are single-threaded; an accelerator keeps the
// update in the graph rather than copy the gradients out.
func hostAdamOn(backend compute.Backend) bool {
	return !inGraphAdam && models.IsPureGo(backend)
}

// hostAdamPaths lists the variables updated on the host (shape.hostAdam): the weight matrices.
func (s shape) hostAdamPaths() []string {
	if s.tied {
		return []string{saePath(varWDec)}
	}
	return []string{saePath(varWEnc), saePath(varWDec)}
}

// isHostAdam says whether p is updated on the host under shape s.
func (s shape) isHostAdam(p string) bool {
	return s.hostAdam && slices.Contains(s.hostAdamPaths(), p)
}

// unitRows divides each row by its L2 norm (+1e-12 under the root). x: [rows, cols]; returns
// the same shape.
func unitRows(x *graph.Node) *graph.Node {
	return graph.Div(x, graph.Sqrt(graph.AddScalar(graph.ReduceAndKeep(graph.Square(x), graph.ReduceSum, -1), 1e-12)))
}

// hostAdam holds what the host update needs: per matrix, its variable's value (a tensor whose
// memory the backend shares, so the graphs read what the host wrote without a copy), its
// moments (host tensors no graph reads) and whether it decays.
type hostAdam struct {
	backend compute.Backend
	paths   []string
	w       []*tensors.Tensor
	m, v    []*tensors.Tensor
	decays  []bool
	unit    *graph.Exec // unitRows, for the decoder after its update
	freeDec bool        // the decoder's rows are free (shape.freeDec): not renormalised
	wd      float32
}

// newHostAdam moves the weight matrices of t's store into shared tensors and compiles the
// decoder's renormalisation.
func newHostAdam(t *trainer) (*hostAdam, error) {
	h := &hostAdam{backend: t.backend, paths: t.s.hostAdamPaths(), wd: float32(t.cfg.WeightDecay), freeDec: t.s.freeDec}
	for _, p := range h.paths {
		data, err := t.values(p)
		if err != nil {
			return nil, err
		}
		v := t.store.GetVariable(p)
		shared, err := tensors.FromShapeForBackend(t.backend, 0, v.Shape())
		if err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
		if err := tensors.MutableFlatData(shared, func(f []float32) { copy(f, data) }); err != nil {
			return nil, err
		}
		if err := v.SetValue(shared); err != nil {
			return nil, err
		}
		mv := make([]*tensors.Tensor, 2)
		for i, kind := range []string{"m", "v"} {
			if mv[i], err = t.store.GetVariable(momentPath(kind, p)).Value(); err != nil {
				return nil, err
			}
		}
		h.w, h.m, h.v = append(h.w, shared), append(h.m, mv[0]), append(h.v, mv[1])
		h.decays = append(h.decays, t.cfg.WeightDecay > 0 && t.s.decays(p))
	}
	var err error
	h.unit, err = graph.NewExec(t.backend, unitRows)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	return h, nil
}

// step updates every matrix from its gradient grads[i] (an output of the step graph) with the
// step's clip factor, bias corrections and learning rate (stats of the same step).
func (h *hostAdam) step(grads []*tensors.Tensor, scale, corr1, corr2, lr float32) error {
	for i, p := range h.paths {
		g, err := outputFloats(h.backend, grads[i])
		if err != nil {
			return err
		}
		var errV, errW error
		errM := tensors.MutableFlatData(h.m[i], func(m []float32) {
			errV = tensors.MutableFlatData(h.v[i], func(v []float32) {
				errW = tensors.MutableFlatData(h.w[i], func(w []float32) {
					adamW(w, g, m, v, adamScalars{scale, corr1, corr2, lr, h.wd, h.decays[i]})
				})
			})
		})
		if err := errors.Join(errM, errV, errW); err != nil {
			return fmt.Errorf("pretrain: %s: %w", p, err)
		}
		if p == saePath(varWDec) && !h.freeDec {
			if err := h.renorm(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// renorm replaces matrix i by unitRows of it.
func (h *hostAdam) renorm(i int) error {
	outs, err := h.unit.Call(h.w[i])
	if err != nil {
		return fmt.Errorf("pretrain: decoder rows: %w", err)
	}
	defer outs[0].FinalizeAll()
	u, err := outputFloats(h.backend, outs[0])
	if err != nil {
		return err
	}
	return tensors.MutableFlatData(h.w[i], func(w []float32) { copy(w, u) })
}

// outputFloats is the memory of a float32 graph output, read in place (the pure-Go backend's
// buffers are Go memory: no copy to the host); valid until the tensor is finalized. The host
// TopK and the host AdamW read the graphs' outputs through it.
func outputFloats(backend compute.Backend, t *tensors.Tensor) ([]float32, error) {
	buf, err := t.Buffer(backend, 0)
	if err != nil {
		return nil, err
	}
	data, err := buf.Data()
	if err != nil {
		return nil, err
	}
	f, ok := data.([]float32)
	if !ok {
		return nil, fmt.Errorf("pretrain: a %T graph output where float32 was expected", data)
	}
	return f, nil
}

func (h *hostAdam) finalize() {
	if h != nil && h.unit != nil {
		h.unit.Finalize()
	}
}

// adamScalars are one step's scalars: clip factor, bias corrections 1-β1^t and 1-β2^t,
// learning rate, weight decay and whether this matrix decays.
type adamScalars struct {
	scale, corr1, corr2, lr, wd float32
	decays                      bool
}

// adamW is stepGraph's AdamW update of one matrix, element by element, split over the cores:
// the same float32 operations in the same order (adamWRange: SIMD where the build has it).
func adamW(w, g, m, v []float32, s adamScalars) {
	n := len(w)
	parts := min(runtime.GOMAXPROCS(0), max(1, n/(1<<16)))
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			lo, hi := p*n/parts, (p+1)*n/parts
			adamWRange(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], s)
		})
	}
	wg.Wait()
}

// Adam's constants as the graph's float32 scalars.
const (
	adamB1f, adamB2f, adamEpsf = float32(adamB1), float32(adamB2), float32(adamEps)
	adamC1f, adamC2f           = float32(1 - adamB1), float32(1 - adamB2)
)

// adamWScalar is adamW one element at a time (each product converted to float32, so that none
// is fused into a multiply-add).
func adamWScalar(w, g, m, v []float32, s adamScalars) {
	for j := range w {
		gr := float32(g[j] * s.scale)
		mj := float32(m[j]*adamB1f) + float32(gr*adamC1f)
		vj := float32(v[j]*adamB2f) + float32(float32(gr*gr)*adamC2f)
		u := (mj / s.corr1) / (float32(math.Sqrt(float64(vj/s.corr2))) + adamEpsf)
		if s.decays {
			u += float32(w[j] * s.wd)
		}
		m[j], v[j] = mj, vj
		w[j] -= float32(s.lr * u)
	}
}

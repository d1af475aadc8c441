package finetune

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// bindingScope is the store scope of the MLP's variables: /binding/layer_<l>/{weights,biases}.
const bindingScope = "binding"

// mlp is the binding network as plain Go slices: layer l maps dims[l] inputs to dims[l+1]
// outputs, W[l] row-major [out][in] (torch Linear layout), B[l] [out]; ReLU between layers, no
// activation on the single output.
type mlp struct {
	dims []int
	W    [][]float32
	B    [][]float32
}

// layerDims returns [inputDim, hidden, ..., hidden, 1] for cfg.Layers linear layers.
func layerDims(inputDim int, cfg Config) []int {
	dims := []int{inputDim}
	for range cfg.Layers - 1 {
		dims = append(dims, cfg.Hidden)
	}
	return append(dims, 1)
}

// newMLP initialises the weights deterministically from seed: hidden layers ~ N(0, 2/fan_in)
// (He, for ReLU), the output layer ~ N(0, 1/fan_in); biases 0.
func newMLP(dims []int, seed uint64) *mlp {
	rng := rand.New(rand.NewPCG(seed, 0x62696e64696e67)) // "binding"
	m := &mlp{dims: dims}
	for l := range len(dims) - 1 {
		in, out := dims[l], dims[l+1]
		std := math.Sqrt(2 / float64(in))
		if l == len(dims)-2 {
			std = math.Sqrt(1 / float64(in))
		}
		w := make([]float32, out*in)
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		m.W = append(m.W, w)
		m.B = append(m.B, make([]float32, out))
	}
	return m
}

func weightPath(l int) string { return fmt.Sprintf("/%s/layer_%d/weights", bindingScope, l) }
func biasPath(l int) string   { return fmt.Sprintf("/%s/layer_%d/biases", bindingScope, l) }

// forward scores one (already standardised) feature vector; accumulation in float64.
func (m *mlp) forward(x []float32, buf [2][]float64) float64 {
	cur := buf[0][:len(x)]
	for i, v := range x {
		cur[i] = float64(v)
	}
	next := buf[1]
	for l := range len(m.dims) - 1 {
		in, out := m.dims[l], m.dims[l+1]
		nx := next[:out]
		for o := range out {
			row := m.W[l][o*in : (o+1)*in]
			s := float64(m.B[l][o])
			for i, w := range row {
				s += float64(w) * cur[i]
			}
			if l < len(m.dims)-2 && s < 0 {
				s = 0
			}
			nx[o] = s
		}
		cur, next = nx, cur[:cap(cur)]
	}
	return cur[0]
}

// buffers returns scratch space for forward.
func (m *mlp) buffers() [2][]float64 {
	w := 0
	for _, d := range m.dims {
		w = max(w, d)
	}
	return [2][]float64{make([]float64, w), make([]float64, w)}
}

// mlpGraph is the binding MLP as a graph, reading its weights from scope's variables
// (scope.In("layer_%d"), "weights" [out, in] and "biases" [out]).
// x: [..., inputDim]; returns the scores [...].
func mlpGraph(scope *model.Scope, x *Node, dims []int) *Node {
	g := x.Graph()
	h := x
	for l := range len(dims) - 1 {
		in, out := dims[l], dims[l+1]
		ls := scope.In("layer_%d", l)
		w := ls.VariableWithShape("weights", shapes.Make(dtypes.Float32, out, in)).NodeValue(g) // [out, in]
		b := ls.VariableWithShape("biases", shapes.Make(dtypes.Float32, out)).NodeValue(g)      // [out]
		h = nn.Dense(h, w, b, compute.DenseLayoutOutputsInput)                                  // [..., out]
		if l < len(dims)-2 {
			h = relu(h)
		}
	}
	return Squeeze(h, -1) // [...]
}

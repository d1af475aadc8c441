package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/nn"
	"github.com/stretchr/testify/require"
)

// TestIOWeightsSameBits: on the pure-Go backend a Dense product with the [in, out] copy of a
// weight gives the bits of the [out, in] weight at and above ioMinFlops multiply-adds (odd
// widths, a 49 152-wide output projection, the smallest packed product); and whole passes of
// random Llama-, Qwen2- and StarCoder2-shaped models (fused q|k|v, MLPs, tied and separate
// output projections) give the same bits with the copies as without, at sequence lengths whose
// products fall on both sides of the threshold. If GoMLX moves its small-product threshold up,
// the products just above ioMinFlops take layout-specific kernels and this test fails.
func TestIOWeightsSameBits(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	if !IsPureGo(backend) {
		t.Skip("the [in, out] copies serve the pure-Go backend only")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	torch := MustNewExec(backend, func(x, w, b *Node) *Node { return nn.Dense(x, w, b, compute.DenseLayoutOutputsInput) })
	io := MustNewExec(backend, func(x, w, b *Node) *Node { return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs) })
	for _, s := range [][3]int{{64, 256, 256}, {65, 256, 256}, {8, 600, 1000}, {7, 600, 1000}, {37, 256, 768}, {129, 500, 1000}, {300, 333, 77}, {512, 576, 1536}, {512, 1536, 576}, {16, 576, 49152}} {
		rows, in, out := s[0], s[1], s[2]
		require.GreaterOrEqual(t, rows*in*out, ioMinFlops, "%v", s)
		x := tensors.FromFlatDataAndDimensions(randn(rows*in), rows, in)
		w := tensors.FromFlatDataAndDimensions(randn(out*in), out, in)
		b := tensors.FromFlatDataAndDimensions(randn(out), out)
		wIO, err := transposed(w)
		require.NoError(t, err)
		want := tensors.MustCopyFlatData[float32](torch.MustCall(x, w, b)[0])
		got := tensors.MustCopyFlatData[float32](io.MustCall(x, wIO, b)[0])
		requireSameBits(t, fmt.Sprintf("dense %v, [out, in] weights (want) vs [in, out] copies", s), want, got)
	}

	tied := tinyBenchConfig()
	qwen := tinyBenchConfig()
	qwen.ModelType, qwen.QKVBias, qwen.NumKVHeads = "qwen2", true, 2
	star := &Config{ModelType: "starcoder2", Family: FamilyGPT2, VocabSize: 4096, DModel: 192, NumLayers: 3,
		NumHeads: 6, NumKVHeads: 2, HeadDim: 32, DMLP: 768, MaxPositions: 1024, NormEps: 1e-5,
		Activation: "gelu_pytorch_tanh", Rotary: true, RopeTheta: 10000, QKVBias: true, OutBias: true, MLPBias: true}
	for _, cfg := range []*Config{tied, qwen, star} {
		require.NoError(t, cfg.Validate())
		m, err := NewRandom(cfg, backend, 11)
		require.NoError(t, err)
		L := cfg.NumLayers
		hooks := []string{ResidPost(0), ResidPost(L - 1), HookFinalNorm, HookLogits, HookTokenLogProb, HookTokenEntropy}
		for _, shape := range [][2]int{{1, 9}, {2, 40}, {3, 130}} {
			batch, seq := shape[0], shape[1]
			ids := make([][]int32, batch)
			for i := range ids {
				for range seq {
					ids[i] = append(ids[i], int32(rng.IntN(cfg.VocabSize)))
				}
			}
			run := func(on bool) map[string]*Array {
				useIOWeights = on
				defer func() { useIOWeights = true }()
				m.ResetCompiled()
				out, err := m.Run(ids, Request{Hooks: hooks})
				require.NoError(t, err)
				return out
			}
			want, got := run(false), run(true)
			require.NotNil(t, m.Store.GetVariable(fusedQKVPath(L-1)), "no fused copy")
			for _, h := range hooks {
				requireSameBits(t, fmt.Sprintf("%s %dx%d %s, [out, in] weights (want) vs [in, out] copies", cfg.ModelType, batch, seq, h), want[h].Data, got[h].Data)
			}
		}
	}
}

// requireSameBits requires got to hold want's float32 bit patterns (any NaN matching any NaN);
// what names the compared values and the two ways they were computed.
func requireSameBits(t *testing.T, what string, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(math.IsNaN(float64(want[i])) && math.IsNaN(float64(got[i]))) {
			t.Fatalf("%s: element %d: want %v, got %v", what, i, want[i], got[i])
		}
	}
}

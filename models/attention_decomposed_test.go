package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/stretchr/testify/require"
)

// TestDecomposedAttentionMatchesCore: decomposedAttention gives GoMLX's decomposed
// attention.Core (BSHD, boolean mask) output and probabilities bit for bit: grouped-query and
// plain heads, causal and sliding-window masks, the tiny code LM's and SmolLM2's head shapes,
// sequences that do and do not fill the matmul's row tiles, products on both sides of the
// backend's small-matmul threshold. (Passing the values transposed to [batch, kvHeads, seq,
// headDim], as a first version did, changed the output of 9 heads at 37 positions.)
func TestDecomposedAttentionMatchesCore(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	for _, tc := range []struct{ batch, heads, kvHeads, hd, window, seq int }{
		{2, 4, 4, 8, 0, 11}, {2, 6, 2, 8, 0, 11}, {2, 6, 3, 8, 5, 11}, {3, 9, 3, 32, 0, 37}, {3, 9, 9, 32, 0, 37},
		{3, 9, 3, 32, 0, 64}, {1, 8, 4, 32, 0, 129}, {2, 8, 4, 32, 0, 300}, {1, 9, 3, 64, 0, 512}, {1, 9, 3, 64, 100, 203},
	} {
		t.Run(fmt.Sprintf("b%d_h%d_kv%d_hd%d_w%d_s%d", tc.batch, tc.heads, tc.kvHeads, tc.hd, tc.window, tc.seq), func(t *testing.T) {
			batch, seq, hd := tc.batch, tc.seq, tc.hd
			rng := rand.New(rand.NewPCG(5, uint64(tc.heads*10+tc.window+seq)))
			q, k, v := randomQKV(rng, batch, seq, tc.heads, tc.kvHeads, hd)
			scale := 1 / math.Sqrt(float64(hd))
			outs, err := ExecOnceN(backend, func(q, k, v *Node) []*Node {
				var mask *Node
				if tc.window > 0 {
					mask = slidingWindowMask(q.Graph(), seq, tc.window)
				}
				o, p := decomposedAttention(q, k, v, mask, scale)
				opts := attention.CoreOptions{Scale: scale, WantCoefficients: true, AttentionMask: mask, UseCausalMask: mask == nil}
				ro, rp := attention.Core(q, k, v, attention.LayoutBSHD, opts)
				return []*Node{o, ro, p, rp}
			}, q, k, v)
			require.NoError(t, err)
			flat := func(i int) []float32 { return tensors.MustCopyFlatData[float32](outs[i]) }
			requireSameBits(t, "output, attention.Core (want) vs decomposed", flat(1), flat(0))
			requireSameBits(t, "probabilities, attention.Core (want) vs decomposed", flat(3), flat(2))
		})
	}
}

// randomQKV makes queries [batch, seq, heads, hd] and keys and values [batch, seq, kvHeads, hd]
// of Gaussian values with standard deviation 2.
func randomQKV(rng *rand.Rand, batch, seq, heads, kvHeads, hd int) (q, k, v *tensors.Tensor) {
	rnd := func(h int) *tensors.Tensor {
		x := make([]float32, batch*seq*h*hd)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 2
		}
		return tensors.FromFlatDataAndDimensions(x, batch, seq, h, hd)
	}
	return rnd(heads), rnd(kvHeads), rnd(kvHeads)
}

// TestHandAttentionPassSameBits: whole inference passes of random Llama- and StarCoder2-shaped
// models (grouped heads, a sliding window) give the same bits with decomposedAttention as with
// attention.Core: residual states, the attention pattern, the lookback mass and the token
// statistics.
func TestHandAttentionPassSameBits(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	if !IsPureGo(backend) {
		t.Skip("decomposedAttention serves the pure-Go backend only")
	}
	llama := tinyBenchConfig()
	star := &Config{ModelType: "starcoder2", Family: FamilyGPT2, VocabSize: 2048, DModel: 192, NumLayers: 2,
		NumHeads: 6, NumKVHeads: 2, HeadDim: 32, DMLP: 768, MaxPositions: 1024, NormEps: 1e-5,
		Activation: "gelu_pytorch_tanh", Rotary: true, RopeTheta: 10000, QKVBias: true, OutBias: true, MLPBias: true,
		SlidingWindow: 50}
	rng := rand.New(rand.NewPCG(8, 9))
	for _, cfg := range []*Config{llama, star} {
		require.NoError(t, cfg.Validate())
		m, err := NewRandom(cfg, backend, 5)
		require.NoError(t, err)
		L := cfg.NumLayers
		hooks := []string{ResidPost(0), ResidPost(L - 1), AttnPattern(1), AttnLookback(1), HookTokenLogProb, HookTokenEntropy}
		for _, shape := range [][2]int{{1, 13}, {2, 90}} {
			batch, seq := shape[0], shape[1]
			ids, start := make([][]int32, batch), make([][]int32, batch)
			for i := range ids {
				for j := range seq {
					ids[i] = append(ids[i], int32(rng.IntN(cfg.VocabSize)))
					start[i] = append(start[i], int32(j/7*7))
				}
			}
			run := func(on bool) map[string]*Array {
				useHandAttention = on
				defer func() { useHandAttention = true }()
				m.ResetCompiled()
				out, err := m.Run(ids, Request{Hooks: hooks, LookbackStart: start})
				require.NoError(t, err)
				return out
			}
			want, got := run(false), run(true)
			for _, h := range hooks {
				requireSameBits(t, fmt.Sprintf("%s %dx%d %s, attention.Core pass (want) vs hand-decomposed", cfg.ModelType, batch, seq, h), want[h].Data, got[h].Data)
			}
		}
	}
}

package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/stretchr/testify/require"
)

// TestBlockedCausalSameBits: decomposedAttention's causal case gives the same output and
// probabilities, bit for bit, computed a query block at a time
// (blockedCausalAttention) as over the whole [seq, seq] scores: SmolLM2's and the tiny code LM's
// head shapes, blocks of 64, 128 and 256, sequences of whole blocks and ragged ones (a remainder
// under half a block merged into the last: 300 over 128 is two blocks, over 256 one, not
// blocked), and shapes whose blocks' products would take the small-matmul kernel (then not
// blocked: with them, the cases of 64 would differ in the last bit).
func TestBlockedCausalSameBits(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	for _, tc := range []struct {
		batch, heads, kvHeads, hd, seq, block int
		blocked                               bool // whether blockedCausal lets the blocks run
	}{
		{2, 9, 3, 64, 400, 256, true}, {2, 9, 3, 64, 300, 256, false}, {1, 9, 3, 64, 512, 256, true}, {2, 9, 3, 64, 1009, 256, true},
		{2, 8, 4, 32, 700, 256, true}, {1, 9, 3, 64, 257, 256, false}, {2, 4, 4, 32, 200, 64, false},
		{3, 8, 4, 32, 129, 64, false}, {1, 9, 3, 64, 200, 256, false},
		{8, 8, 4, 32, 256, 128, true}, {2, 9, 3, 64, 1009, 128, true}, {1, 9, 3, 64, 300, 128, true}, {1, 4, 4, 32, 200, 128, false},
	} {
		t.Run(fmt.Sprintf("b%d_h%d_kv%d_hd%d_s%d_block%d", tc.batch, tc.heads, tc.kvHeads, tc.hd, tc.seq, tc.block), func(t *testing.T) {
			batch, seq, hd := tc.batch, tc.seq, tc.hd
			rng := rand.New(rand.NewPCG(7, uint64(tc.heads*10+seq)))
			q, k, v := randomQKV(rng, batch, seq, tc.heads, tc.kvHeads, hd)
			scale := 1 / math.Sqrt(float64(hd))
			run := func(blocked bool) (o, p []float32) {
				defer func(b int) { useBlockedCausal, causalBlock = true, b }(causalBlock)
				useBlockedCausal, causalBlock = blocked, tc.block
				outs, err := ExecOnceN(backend, func(q, k, v *Node) []*Node {
					o, p := decomposedAttention(q, k, v, nil, scale)
					return []*Node{o, p}
				}, q, k, v)
				require.NoError(t, err)
				return tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
			}
			def := causalBlock
			causalBlock = tc.block
			require.Equal(t, tc.blocked, blockedCausal(tc.batch*tc.kvHeads, tc.heads/tc.kvHeads, hd, seq), "blockedCausal")
			causalBlock = def
			wo, wp := run(false)
			bo, bp := run(true)
			requireSameBits(t, "output, whole scores (want) vs blocked", wo, bo)
			requireSameBits(t, "probabilities, whole scores (want) vs blocked", wp, bp)
		})
	}
}

// TestBlockedCausalPassSameBits: whole inference passes of a random model with SmolLM2's heads
// (9 of 64 over 3 key heads) give the same residual states, attention pattern, lookback mass and
// token statistics with attention computed in query blocks as over whole rows, at 900 tokens
// (seven blocks of 128, the last with the remaining 4 queries).
func TestBlockedCausalPassSameBits(t *testing.T) {
	backend, err := NewBackend("")
	require.NoError(t, err)
	if !IsPureGo(backend) {
		t.Skip("decomposedAttention serves the pure-Go backend only")
	}
	cfg := &Config{ModelType: "llama", Family: FamilyLlama, VocabSize: 512, DModel: 576, NumLayers: 2,
		NumHeads: 9, NumKVHeads: 3, HeadDim: 64, DMLP: 1536, MaxPositions: 1024, NormEps: 1e-5,
		Activation: "silu", Rotary: true, RopeTheta: 10000, TiedEmbeddings: true}
	require.NoError(t, cfg.Validate())
	m, err := NewRandom(cfg, backend, 11)
	require.NoError(t, err)
	const seq = 900
	require.True(t, blockedCausal(cfg.NumKVHeads, 3, cfg.HeadDim, seq), "the pass must run blocked")
	rng := rand.New(rand.NewPCG(3, 5))
	ids, start := [][]int32{make([]int32, seq)}, [][]int32{make([]int32, seq)}
	for j := range seq {
		ids[0][j] = int32(rng.IntN(cfg.VocabSize))
		start[0][j] = int32(j / 50 * 50)
	}
	hooks := []string{ResidPost(0), ResidPost(1), AttnPattern(1), AttnLookback(0), HookTokenLogProb, HookTokenEntropy}
	run := func(blocked bool, hooks []string) map[string]*Array {
		useBlockedCausal = blocked
		defer func() { useBlockedCausal = true }()
		m.ResetCompiled()
		req := Request{Hooks: hooks}
		if len(hooks) > 1 {
			req.LookbackStart = start
		}
		out, err := m.Run(ids, req)
		require.NoError(t, err)
		return out
	}
	// The pattern asked for makes its layer decomposed; the states alone leave every layer to
	// the pass's own choice: both ways.
	for _, hs := range [][]string{hooks, {ResidPost(1)}} {
		want, got := run(false, hs), run(true, hs)
		for _, h := range hs {
			requireSameBits(t, fmt.Sprintf("%s, whole rows (want) vs blocks", h), want[h].Data, got[h].Data)
		}
	}
}

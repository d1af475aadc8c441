package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// tinyCoderShape is the architecture of the shipped tiny code LM (see experiments/tinycoder.toml).
func tinyCoderShape() *models.Config {
	return &models.Config{ModelType: "llama", Family: models.FamilyLlama, VocabSize: 8192, DModel: 256, NumLayers: 6,
		NumHeads: 8, NumKVHeads: 4, HeadDim: 32, DMLP: 704, MaxPositions: 1024, NormEps: 1e-5,
		Activation: "silu", Rotary: true, RopeTheta: 10000, TiedEmbeddings: true}
}

// trainFLOPs counts 3x the forward matmul FLOPs (forward, and backward for activations and weights).
func trainFLOPs(c *models.Config, batch, seq int) float64 {
	d, q, kv, f := float64(c.DModel), float64(c.NumHeads*c.HeadDim), float64(c.NumKVHeads*c.HeadDim), float64(c.DMLP)
	perTok := 2*(d*q+2*d*kv+q*d) + 2*3*d*f
	attn := 2 * 2 * float64(seq) * float64(seq) * q
	fwd := float64(c.NumLayers)*(perTok*float64(batch*seq)+attn*float64(batch)) + 2*d*float64(c.VocabSize)*float64(batch*seq)
	return 3 * fwd
}

func BenchmarkTrainStep(b *testing.B) {
	for _, bs := range []struct{ batch, seq int }{{8, 256}, {16, 512}} {
		b.Run(fmt.Sprintf("b%dxs%d", bs.batch, bs.seq), func(b *testing.B) {
			backend, err := models.NewBackend("")
			require.NoError(b, err)
			cfg := tinyCoderShape()
			m, err := models.NewRandom(cfg, backend, 1)
			require.NoError(b, err)
			rng := rand.New(rand.NewPCG(1, 1))
			toks := make([]int32, 200_000)
			for i := range toks {
				toks[i] = int32(rng.IntN(cfg.VocabSize))
			}
			tc := Defaults()
			tc.BatchSize, tc.SeqLen, tc.Steps = bs.batch, bs.seq, 1<<30
			tr, err := New(m, tc, "", &Stream{Tokens: toks}, nil)
			require.NoError(b, err)
			batch := tr.batch(0)
			call := func() {
				out, err := tr.exec.Call(batch, float32(1e-3), float32(1))
				require.NoError(b, err)
				for _, o := range out {
					o.FinalizeAll()
				}
			}
			call() // compile
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				call()
			}
			sec := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(float64(bs.batch*bs.seq)/sec, "tokens/s")
			gf := trainFLOPs(cfg, bs.batch, bs.seq) / sec / 1e9
			b.ReportMetric(gf, "GFLOP/s")
			mm, err := models.MatMulRate(backend, 512, 896, 4864, 5)
			require.NoError(b, err)
			b.ReportMetric(mm, "matmul_GFLOP/s")
			b.ReportMetric(gf/mm, "frac_of_matmul")
		})
	}
}

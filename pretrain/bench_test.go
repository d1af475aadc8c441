package pretrain

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/models"
)

// BenchmarkTrain times one training step (after compilation) and reports lines/s, the model
// FLOP rate (12·dim·latents per line: encoder and decoder matmuls, forward and backward; the
// AuxK decoder pass, the TopK bisection and the optimizer are not counted) and its fraction of
// models.MatMulRate on the step's matmul shape. Shapes: the paper's SAE (128 latents, k 32) and
// an overcomplete one (8x) on 256-wide states (the tiny code LM), and the paper's SAE on
// 896-wide states (Qwen2.5-Coder-0.5B).
func BenchmarkTrain(b *testing.B) {
	for _, bc := range []struct {
		dim, latents, k, batch int
		contrast               bool
	}{{256, 128, 32, 256, true}, {256, 2048, 32, 256, true}, {896, 128, 32, 256, true}} {
		name := fmt.Sprintf("d%d_L%d_k%d_b%d", bc.dim, bc.latents, bc.k, bc.batch)
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			items := make([]Item, 2*bc.batch)
			for i := range items {
				v := make([]float32, bc.dim)
				for j := range v {
					v[j] = float32(rng.NormFloat64())
				}
				items[i] = Item{Line: v}
				if i%4 == 0 { // a quarter of the lines come with a mutated counterpart
					m := append([]float32(nil), v...)
					m[0] += 1
					items[i].Mutants = [][]float32{m}
				}
			}
			cfg := DefaultConfig()
			cfg.OutDir, cfg.WorkDir = b.TempDir(), ""
			cfg.Latents, cfg.K, cfg.BatchSize, cfg.ShuffleBuffer, cfg.BPreSamples = bc.latents, bc.k, bc.batch, 4*bc.batch, 256
			cfg.ColdStartEpochs = 0
			cfg.DeadAfterLines = 1 // every latent that did not fire is dead: AuxK always runs
			tr, _, err := newTrainer(context.Background(), cfg, &SliceSource{Items: items}, nil)
			require.NoError(b, err)
			defer tr.exec.Finalize()
			defer tr.adam.finalize()
			batches := batchesOf(b, bc.batch, bc.dim, items)
			require.NoError(b, tr.stepOn(batches[0])) // compile
			lines := 0
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				x := batches[i%len(batches)]
				require.NoError(b, tr.stepOn(x))
				lines += x.rows
			}
			sec := time.Since(start).Seconds()
			b.StopTimer()
			gf := 12 * float64(bc.dim) * float64(bc.latents) * float64(lines) / sec / 1e9
			mm, err := models.MatMulRate(tr.backend, bc.batch, bc.dim, bc.latents, 5)
			require.NoError(b, err)
			b.ReportMetric(float64(lines)/sec, "lines/s")
			b.ReportMetric(gf, "GFLOP/s")
			b.ReportMetric(mm, "matmul_GFLOP/s")
			b.ReportMetric(gf/mm, "frac_of_matmul")
		})
	}
}

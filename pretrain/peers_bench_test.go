package pretrain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkPeerSAE is the pttrust side of the SAE row of `just bench-peers`
// (scripts/peers/run.sh): stage 1 as `pttrust pretrain` runs it (Train: line states streamed
// from the extraction's Parquet shards through the shuffle buffer, AdamW steps) on the states of
// $PTTRUST_PEERS_STATES, with the settings the SAELens peer (scripts/peers/sae_peer.py) mirrors:
// TopK, k 32, batch 256, lr 2e-4 after 100 warm-up steps, clip 1.0, input LayerNorm, b_pre the
// mean, AuxK 64 at 1/32 on latents dead for 20 000 lines, no contrastive term (SAELens has none).
// One sub-benchmark per width in $PTTRUST_PEERS_SAE_LATENTS (default "128,2048"), each
// $PTTRUST_PEERS_SAE_EPOCHS epochs (default 10). lines/s is over the steps after the first (the
// first compiles the graph); fvu is the trained SAE's on every line (SAE.FVU), after the run's
// steps (reported for the peer to run as many).
func BenchmarkPeerSAE(b *testing.B) {
	states := os.Getenv("PTTRUST_PEERS_STATES")
	if states == "" {
		b.Skip("PTTRUST_PEERS_STATES not set: run by scripts/peers/run.sh (just bench-peers)")
	}
	widths := "128,2048"
	if v := os.Getenv("PTTRUST_PEERS_SAE_LATENTS"); v != "" {
		widths = v
	}
	epochs := 10
	if v, err := strconv.Atoi(os.Getenv("PTTRUST_PEERS_SAE_EPOCHS")); err == nil && v > 0 {
		epochs = v
	}
	src, err := OpenStates(states, "", "")
	require.NoError(b, err)
	var xs [][]float32 // every training line: the lines and their mutants
	require.NoError(b, src.Scan(context.Background(), func(it Item) error {
		xs = append(xs, it.Line)
		xs = append(xs, it.Mutants...)
		return nil
	}))
	for _, w := range strings.Split(widths, ",") {
		latents, err := strconv.Atoi(strings.TrimSpace(w))
		require.NoError(b, err)
		cfg := DefaultConfig()
		cfg.StatesDir, cfg.Split, cfg.WorkDir = states, "", ""
		cfg.Latents, cfg.K, cfg.BatchSize, cfg.LR, cfg.WarmupSteps, cfg.GradClip = latents, 32, 256, 2e-4, 100, 1
		cfg.InputNorm, cfg.BPreInit = true, BPreMean
		cfg.AuxK, cfg.AuxKCoef, cfg.DeadAfterLines = 64, 1.0/32, 20_000
		cfg.ContrastWeight, cfg.ColdStartEpochs, cfg.Epochs = 0, 0, epochs
		cfg.EvalEvery = 1 // a metrics row per step: the lines done at each step
		b.Run(fmt.Sprintf("L%d_k%d_b%d", cfg.Latents, cfg.K, cfg.BatchSize), func(b *testing.B) {
			var res *Result
			var first, last time.Time
			for i := range b.N {
				cfg.OutDir = filepath.Join(b.TempDir(), strconv.Itoa(i))
				res, err = trainOn(context.Background(), cfg, src, nil, func(step int) {
					if step == 1 {
						first = time.Now()
					}
					last = time.Now()
				})
				require.NoError(b, err)
			}
			require.Greater(b, res.Steps, 1)
			lines := res.Metrics[len(res.Metrics)-1].Lines - res.Metrics[0].Lines
			sae, err := Load(res.OutDir)
			require.NoError(b, err)
			b.ReportMetric(float64(lines)/last.Sub(first).Seconds(), "lines/s")
			b.ReportMetric(sae.FVU(xs), "fvu")
			b.ReportMetric(res.FVU, "train_fvu")
			b.ReportMetric(float64(res.Steps), "steps")
			b.ReportMetric(float64(res.Lines), "lines")
			b.ReportMetric(float64(len(xs)), "data_lines")
			b.ReportMetric(float64(res.Dim), "dim")
		})
	}
}

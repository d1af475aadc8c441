package pretrain

import (
	"context"
	"encoding/binary"
	"encoding/json"
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
// TopK, k 32, batch 256, 100 warm-up steps, input LayerNorm, b_pre the mean, AuxK 64 at 1/32 on
// latents dead for 20 000 lines, no contrastive term (SAELens has none), and SAELens' gradient
// clip: 1.0 on its loss, which is not divided by the batch's variance as pttrust's is, so
// 1 / (the train lines' mean squared distance to their mean, after the LayerNorm) here
// (peerClip; pttrust's default 1.0 would never clip this loss, SAELens' clip always does).
//
// The lines are split once, by item (a line and its mutants stay together; peerSplit): 80 %
// train, 10 % validation, 10 % test. Each width of $PTTRUST_PEERS_SAE_LATENTS (default
// "128,2048") is trained on the train lines for $PTTRUST_PEERS_SAE_EPOCHS epochs (default 10)
// at each learning rate of $PTTRUST_PEERS_SAE_LRS (default peerLRs), each initialisation of
// $PTTRUST_PEERS_SAE_INITS (default peerInits: "unit<s>", unit decoder rows and the encoder at
// s × their transpose; "free<n>", decoder_norm "free", SAELens' parametrisation, rows of initial
// norm n) and each seed of $PTTRUST_PEERS_SAE_SEEDS (default "1"), one sub-benchmark each
// (L<latents>_k32_b256/lr<lr>/<init>/seed<seed>): scripts/peers/table.py chooses each side's
// setting on the validation FVU and reports the test FVU (the peer runs the same learning rates
// and decoder_init_norm 0.1, 0.3, 1), because a parametrisation's best rate and initial scale
// differ. lines/s is over the steps after the first (the first compiles the graph); the FVUs
// are the trained SAE's (SAE.FVU) on each split. With $PTTRUST_PEERS_SAE_SPLIT set, the split's
// lines are written there for the peer (writePeerSplit), and each run's per-line test errors
// (pttrust-L<latents>-lr<lr>-<init>-seed<seed>.test_sse.f64, lineSSE) for table.py's bootstrap.
func BenchmarkPeerSAE(b *testing.B) {
	states := os.Getenv("PTTRUST_PEERS_STATES")
	if states == "" {
		b.Skip("PTTRUST_PEERS_STATES not set: run by scripts/peers/run.sh (just bench-peers)")
	}
	epochs := 10
	if v, err := strconv.Atoi(os.Getenv("PTTRUST_PEERS_SAE_EPOCHS")); err == nil && v > 0 {
		epochs = v
	}
	all, err := OpenStates(states, "", "")
	require.NoError(b, err)
	lines := map[string][][]float32{} // a split's lines: each item's line and its mutants
	require.NoError(b, scanSplits(context.Background(), all, func(split string, it Item) error {
		lines[split] = append(append(lines[split], it.Line), it.Mutants...)
		return nil
	}))
	if dir := os.Getenv("PTTRUST_PEERS_SAE_SPLIT"); dir != "" {
		require.NoError(b, writePeerSplit(dir, all.Info().Dim, lines))
	}
	src := &splitSource{src: all, keep: "train"}
	clip := peerClip(lines["train"])
	for _, latents := range envList(b, "PTTRUST_PEERS_SAE_LATENTS", "128,2048", strconv.Atoi) {
		for _, lr := range envList(b, "PTTRUST_PEERS_SAE_LRS", peerLRs, parseFloat) {
			for _, init := range envList(b, "PTTRUST_PEERS_SAE_INITS", peerInits, parseInit) {
				for _, seed := range envList(b, "PTTRUST_PEERS_SAE_SEEDS", "1", parseSeed) {
					cfg := DefaultConfig()
					cfg.StatesDir, cfg.Split, cfg.WorkDir, cfg.Seed = states, "", "", seed
					cfg.Latents, cfg.K, cfg.BatchSize, cfg.LR, cfg.WarmupSteps, cfg.GradClip = latents, 32, 256, lr, 100, clip
					cfg.DecoderNorm, cfg.DecoderInitNorm, cfg.EncoderInitScale = init.decoderNorm, init.decoderInitNorm, init.encoderScale
					cfg.InputNorm, cfg.BPreInit = true, BPreMean
					cfg.AuxK, cfg.AuxKCoef, cfg.DeadAfterLines = 64, 1.0/32, 20_000
					cfg.ContrastWeight, cfg.ColdStartEpochs, cfg.Epochs = 0, 0, epochs
					cfg.EvalEvery = 1 // a metrics row per step: the lines done at each step
					require.NoError(b, cfg.Validate())
					name := fmt.Sprintf("L%d_k%d_b%d/lr%g/%s/seed%d", cfg.Latents, cfg.K, cfg.BatchSize, cfg.LR, init.name, seed)
					b.Run(name, func(b *testing.B) {
						benchPeerSAE(b, cfg, src, lines, init)
					})
				}
			}
		}
	}
}

// peerLRs is BenchmarkPeerSAE's default learning-rate grid (the paper's 2e-4 and up, about ×2
// apart).
const peerLRs = "2e-4,5e-4,1e-3,2e-3,5e-3,1e-2"

// peerInits is BenchmarkPeerSAE's default grid of initialisations: pttrust's default (unit
// decoder rows, the encoder their transpose), the encoder at 0.3 of it, and SAELens'
// parametrisation (decoder_norm "free") at the three decoder_init_norm values the peer tries.
const peerInits = "unit1,unit0.3,free0.1,free0.3,free1"

// peerInit is one initialisation of BenchmarkPeerSAE's grid.
type peerInit struct {
	name            string  // as in $PTTRUST_PEERS_SAE_INITS: "unit<s>" or "free<n>"
	decoderNorm     string  // Config.DecoderNorm
	decoderInitNorm float64 // Config.DecoderInitNorm (free)
	encoderScale    float64 // Config.EncoderInitScale (unit)
}

func parseInit(s string) (peerInit, error) {
	for _, kind := range []string{"unit", "free"} {
		if v, ok := strings.CutPrefix(s, kind); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0) {
				break
			}
			if kind == "free" {
				return peerInit{name: s, decoderNorm: DecoderNormFree, decoderInitNorm: f}, nil
			}
			return peerInit{name: s, encoderScale: f}, nil
		}
	}
	return peerInit{}, fmt.Errorf("initialisation %q: want unit<scale> or free<norm>, e.g. unit1, free0.1", s)
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
func parseSeed(s string) (uint64, error)   { return strconv.ParseUint(s, 10, 64) }

// envList parses the comma-separated list in $key (def when unset).
func envList[T any](b *testing.B, key, def string, parse func(string) (T, error)) []T {
	var out []T
	for _, f := range strings.Split(envOr(key, def), ",") {
		v, err := parse(strings.TrimSpace(f))
		require.NoError(b, err, "$%s", key)
		out = append(out, v)
	}
	return out
}

// peerClip is the gradient clip of pttrust's loss that SAELens' 1.0 is on its own: SAELens'
// squared error is summed over the components and averaged over the lines, pttrust's divided by
// the batch's total variance, about the lines' mean squared distance to their mean (after the
// LayerNorm both apply) times the batch size; so pttrust's gradient is SAELens' divided by that
// distance, and its clip is 1 over it.
func peerClip(xs [][]float32) float64 {
	norm := &SAE{Config: SAEConfig{Normalization: NormLayerNorm, NormEps: normEps}}
	var mean []float64
	var sq float64 // Σ ||x||²
	for _, x := range xs {
		xn := norm.Normalize(x)
		if mean == nil {
			mean = make([]float64, len(xn))
		}
		for i, v := range xn {
			mean[i] += float64(v)
			sq += float64(v) * float64(v)
		}
	}
	n := float64(len(xs))
	var mm float64
	for _, v := range mean {
		mm += (v / n) * (v / n)
	}
	return 1 / (sq/n - mm) // the mean squared distance to the mean: E||x||² - ||E x||²
}

// benchPeerSAE trains cfg's SAE on src b.N times and reports the last run.
func benchPeerSAE(b *testing.B, cfg Config, src Source, lines map[string][][]float32, init peerInit) {
	var res *Result
	var first, last time.Time
	var err error
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
	done := res.Metrics[len(res.Metrics)-1].Lines - res.Metrics[0].Lines
	sae, err := Load(res.OutDir)
	require.NoError(b, err)
	if dir := os.Getenv("PTTRUST_PEERS_SAE_SPLIT"); dir != "" {
		name := fmt.Sprintf("pttrust-L%d-lr%g-%s-seed%d.test_sse.f64", cfg.Latents, cfg.LR, init.name, cfg.Seed)
		require.NoError(b, writeFloat64s(filepath.Join(dir, name), lineSSE(sae, lines["test"])))
	}
	b.ReportMetric(float64(done)/last.Sub(first).Seconds(), "lines/s")
	b.ReportMetric(sae.FVU(lines["validation"]), "val_fvu")
	b.ReportMetric(sae.FVU(lines["test"]), "test_fvu")
	b.ReportMetric(res.FVU, "train_fvu")
	b.ReportMetric(cfg.LR, "lr")
	b.ReportMetric(float64(cfg.Seed), "seed")
	b.ReportMetric(cfg.GradClip, "clip")
	b.ReportMetric(float64(res.Steps), "steps")
	b.ReportMetric(float64(res.Lines), "lines")
	b.ReportMetric(float64(len(lines["train"])), "train_lines")
	b.ReportMetric(float64(len(lines["validation"])), "val_lines")
	b.ReportMetric(float64(len(lines["test"])), "test_lines")
	b.ReportMetric(float64(res.Dim), "dim")
}

// lineSSE is each line's squared reconstruction error in the normalised space (the terms of
// SAE.FVU's numerator), for table.py's paired bootstrap of the two sides' test FVU.
func lineSSE(sae *SAE, xs [][]float32) []float64 {
	out := make([]float64, len(xs))
	for n, x := range xs {
		xn, xh := sae.Normalize(x), sae.Decode(sae.Encode(x))
		for i := range xn {
			e := float64(xh[i] - xn[i])
			out[n] += e * e
		}
	}
	return out
}

// writeFloat64s writes vs as little-endian float64s.
func writeFloat64s(path string, vs []float64) error {
	buf, err := binary.Append(nil, binary.LittleEndian, vs)
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0o644)
}

// peerSplit is the split of the i-th item of the states' scan: a Fibonacci hash of i, 1 in 10
// test, 1 in 10 validation, the rest train.
func peerSplit(i int) string {
	switch (uint64(i+1) * 0x9E3779B97F4A7C15 >> 32) % 10 {
	case 0:
		return "test"
	case 1:
		return "validation"
	}
	return "train"
}

// splitSource passes on the items of src in split keep (peerSplit of their scan index).
type splitSource struct {
	src  Source
	keep string
}

func (s *splitSource) Info() SourceInfo { return s.src.Info() }

func (s *splitSource) Scan(ctx context.Context, fn func(Item) error) error {
	return scanSplits(ctx, s.src, func(split string, it Item) error {
		if split != s.keep {
			return nil
		}
		return fn(it)
	})
}

// scanSplits scans src, handing each item over with its split (peerSplit of its scan index).
func scanSplits(ctx context.Context, src Source, fn func(split string, it Item) error) error {
	i := 0
	return src.Scan(ctx, func(it Item) error {
		split := peerSplit(i)
		i++
		return fn(split, it)
	})
}

// writePeerSplit writes each split's lines to dir as <split>.f32 (rows of dim little-endian
// float32s) and split.json ({"dim", "rows": {split: n}}), for scripts/peers/sae_peer.py.
func writePeerSplit(dir string, dim int, lines map[string][][]float32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rows := map[string]int{}
	for split, xs := range lines {
		buf := make([]byte, 0, 4*dim*len(xs))
		for _, x := range xs {
			var err error
			if buf, err = binary.Append(buf, binary.LittleEndian, x); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, split+".f32"), buf, 0o644); err != nil {
			return err
		}
		rows[split] = len(xs)
	}
	meta, err := json.Marshal(map[string]any{"dim": dim, "rows": rows})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "split.json"), meta, 0o644)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

package finetune

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

const fixtureModel = "../models/testdata/golden/qwen2"

// extractFixtureStates writes 12 labeled Go snippets (8 train, 4 validation, one buggy line
// each) and extracts their line states at blocks.1.resid_post with the tiny fixture model.
func extractFixtureStates(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var snippets []datasets.Snippet
	for i := range 12 {
		split := datasets.Train
		if i >= 8 {
			split = datasets.Validation
		}
		code := fmt.Sprintf("func f%d(x int) int {\n\ty := x * %d\n\tz := y + x\n\tw := z - %d\n\treturn w\n}", i, i+2, i)
		labels := make([]int32, 6)
		labels[1+i%3] = 1
		snippets = append(snippets, datasets.Snippet{ID: fmt.Sprintf("s%d#m", i), PairID: fmt.Sprintf("s%d", i),
			Language: datasets.Go, Source: "test", Task: "replace_line", Role: datasets.RoleBuggy, Split: split,
			Code: code, Labels: labels, OriginalLine: []int32{0, 1, 2, 3, 4, 5}})
	}
	data := filepath.Join(dir, "snippets.parquet")
	if err := datasets.WriteSnippetSlice(data, snippets); err != nil {
		t.Fatal(err)
	}
	cfg := extract.DefaultConfig()
	cfg.ModelDir, cfg.DataPath, cfg.OutDir = fixtureModel, data, filepath.Join(dir, "states")
	cfg.Hooks, cfg.Window, cfg.Backend = []string{"blocks.1.resid_post"}, 64, "go"
	if _, err := extract.Extract(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	return cfg.OutDir
}

// TestRunFromStates: the standalone pipeline on real extracted states, with the raw-state probe
// and with a (briefly) pre-trained SAE: lists grouped per snippet, trained, saved, reloaded.
func TestRunFromStates(t *testing.T) {
	states := extractFixtureStates(t)

	raw, err := ListsFromRawStates(states, "blocks.1.resid_post", "train")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 8 {
		t.Fatalf("%d train lists, want 8", len(raw))
	}
	for _, l := range raw {
		if len(l.Features) != len(l.Labels) || len(l.Features) < 4 || len(l.Features[0]) != 64 || !hasPositive(l.Labels) {
			t.Errorf("list %s: %d lines, %d labels, dim %d", l.ID, len(l.Features), len(l.Labels), len(l.Features[0]))
		}
	}

	cfg := DefaultConfig()
	cfg.Epochs, cfg.Backend = 3, "go"
	cfg.OutDir = filepath.Join(t.TempDir(), "probe")
	cfg.Data.StatesDir, cfg.Data.Hook = states, "blocks.1.resid_post"
	var log strings.Builder
	a, err := Run(context.Background(), cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if a.Features != "raw:blocks.1.resid_post" || a.InputDim != 64 || a.ThresholdSource != ThresholdFromValidation {
		t.Errorf("features %q dim %d threshold from %s", a.Features, a.InputDim, a.ThresholdSource)
	}
	if _, err := Load(cfg.OutDir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "8 training and 4 validation snippets") {
		t.Errorf("progress: %s", log.String())
	}

	sc := pretrain.DefaultConfig()
	sc.StatesDir, sc.Hook, sc.Split, sc.Backend = states, "blocks.1.resid_post", "train", "go"
	sc.OutDir, sc.WorkDir = filepath.Join(t.TempDir(), "sae"), filepath.Join(t.TempDir(), "work")
	sc.Latents, sc.K, sc.Epochs, sc.ColdStartEpochs, sc.BatchSize, sc.ShuffleBuffer = 16, 4, 1, 0, 8, 64
	sc.BPreSamples, sc.EvalEvery, sc.WarmupSteps, sc.AuxK = 64, 1000, 0, 0
	if _, err := pretrain.Train(context.Background(), sc, nil); err != nil {
		t.Skipf("pretrain.Train (another package, in progress): %v", err)
	}
	cfg.Data.Hook, cfg.Data.SAEDir = "", sc.OutDir
	cfg.OutDir = filepath.Join(t.TempDir(), "binding")
	a, err = Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Features != "sae:blocks.1.resid_post" || a.InputDim != 16 {
		t.Errorf("features %q dim %d, want sae:blocks.1.resid_post and 16", a.Features, a.InputDim)
	}
}

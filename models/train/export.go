package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/safetensors"
)

// ModelCardFile is the human-readable record of how a shipped model was made.
const ModelCardFile = "MODEL_CARD.md"

// exportModel writes the trained model, its tokenizer and its model card to cfg.OutDir.
func exportModel(cfg RunConfig, m *models.Model, tokPath string, tr *Trainer,
	c *Corpus, trainTime, wallTime time.Duration) error {
	meta := map[string]string{
		"pttrust_model": cfg.Name, "pttrust_version": buildinfo.Get().String(), "seed": fmt.Sprint(cfg.Train.Seed),
		"steps": fmt.Sprint(tr.Step()), "data_manifest": c.ManifestHash,
	}
	if err := m.Save(cfg.OutDir, models.SaveOptions{DType: safetensors.DType(cfg.WeightsDType), Metadata: meta}); err != nil {
		return err
	}
	tj, err := os.ReadFile(tokPath)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(cfg.OutDir, models.TokenizerFile), tj); err != nil {
		return err
	}
	card := modelCard(cfg, m, tr, c, trainTime, wallTime)
	return writeAtomic(filepath.Join(cfg.OutDir, ModelCardFile), []byte(card))
}

func modelCard(cfg RunConfig, m *models.Model, tr *Trainer, c *Corpus, trainTime, wallTime time.Duration) string {
	var b strings.Builder
	mc := m.Config
	tokensSeen := int64(tr.Step()) * int64(cfg.Train.BatchSize*cfg.Train.SeqLen)
	fmt.Fprintf(&b, "# %s\n\n", cfg.Name)
	fmt.Fprintf(&b, "A small code language model trained by pttrust itself, from source code found on the build machine, so that\n")
	fmt.Fprintf(&b, "pttrust works offline. It is a research fixture, not a code assistant.\n\n")
	fmt.Fprintf(&b, "## Architecture\n\nLlama-style decoder (`model_type` llama): %d layers, d_model %d, %d query heads / %d key-value heads,\n", mc.NumLayers, mc.DModel, mc.NumHeads, mc.NumKVHeads)
	fmt.Fprintf(&b, "SwiGLU MLP %d, RoPE θ=%g, RMSNorm, tied embeddings, context %d tokens, vocabulary %d (byte-level BPE\n", mc.DMLP, mc.RopeTheta, mc.MaxPositions, mc.VocabSize)
	fmt.Fprintf(&b, "trained here). %.2fM parameters, stored as %s safetensors.\n\n", float64(mc.NumParams())/1e6, cfg.WeightsDType)
	fmt.Fprintf(&b, "## Data\n\nSource trees discovered on the machine (Go's GOROOT/src, the Python standard library, a JDK's src.zip,\n")
	fmt.Fprintf(&b, "/usr/include, npm's JavaScript); files split 90/5/5 by a hash of their path; training and validation text\n")
	fmt.Fprintf(&b, "capped at %.1f MB and %.1f MB per language by hash sampling. Manifest hash `%s` (the manifest is in the work\n", float64(cfg.Data.MaxTrainBytesPerLanguage)/(1<<20), float64(cfg.Data.MaxValBytesPerLanguage)/(1<<20), c.ManifestHash)
	fmt.Fprintf(&b, "directory).\n\n| language | train files | train MB | val files | val MB |\n|---|---|---|---|---|\n")
	for _, l := range sortedKeys(c.Files) {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %.1f |\n", l, c.Files[l][datasets.Train], float64(c.Bytes[l][datasets.Train])/1e6,
			c.Files[l][datasets.Validation], float64(c.Bytes[l][datasets.Validation])/1e6)
	}
	fmt.Fprintf(&b, "\nTraining stream: %d tokens.\n\n", len(c.Train.Tokens))
	fmt.Fprintf(&b, "## Training\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| steps | %d of %d planned (batch %d × %d tokens) |\n| tokens seen | %d (%.2f epochs) |\n", tr.Step(), cfg.Train.Steps, cfg.Train.BatchSize, cfg.Train.SeqLen,
		tokensSeen, float64(tokensSeen)/math.Max(1, float64(len(c.Train.Tokens))))
	fmt.Fprintf(&b, "| optimizer | AdamW lr %g (warm-up %d, cosine to ×%g), β=(%g, %g), weight decay %g (not on norms/biases), clip %g |\n",
		cfg.Train.LR, cfg.Train.WarmupSteps, cfg.Train.MinLRRatio, cfg.Train.Beta1, cfg.Train.Beta2, cfg.Train.WeightDecay, cfg.Train.GradClip)
	fmt.Fprintf(&b, "| seed | %d |\n| training wall time | %s |\n| total wall time | %s (corpus scan, tokenizer, training, export) |\n",
		cfg.Train.Seed, trainTime.Round(time.Second), wallTime.Round(time.Second))
	fmt.Fprintf(&b, "| machine | %s |\n| built by | %s |\n\n", hostDescription(), buildinfo.Get().String())
	fmt.Fprintf(&b, "## Validation\n\nCross-entropy on the first %d validation windows of %d tokens per language, against the unigram\n", cfg.Train.EvalSequences, cfg.Train.SeqLen)
	fmt.Fprintf(&b, "entropy of that language's validation tokens (the loss of the best context-free model on the same data).\n\n")
	fmt.Fprintf(&b, "| language | validation CE (nats/token) | unigram entropy (nats/token) | CE / unigram |\n|---|---|---|---|\n")
	last := map[string]float64{}
	for _, e := range tr.Evals() {
		if e.Step == tr.Step() {
			last[e.Language] = e.Loss
		}
	}
	for _, l := range sortedKeys(c.Val) {
		u := UnigramEntropy(c.Val[l])
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.2f |\n", l, last[l], u, last[l]/u)
	}
	fmt.Fprintf(&b, "\nThe loss curve is `train_log.csv` and `eval_log.csv` in the work directory's checkpoints folder.\n\n")
	fmt.Fprintf(&b, "## Reproduce\n\n```sh\nGOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd go run ./cmd/pttrust lm train --config %s\n```\n\n", cfg.ConfigPath)
	fmt.Fprintf(&b, "Same machine kind, same source trees and seed give the same data, tokenizer and batch order; an\n")
	fmt.Fprintf(&b, "interrupted run resumes from its last checkpoint in the work directory.\n")
	return b.String()
}

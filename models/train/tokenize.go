package train

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// trainTokenizer trains the byte-level BPE on the kept training files (up to
// cfg.Tokenizer.MaxTrainBytes, hash-sampled evenly across languages) and writes it to path.
func trainTokenizer(ctx context.Context, cfg RunConfig, roots []datasets.Root, opts datasets.WalkOptions,
	keep func(datasets.File) bool, path string, progress io.Writer) error {
	trainer, err := tokenizer.NewTrainer(tokenizer.TrainOptions{
		VocabSize: cfg.Tokenizer.VocabSize, MinFrequency: cfg.Tokenizer.MinFrequency,
		SpecialTokens: []string{EndOfText}, MaxWordsInMemory: 2_000_000,
	})
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	// First measure the kept training text, to sample it down to MaxTrainBytes.
	var total int64
	if _, err := datasets.Walk(roots, opts, func(f datasets.File) error {
		if f.Split == datasets.Train && keep(f) {
			total += int64(f.Size)
		}
		return ctx.Err()
	}); err != nil {
		return err
	}
	frac := 1.0
	if cfg.Tokenizer.MaxTrainBytes > 0 && total > cfg.Tokenizer.MaxTrainBytes {
		frac = float64(cfg.Tokenizer.MaxTrainBytes) / float64(total)
	}
	start := time.Now()
	var used int64
	if _, err := datasets.Walk(roots, opts, func(f datasets.File) error {
		if f.Split == datasets.Train && keep(f) && sampleKeep("tokenizer:"+f.Path, frac) {
			trainer.Add(f.Content)
			used += int64(f.Size)
		}
		return ctx.Err()
	}); err != nil {
		return err
	}
	fmt.Fprintf(progress, "tokenizer: counted %.1f MB of training text in %.0f s; merging to %d tokens\n",
		float64(used)/1e6, time.Since(start).Seconds(), cfg.Tokenizer.VocabSize)
	tj, err := trainer.Train()
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if err := tj.WriteFile(path); err != nil {
		return err
	}
	fmt.Fprintf(progress, "tokenizer: wrote %s (%.0f s)\n", path, time.Since(start).Seconds())
	return nil
}

package finetune

import (
	"context"
	"fmt"
	"io"

	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/pretrain"
)

// Run is `pttrust finetune`: it reads the lines of Data.TrainSplit and Data.ValSplit from
// Data.StatesDir, with the latents of the SAE in Data.SAEDir as features (or, when SAEDir is
// empty, the raw states at Data.Hook: the raw-state probe), trains the binding (Train) and saves
// it to OutDir. Assessor.Features records "sae:<hook>" or "raw:<hook>".
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Assessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	if err := cfg.ValidateData(); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	if err := atomicfile.CheckWritable(cfg.OutDir); err != nil { // fail now, not after training
		return nil, fmt.Errorf("finetune: out_dir %s cannot be written: %w", cfg.OutDir, err)
	}
	d := cfg.Data
	var load func(split string) ([]List, error)
	var features string
	if d.SAEDir != "" {
		sae, err := pretrain.Load(d.SAEDir)
		if err != nil {
			return nil, fmt.Errorf("finetune: data.sae_dir: %w", err)
		}
		features = "sae:" + sae.Config.HookName
		load = func(split string) ([]List, error) { return ListsFromStates(d.StatesDir, sae, split) }
	} else {
		features = "raw:" + d.Hook
		load = func(split string) ([]List, error) { return ListsFromRawStates(d.StatesDir, d.Hook, split) }
	}
	train, err := load(d.TrainSplit)
	if err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("finetune: %s holds no line of split %q (data.train_split)", d.StatesDir, d.TrainSplit)
	}
	val, err := load(d.ValSplit)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		fmt.Fprintf(progress, "finetune: %d training and %d validation snippets, features %s\n", len(train), len(val), features)
	}
	a, err := Train(ctx, cfg, train, val, progress)
	if err != nil {
		return nil, err
	}
	a.Features = features
	if err := a.Save(cfg.OutDir); err != nil {
		return nil, err
	}
	if progress != nil {
		fmt.Fprintf(progress, "finetune: best epoch %d of %d; threshold %.4g (Youden on %s lines: TPR %.3f, FPR %.3f); saved %s\n",
			a.BestEpoch, a.EpochsRun, a.Threshold, a.ThresholdSource, a.ThresholdTPR, a.ThresholdFPR, cfg.OutDir)
	}
	return a, nil
}

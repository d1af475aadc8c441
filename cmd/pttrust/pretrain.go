package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pttrust/pttrust/pretrain"
)

// pretrainOptions are the pretrain command's flags.
type pretrainOptions struct {
	config string
}

func newPretrainCmd() *cobra.Command {
	var o pretrainOptions
	cmd := &cobra.Command{
		Use:   "pretrain --config experiments/sae_default.toml",
		Short: "Stage 1: train a TopK sparse autoencoder on line states, with mutation contrast (resumable)",
		Long: `pretrain trains a TopK sparse autoencoder on the line states written by
` + "`pttrust states extract`" + ` (the config's states_dir and hook), streaming the Parquet shards through
a shuffle buffer. The loss is normalised MSE, an AuxK term on dead latents and, after the cold-start
epochs, a hinge pushing the latents of each original line and its mutated counterpart apart.
Metrics (FVU, L0, dead %, aux loss, contrastive margin satisfied %) are logged every eval_every
steps. The config's out_dir receives sae.safetensors, cfg.json, metrics.csv and curves.png.
Ctrl-C saves a checkpoint in work_dir; rerunning the same command resumes from it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := pretrain.LoadConfig(o.config)
			if err != nil {
				return err
			}
			if b, _ := cmd.Flags().GetString("backend"); b != "" {
				cfg.Backend = b
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			_, err = pretrain.Train(ctx, cfg, cmd.ErrOrStderr())
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted: the checkpoint in %s is saved; rerun the same command to resume", cfg.WorkDir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.config, "config", "experiments/sae_default.toml", "run configuration (TOML, over the paper's defaults)")
	return cmd
}

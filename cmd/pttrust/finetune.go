package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pttrust/pttrust/finetune"
	"github.com/spf13/cobra"
)

// finetuneOptions are the flags of `pttrust finetune`.
type finetuneOptions struct {
	config string
	out    string
}

func newFinetuneCmd() *cobra.Command {
	var o finetuneOptions
	cmd := &cobra.Command{
		Use:   "finetune --config experiments/binding_default.toml",
		Short: "Stage 2: train the binding MLP from SAE latents (or raw states) to per-line risk",
		Long: `finetune reads the labeled lines of the config's train and validation splits from a states
directory (pttrust states extract), encodes their states with the pre-trained SAE of data.sae_dir
(or uses the raw states at data.hook: the raw-state probe), trains a small MLP per snippet with a
listwise ranking loss (NeuralNDCG by default), keeps the epoch with the best validation NDCG,
chooses the flagging threshold by the Youden index on the validation lines, and writes
binding.safetensors and cfg.json to out_dir. Unknown config keys are errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := finetune.LoadConfig(o.config)
			if err != nil {
				return err
			}
			if o.out != "" {
				cfg.OutDir = o.out
			}
			if b, _ := cmd.Flags().GetString("backend"); b != "" {
				cfg.Backend = b
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			_, err = finetune.Run(ctx, cfg, cmd.ErrOrStderr())
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted: nothing was saved to %s", cfg.OutDir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.config, "config", "", "binding configuration (TOML over finetune.DefaultConfig)")
	cmd.Flags().StringVar(&o.out, "out", "", "output directory (overrides out_dir)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

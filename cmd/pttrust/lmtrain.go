package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pttrust/pttrust/models/train"
	"github.com/spf13/cobra"
)

func newLMTrainCmd() *cobra.Command {
	var configPath string
	var exportOnly bool
	cmd := &cobra.Command{
		Use:   "train --config experiments/tinycoder.toml",
		Short: "Pre-train a small code LM on the source trees found on this machine (resumable)",
		Long: `Walks the machine's source trees (Go, Python, Java, C/C++, JavaScript), trains a byte-level BPE
tokenizer, pre-trains a Llama-style LM with AdamW, and writes config.json, model.safetensors,
tokenizer.json and MODEL_CARD.md to the config's out_dir. Ctrl-C saves a checkpoint; rerunning the
same command resumes from it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := train.LoadRunConfig(configPath)
			if err != nil {
				return err
			}
			backend, _ := cmd.Flags().GetString("backend")
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			err = train.RunPipeline(ctx, cfg, train.PipelineOptions{Backend: backend, ExportOnly: exportOnly}, cmd.ErrOrStderr())
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted: the checkpoint in %s is saved; rerun the same command to resume", cfg.WorkDir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "experiments/tinycoder.toml", "run configuration (TOML)")
	cmd.Flags().BoolVar(&exportOnly, "export-only", false, "export the last checkpoint as it is, without training further")
	return cmd
}

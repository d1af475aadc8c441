package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/experiments"
	"github.com/pttrust/pttrust/internal/gctune"
)

func newExperimentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "experiment", Short: "Run experiments (experiments/*.toml) end to end"}
	cmd.AddCommand(newExperimentRunCmd())
	return cmd
}

// experimentOptions are the flags of `experiment run`.
type experimentOptions struct {
	Config  string
	OutDir  string
	WorkDir string
	// Model overrides [model] dir: a checkpoint folder, a .gguf file or "smollm2".
	Model string
	// Hook overrides [states] hook (e.g. blocks.7.resid_post).
	Hook string
}

// addModelFlags adds --model and --hook.
func addModelFlags(cmd *cobra.Command, o *experimentOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "the model: a Hugging Face checkpoint folder, a .gguf file, or smollm2 (the GGUF scripts/models/smollm2.sh caches); overrides the config's [model] dir (default: the embedded tinycoder). Give --out too, so two models' results do not overwrite each other")
	f.StringVar(&o.Hook, "hook", "", "the state the SAE reads, e.g. blocks.7.resid_post (overrides [states] hook; default: the first quarter of the layers)")
}

func newExperimentRunCmd() *cobra.Command {
	var o experimentOptions
	cmd := &cobra.Command{
		Use:   "run experiments/NAME.toml",
		Short: "Run every stage that is not cached and write results/NAME (tables, CSV, plots, assessor)",
		Long: `run makes the labeled data, extracts line states, pre-trains the SAE (stage 1), trains the
binding and the probes (stage 2), scores PtTrust and every baseline on the test split with
bootstrap intervals, tests them on the config's [[transfer]] benchmarks, and computes the cross
matrices (language, task, category). Each stage's output is kept in the work directory under a
hash of its inputs and settings, so a rerun skips finished stages (and resumes an interrupted
extraction or SAE training), and experiments on the same model, hook and data share them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Config = args[0]
			cfg, err := experiments.Load(o.Config)
			if err != nil {
				return err
			}
			backend, _ := cmd.Flags().GetString("backend")
			return runExperiment(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, o, backend)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OutDir, "out", "", "results directory (default: the config's out_dir, results/NAME)")
	f.StringVar(&o.WorkDir, "work", "", "cache of stage artifacts (default: the config's work_dir, work/stages)")
	addModelFlags(cmd, &o)
	return cmd
}

// summaryMetrics are the columns printed on stdout after a run.
var summaryMetrics = []string{"hit@1", "hit@3", "auroc", "auprc"}

// runExperiment runs cfg with the command-line overrides and prints the results.
func runExperiment(ctx context.Context, stdout, stderr io.Writer, cfg experiments.Config, o experimentOptions, backend string) error {
	if o.OutDir != "" {
		cfg.OutDir = o.OutDir
	}
	if o.WorkDir != "" {
		cfg.WorkDir = o.WorkDir
	}
	if o.Model != "" {
		cfg.Model.Dir = o.Model
	}
	if o.Hook != "" {
		cfg.States.Hook = o.Hook
	}
	if o.Model != "" || o.Hook != "" {
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	if backend != "" {
		cfg.Model.Backend = backend
	}
	// The heap a run needs is small next to what GOGC=400 would let it grow to (6 GB for the
	// demo under the default quarter of RAM; 1.4 GB under this budget, no slower).
	if budget, err := experiments.MemoryBudget(cfg); err == nil {
		gctune.Tighten(budget)
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	res, err := experiments.Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	// A compact view on the terminal; results.md has every metric, matrix and note.
	for _, tab := range append(append([]*eval.Table{}, res.Main...), res.Transfer...) {
		if err := tab.WriteText(stdout, summaryMetrics); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "Results: %s (%s: every metric, the cross matrices and notes; CSV tables, PNG plots, assessor/)\n", res.OutDir, experiments.ResultsMarkdown)
	return nil
}

package main

import (
	"context"
	"io"

	"github.com/pttrust/pttrust/internal/gctune"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/states/extract"
	"github.com/spf13/cobra"
)

func newStatesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "states", Short: "Extract line-level hidden states and token statistics"}
	cmd.AddCommand(newStatesExtractCmd())
	return cmd
}

func newStatesExtractCmd() *cobra.Command {
	c := extract.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "extract [--model DIR] --data FILE --hooks blocks.2.resid_post --out DIR",
		Short: "Write per scored line the state at its last token, token log-probs, entropy and lookback ratio (sharded Parquet)",
		Long: `extract runs the model over every snippet of a snippets Parquet file, maps tokens to the
lines they start on, drops blank and punctuation-only lines, and writes per line the hooks'
states at the line's last token, its token count, mean/min token log-prob, mean entropy and
attention lookback ratio. Long snippets run in windows of --window tokens with stride
window/2; every line is scored once. Output: DIR/shard-NNNNN.parquet and DIR/manifest.json.
Rerunning with the same settings resumes after the last complete shard. Snippets that cannot
be read (not UTF-8, empty, unknown language) are reported and skipped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.Backend, _ = cmd.Flags().GetString("backend")
			return runStatesExtract(cmd.Context(), cmd.ErrOrStderr(), c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.ModelDir, "model", "", "Hugging Face checkpoint directory or .gguf file; default: the embedded tinycoder")
	f.StringVar(&c.DataPath, "data", "", "snippets Parquet file (pttrust datasets mutate/import)")
	f.StringVar(&c.OutDir, "out", "", "output directory (shards and manifest.json)")
	f.StringSliceVar(&c.Hooks, "hooks", c.Hooks, "hook points to write at each line's last token (embed, blocks.{L}.resid_pre, blocks.{L}.resid_post, final_norm); default blocks.{layers/4}.resid_post")
	f.IntVar(&c.Window, "window", 0, "tokens per forward pass for long snippets (0: min(context, 1024)); stride window/2")
	f.IntVar(&c.BatchTokens, "batch-tokens", 0, "padded tokens per forward pass (0: 4096)")
	f.IntVar(&c.Workers, "workers", 0, "forward passes run at once (0: 2 when GOMAXPROCS allows; the rows do not depend on it)")
	f.IntVar(&c.ShardSnippets, "shard-snippets", 0, "input snippets per output shard (0: 1024)")
	f.IntVar(&c.AttentionLayer, "attention-layer", -1, "block whose attention gives the lookback ratio (-1: the first hook's layer)")
	f.BoolVar(&c.NoLookback, "no-lookback", false, "skip the attention lookback ratio (saves its extra attention-scores pass on one layer, a few percent)")
	f.BoolVar(&c.NoTokenStats, "no-token-stats", false, "skip the token log-prob and entropy columns: the pass stops after the deepest hook and computes no logits (stage-1 data needs only states)")
	return cmd
}

func runStatesExtract(ctx context.Context, progress io.Writer, c extract.Config) error {
	dir, err := modelDir(c.ModelDir)
	if err != nil {
		return err
	}
	c.ModelDir = dir
	if mc, err := models.ConfigOf(dir); err == nil { // extraction streams: what is live is the model and a shard
		gctune.Tighten(gctune.RunBudget(mc.NumParams()))
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	_, err = extract.Extract(ctx, c, progress)
	return err
}

package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/pttrust/pttrust/internal/smollm2"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tinycoder"
	"github.com/spf13/cobra"
)

func newLMCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "lm", Short: "Work with the language model itself"}
	cmd.AddCommand(newLMLogProbsCmd(), newLMTrainCmd(), newLMConvertCmd())
	return cmd
}

// lmLogProbsOptions are the inputs of `pttrust lm logprobs`.
type lmLogProbsOptions struct {
	ModelDir string
	Backend  string
	Window   int
	Files    []string
}

func newLMLogProbsCmd() *cobra.Command {
	var o lmLogProbsOptions
	cmd := &cobra.Command{
		Use:   "logprobs [--model DIR] FILE...",
		Short: "Print per source line the mean and min token log-prob and the mean entropy",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			o.Backend, _ = cmd.Flags().GetString("backend")
			return runLMLogProbs(cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&o.ModelDir, "model", "", "Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json) or a .gguf file; default: the embedded tinycoder")
	cmd.Flags().IntVar(&o.Window, "window", 0, "tokens per forward pass for long files (0: min(context, 1024))")
	return cmd
}

func runLMLogProbs(w io.Writer, o lmLogProbsOptions) error {
	backend, err := models.NewBackend(o.Backend)
	if err != nil {
		return err
	}
	dir, err := modelDir(o.ModelDir)
	if err != nil {
		return err
	}
	m, tok, err := models.LoadWithTokenizer(dir, backend)
	if err != nil {
		return err
	}
	if o.ModelDir == "" {
		m.Source = tinycoder.ID + " (embedded)"
	}
	failed := 0
	for _, path := range o.Files {
		data, err := os.ReadFile(path)
		if err == nil && len(data) == 0 {
			err = fmt.Errorf("empty file")
		}
		var scores *models.TokenScores
		if err == nil {
			scores, err = models.ScoreText(m, tok, string(data), o.Window)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "pttrust: %s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Fprintf(w, "# %s (%d tokens, model %s)\n", path, len(scores.Tokens), m.Source)
		fmt.Fprintf(w, "%5s %6s %9s %9s %8s  %s\n", "line", "tokens", "mean_lp", "min_lp", "entropy", "text")
		for _, l := range models.LineScores(string(data), scores) {
			fmt.Fprintf(w, "%5d %6d %9s %9s %8s  %s\n", l.Line+1, l.Tokens, num(l.MeanLogProb), num(l.MinLogProb), num(l.MeanEntropy), l.Text)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be scored", failed, len(o.Files))
	}
	return nil
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

// modelDir resolves --model: a directory as given, or the embedded default model (tinycoder).
func modelDir(flag string) (string, error) {
	if flag != "" {
		return smollm2.Resolve(flag) // the name "smollm2" is the GGUF scripts/models/smollm2.sh caches
	}
	return tinycoder.Dir()
}

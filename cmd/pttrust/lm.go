package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/pttrust/pttrust/datasets"
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
	Format   string // text or json
	Files    []string
}

// lmLineJSON is one line of `lm logprobs --format json`; statistics are null where the line has
// no predicted token (the first token of a file).
type lmLineJSON struct {
	Line        int      `json:"line"`
	Tokens      int      `json:"tokens"`
	MeanLogProb *float64 `json:"mean_logprob"`
	MinLogProb  *float64 `json:"min_logprob"`
	MeanEntropy *float64 `json:"mean_entropy"`
	Text        string   `json:"text"`
}

// lmFileJSON is one file of `lm logprobs --format json`.
type lmFileJSON struct {
	Path   string       `json:"path"`
	Tokens int          `json:"tokens"`
	Lines  []lmLineJSON `json:"lines"`
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
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text (a table per file) or json (one document: model, files, lines)")
	return cmd
}

func runLMLogProbs(w io.Writer, o lmLogProbsOptions) error {
	if o.Format == "" {
		o.Format = "text"
	}
	if o.Format != "text" && o.Format != "json" {
		return fmt.Errorf("--format: %q; want text or json", o.Format)
	}
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
	files := []lmFileJSON{}
	for _, path := range o.Files {
		data, err := os.ReadFile(path)
		if err == nil {
			err = datasets.CheckText(data)
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
		if o.Format == "json" {
			f := lmFileJSON{Path: path, Tokens: len(scores.Tokens), Lines: []lmLineJSON{}}
			for _, l := range models.LineScores(string(data), scores) {
				f.Lines = append(f.Lines, lmLineJSON{Line: l.Line + 1, Tokens: l.Tokens, MeanLogProb: orNull(l.MeanLogProb),
					MinLogProb: orNull(l.MinLogProb), MeanEntropy: orNull(l.MeanEntropy), Text: l.Text})
			}
			files = append(files, f)
			continue
		}
		fmt.Fprintf(w, "# %s (%d tokens, model %s)\n", path, len(scores.Tokens), m.Source)
		fmt.Fprintf(w, "%5s %6s %9s %9s %8s  %s\n", "line", "tokens", "mean_lp", "min_lp", "entropy", "text")
		for _, l := range models.LineScores(string(data), scores) {
			fmt.Fprintf(w, "%5d %6d %9s %9s %8s  %s\n", l.Line+1, l.Tokens, num(l.MeanLogProb), num(l.MinLogProb), num(l.MeanEntropy), l.Text)
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		if err := enc.Encode(struct {
			Model string       `json:"model"`
			Files []lmFileJSON `json:"files"`
		}{m.Source, files}); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be scored", failed, len(o.Files))
	}
	return nil
}

// orNull is v, or nil (JSON null) for NaN.
func orNull(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
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

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pttrust/pttrust/eval/report"
	"github.com/pttrust/pttrust/experiments"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/gctune"
)

// scoreOptions are the flags of `score`.
type scoreOptions struct {
	experiments.ScoreOptions
	Format string
	Output string
	Color  string
	// Explain keeps each flagged line's latents and their training-line examples in JSON and
	// SARIF (text and HTML always show them: they are read by people).
	Explain bool
}

func newScoreCmd() *cobra.Command {
	o := scoreOptions{ScoreOptions: experiments.DefaultScoreOptions(), Format: "text", Color: "auto"}
	cmd := &cobra.Command{
		Use:   "score [--model DIR] [--assessor DIR] [--format text|json|sarif|html] FILE|DIR...",
		Short: "Per-line risk for source files (text, JSON, SARIF 2.1.0 or a self-contained HTML report)",
		Long: `score runs the LM over each file, reads the line states, encodes them with the assessor's
SAE and ranks the lines by the binding's risk score; lines at or above the assessor's threshold
are flagged. Without --assessor the shipped default assessor is used (trained by the default
experiment on the embedded tinycoder model). Files that cannot be scored (binary, not UTF-8,
unsupported extension, too large, empty) are reported and the others are still scored; the exit
code is non-zero only when a file cannot be read at all or the model or assessor fails. A
directory is walked like a corpus: the source files below it in the languages pttrust reads,
leaving out vendored (vendor, node_modules, third_party, ...), testdata, generated, minified
and duplicate files; stderr says how many it gave and why others were left out.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Backend, _ = cmd.Flags().GetString("backend")
			return runScore(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ModelDir, "model", "", "Hugging Face checkpoint directory or .gguf file the assessor was trained on; default: the embedded tinycoder")
	f.StringVar(&o.AssessorDir, "assessor", "", "assessor bundle (results/NAME/assessor); default: the shipped default assessor")
	f.StringVar(&o.Format, "format", o.Format, "output format: text, json, sarif or html")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVar(&o.Color, "color", o.Color, "colour the text gutter: auto (when stdout is a terminal), always or never")
	f.IntVar(&o.TopLatents, "top-latents", o.TopLatents, "SAE latents listed per flagged line")
	f.BoolVar(&o.Explain, "explain", false, "JSON and SARIF: include each flagged line's SAE latents and the training lines that fire them (text and HTML always show them)")
	f.IntVar(&o.ExplainTop, "explain-top", o.ExplainTop, "also list latents for this many of each file's riskiest lines, flagged or not")
	f.IntVar(&o.MaxFileBytes, "max-file-bytes", o.MaxFileBytes, "skip larger files")
	return cmd
}

func runScore(ctx context.Context, stdout, stderr io.Writer, o scoreOptions, files []string) error {
	format, err := report.ParseFormat(o.Format)
	if err != nil {
		return err
	}
	if o.Color != "auto" && o.Color != "always" && o.Color != "never" {
		return fmt.Errorf("--color: %q; want auto, always or never", o.Color)
	}
	files, notes, err := experiments.ExpandPaths(files, o.MaxFileBytes)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "score:", n)
	}
	ctx, stop := interruptible(ctx)
	defer stop()
	o.Progress = stderr
	s, err := experiments.NewScorer(o.ScoreOptions)
	if err != nil {
		return err
	}
	gctune.Tighten(s.MemoryBudget()) // files are streamed: what is live is the model and one file
	rep, scoreErr := s.Score(ctx, files)
	if rep == nil {
		return scoreErr
	}
	if (format == report.FormatJSON || format == report.FormatSARIF) && !o.Explain {
		rep = report.WithoutLatents(rep)
	}
	for _, f := range rep.Files {
		if f.Error != "" {
			fmt.Fprintf(stderr, "pttrust: %s: not scored: %s\n", f.Path, f.Error)
		}
	}
	out := stdout
	color := o.Color == "always"
	if o.Output != "" {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, format, false); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(o.Output, buf.Bytes()); err != nil {
			return err
		}
	} else {
		if o.Color == "auto" {
			if f, ok := stdout.(*os.File); ok {
				color = report.ColorWanted(f)
			}
		}
		if err := report.Write(out, rep, format, color); err != nil {
			return err
		}
	}
	if errors.Is(scoreErr, experiments.ErrUnreadable) {
		return scoreErr
	}
	return nil
}

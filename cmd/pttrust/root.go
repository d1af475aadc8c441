package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// newRootCmd assembles the command tree; tests drive it with their own writers.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pttrust",
		Short: "Per-line risk of LLM-written code, read from the LLM's hidden states",
		Long: `pttrust reads a code LLM's internal states to tell which lines of code it got wrong.
Stage 1 pre-trains a sparse autoencoder on line states of unlabeled code; stage 2 binds
its features to risk with a small labeled set and ranks the lines of each snippet.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("backend", "", `GoMLX backend ("go", or "xla:/abs/path/plugin.so" in xla builds); default $GOMLX_BACKEND or "go"`)
	root.AddCommand(newVersionCmd(), newLMCmd(), newDoctorCmd(), newDatasetsCmd(), newStatesCmd(),
		newPretrainCmd(), newFinetuneCmd(), newExperimentCmd(), newDemoCmd(), newScoreCmd())
	return root
}

// interruptible returns ctx (Background when nil) cancelled on Ctrl-C or SIGTERM, so long jobs
// stop cleanly and can resume.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

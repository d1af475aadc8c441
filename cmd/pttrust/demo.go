package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pttrust/pttrust/experiments"
)

func newDemoCmd() *cobra.Command {
	var o experimentOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The main job on the embedded defaults: the default experiment end to end, offline",
		Long: `demo runs the default experiment (experiments/default.toml, embedded in the binary): the
shipped tinycoder model reads mutants of the source code found on this machine (Go, Python,
Java, C, C++, JavaScript), stage 1 pre-trains the SAE, stage 2 binds it to risk, and PtTrust
is compared with every baseline, across languages and across mutation families. Nothing is
downloaded. Stages are cached in the user cache directory, so a second run is quick.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := experiments.Default()
			if o.WorkDir == "" {
				cache, err := os.UserCacheDir()
				if err != nil {
					cache = os.TempDir()
				}
				o.WorkDir = filepath.Join(cache, "pttrust", "demo")
			}
			if o.OutDir == "" {
				o.OutDir = "pttrust-demo"
			}
			backend, _ := cmd.Flags().GetString("backend")
			return runExperiment(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, o, backend)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OutDir, "out", "", "results directory (default ./pttrust-demo)")
	f.StringVar(&o.WorkDir, "work", "", "cache of stage artifacts (default: the user cache directory, pttrust/demo)")
	addModelFlags(cmd, &o)
	return cmd
}

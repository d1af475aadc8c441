package main

import (
	"encoding/json"

	"github.com/pttrust/pttrust/internal/doctor"
	"github.com/spf13/cobra"
)

func newDoctorCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the build, the compute backend and its devices, and the CUDA setup",
		Long: `doctor prints how this binary was built (version, simd), the backends compiled in, whether
the requested backend (--backend, else $GOMLX_BACKEND, else "go") can be created and why not,
its devices, a small matmul check on it, the PJRT CUDA plugins found on this machine and the
state of the NVIDIA driver and libraries. It exits non-zero only when the requested backend
cannot be created.

Examples:
  pttrust doctor
  pttrust doctor --backend xla:cuda
  pttrust doctor --backend xla:/abs/path/jax_plugins/xla_cuda13/xla_cuda_plugin.so --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, _ := cmd.Flags().GetString("backend")
			report, err := doctor.Check(spec)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(report); jerr != nil {
					return jerr
				}
			} else {
				report.WriteText(cmd.OutOrStdout())
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

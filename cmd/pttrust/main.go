// Command pttrust assesses, line by line, the risk that code written by a code LLM is wrong,
// from the LLM's own hidden states. Every subcommand parses flags and calls a library function.
package main

import (
	"fmt"
	"os"

	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/internal/gctune"
	"github.com/pttrust/pttrust/models"
)

func main() {
	if !models.SIMDBuild {
		fmt.Fprintln(os.Stderr, buildinfo.SIMDWarning)
	}
	gctune.Apply()
	if err := newRootCmd(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "pttrust:", err)
		os.Exit(1)
	}
}

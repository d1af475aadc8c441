// Package benchdata finds the public bug benchmarks the project's tests and experiments read:
// ../shared/benchmarks next to the repository (DebugBench and HumanEvalPack as their authors
// publish them; see its README), or the folder $PTTRUST_BENCHMARKS names.
package benchdata

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvVar overrides the location of the benchmarks folder.
const EnvVar = "PTTRUST_BENCHMARKS"

// The benchmarks' folders below Dir.
const (
	DebugBench    = "debugbench"
	HumanEvalPack = "humanevalpack"
)

// Dir returns the benchmarks folder: $PTTRUST_BENCHMARKS, or shared/benchmarks in the parent of
// the module root (found by walking up from the working directory to go.mod). The error says
// where it looked and how to fix it.
func Dir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if !isDir(filepath.Join(d, DebugBench)) || !isDir(filepath.Join(d, HumanEvalPack)) {
			return "", fmt.Errorf("benchmarks: $%s=%s has no %s/ and %s/ folders", EnvVar, d, DebugBench, HumanEvalPack)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", fmt.Errorf("benchmarks: no go.mod above %s", wd)
		}
		root = parent
	}
	d := filepath.Join(filepath.Dir(root), "shared", "benchmarks")
	if !isDir(filepath.Join(d, DebugBench)) || !isDir(filepath.Join(d, HumanEvalPack)) {
		return "", fmt.Errorf("benchmarks: %s has no %s/ and %s/ folders: put DebugBench and HumanEvalPack there "+
			"(see the README's public-benchmark section) or point $%s at a folder that has them", d, DebugBench, HumanEvalPack, EnvVar)
	}
	return d, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

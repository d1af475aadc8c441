package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeTree creates files (slash-separated path -> content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// goFile returns a small valid Go file, distinct per name.
func goFile(name string) string {
	return fmt.Sprintf("// Copyright 2026 The Authors.\n\n// Package a is a test package.\npackage a\n\n// F%s returns a number.\nfunc F%s() int { return %d }\n",
		name, name, len(name))
}

// collect walks roots and returns the files taken and the stats.
func collect(t *testing.T, roots []Root, opts WalkOptions) ([]File, *Stats) {
	t.Helper()
	var files []File
	st, err := Walk(roots, opts, func(f File) error {
		files = append(files, f)
		return nil
	})
	require.NoError(t, err)
	return files, st
}

func paths(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// skipped returns the non-zero skip counts of a language.
func skipped(st *Stats, l Language) map[SkipReason]int {
	out := map[SkipReason]int{}
	if ls := st.Languages[l]; ls != nil {
		for k, v := range ls.Skipped {
			if v != 0 {
				out[k] = v
			}
		}
	}
	return out
}

// testOpts are small-file options for the fake trees.
func testOpts() WalkOptions {
	o := DefaultWalkOptions()
	o.MaxFileBytes = 4096
	return o
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const fixtureModel = "../../models/testdata/golden/qwen2"

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd(&out, &errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	require.NoError(t, err)
	require.Contains(t, out, "pttrust 0.1.0-dev")
	out, _, err = run(t, "version", "--json")
	require.NoError(t, err)
	require.Contains(t, out, `"simd":`)
}

func TestHelpListsCommands(t *testing.T) {
	out, _, err := run(t, "help")
	require.NoError(t, err)
	for _, c := range []string{"lm", "version"} {
		require.Contains(t, out, c)
	}
}

func TestLMLogProbs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a.go")
	require.NoError(t, os.WriteFile(good, []byte("package a\r\n\nfunc f() int {\n\treturn 1 // é\n}"), 0o644))
	out, _, err := run(t, "lm", "logprobs", "--model", fixtureModel, good)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2+5, out) // header, column names, 5 source lines
	require.Contains(t, lines[2], "package a")
	require.Contains(t, lines[5], "return 1 // é")

	// Bad files are reported and the good one is still scored.
	empty := filepath.Join(dir, "empty.go")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	bin := filepath.Join(dir, "bin.go")
	require.NoError(t, os.WriteFile(bin, []byte{'a', 0xff, 0xfe, '\n'}, 0o644))
	nul := filepath.Join(dir, "nul.go") // valid UTF-8 with a NUL byte: binary, as score says
	require.NoError(t, os.WriteFile(nul, []byte("a\x00b\n"), 0o644))
	out, _, err = run(t, "lm", "logprobs", "--model", fixtureModel, empty, filepath.Join(dir, "missing.go"), bin, nul, good)
	require.ErrorContains(t, err, "4 of 5 files could not be scored")
	require.Contains(t, out, "return 1 // é")

	_, _, err = run(t, "lm", "logprobs", "--model", filepath.Join(dir, "nomodel"), good)
	require.ErrorContains(t, err, "config.json")

	// JSON: one document, the same lines, null where a line has no predicted token.
	out, _, err = run(t, "lm", "logprobs", "--format", "json", "--model", fixtureModel, good)
	require.NoError(t, err)
	var doc struct {
		Model string
		Files []struct {
			Path   string
			Tokens int
			Lines  []struct {
				Line        int
				Tokens      int
				MeanLogProb *float64 `json:"mean_logprob"`
				Text        string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.Files, 1)
	f := doc.Files[0]
	require.Equal(t, good, f.Path)
	require.Len(t, f.Lines, 5)
	require.Equal(t, "return 1 // é", strings.TrimSpace(f.Lines[3].Text))
	require.Equal(t, 4, f.Lines[3].Line)
	require.NotNil(t, f.Lines[3].MeanLogProb)
	require.Less(t, *f.Lines[3].MeanLogProb, 0.0)
	_, _, err = run(t, "lm", "logprobs", "--format", "yaml", good)
	require.ErrorContains(t, err, "--format")
}

package experiments

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/atomicfile"
)

// EmbeddedDefaultData is the [data] pinned value of the default study's snippets, embedded in
// the binary: `pttrust demo` reads the same 1 518 snippets on every machine.
const EmbeddedDefaultData = "embedded:default"

// defaultSnippets are the default study's snippets: mutants of 32 files per language of the
// source trees of the machine that made results/default (experiments/defaultdata/README.md).
//
//go:embed defaultdata/snippets.parquet
var defaultSnippets []byte

// isSHA256 reports whether s is 64 lower- or upper-case hex digits.
func isSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// pinnedBytes reads d's pinned snippets file and checks its SHA-256.
func pinnedBytes(d DataConfig) ([]byte, error) {
	b, name := defaultSnippets, "the embedded default snippets"
	if d.Pinned != EmbeddedDefaultData {
		var err error
		if b, err = os.ReadFile(d.Pinned); err != nil {
			return nil, fmt.Errorf("data.pinned: %w", err)
		}
		name = d.Pinned
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, d.PinnedSHA256) {
		return nil, fmt.Errorf("data.pinned: %s has SHA-256 %s, but pinned_sha256 says %s", name, got, d.PinnedSHA256)
	}
	return b, nil
}

// writePinned writes d's pinned snippets to out (atomically) and returns their number; a file
// that is not a snippets Parquet is an error naming it.
func writePinned(d DataConfig, out string) (int, error) {
	b, err := pinnedBytes(d)
	if err != nil {
		return 0, err
	}
	if err := atomicfile.WriteFile(out, b); err != nil {
		return 0, err
	}
	snips, err := datasets.ReadAllSnippets(out)
	if err != nil {
		os.Remove(out)
		return 0, fmt.Errorf("data.pinned %s: %w", d.Pinned, err)
	}
	if len(snips) == 0 {
		os.Remove(out)
		return 0, fmt.Errorf("data.pinned %s: no snippets", d.Pinned)
	}
	return len(snips), nil
}

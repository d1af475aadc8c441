package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzHooks are the hooks of the fuzzed extraction directories.
var fuzzHooks = []string{"blocks.0.resid_post", "blocks.1.resid_post"}

// fuzzRows are the rows of the seed shards: every column used, odd floats included.
func fuzzRows() []Row {
	return []Row{
		{SnippetID: "p/a#buggy", PairID: "p/a", Language: "go", Source: "mutation", Task: "replace_line", Role: "buggy", Split: "train",
			Line: 3, Label: 1, OriginalLine: -1, TokenCount: 4, ContextTokens: 17, MeanLogProb: -1.5, MinLogProb: float32(math.Inf(-1)),
			MeanEntropy: 2.25, LookbackRatio: 0.5, States: [][]float32{{1, -2, 3.5}, {0, float32(math.NaN()), -0}}},
		{SnippetID: "p/a#original", PairID: "p/a", Language: "go", Source: "mutation", Task: "original", Role: "clean", Split: "train",
			Line: 0, States: [][]float32{{}, {4}}},
		{SnippetID: "q#fixed", PairID: "q", Language: "python", Source: "pairs", Task: "pair", Role: "clean", Split: "test",
			Line: 7, OriginalLine: 7, TokenCount: 1, MeanLogProb: float32(math.NaN()), States: [][]float32{{5, 6}, {7, 8}}},
	}
}

// writeFuzzDir writes an extraction directory holding one shard with the given bytes and a
// manifest that lists it with rows rows, its size and no SHA-256 (so that the bytes reach the
// Parquet decoder).
func writeFuzzDir(t *testing.T, dir string, shard []byte, rows int) {
	man := Manifest{Schema: SchemaVersion, Complete: true, Settings: Settings{Schema: SchemaVersion, Hooks: fuzzHooks},
		Shards: []ShardInfo{{File: ShardName(0), Snippets: 1, Rows: rows, Bytes: int64(len(shard))}}, Rows: rows}
	data, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ShardName(0)), shard, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rowsText renders rows for comparison (NaN equals NaN, -0 differs from 0, nil from no value).
func rowsText(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		states := r.States
		r.States = nil
		fmt.Fprintf(&b, "%+v", r)
		for _, s := range states {
			for _, x := range s {
				fmt.Fprintf(&b, " %08x", math.Float32bits(x))
			}
			b.WriteString(";")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// FuzzScanRows feeds arbitrary bytes, as a shard of an extraction directory, to ScanRows. It
// must never panic: it returns an error naming the shard, or rows with one state vector per
// asked hook, as many as the manifest says. Rows it accepts survive a round trip through the
// shard writer unchanged. The seeds are shards written by writeShard, cut and altered; the corpus
// is kept in testdata/fuzz/FuzzScanRows.
func FuzzScanRows(f *testing.F) {
	rows := fuzzRows()
	cols := []string{StateColumn(fuzzHooks[0]), StateColumn(fuzzHooks[1])}
	for _, rs := range [][]Row{rows, rows[:1], nil} {
		p := filepath.Join(f.TempDir(), ShardName(0))
		if _, _, err := writeShard(p, cols, fuzzHooks, rs); err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(len(rs)), uint8(0))
		if len(rs) == len(rows) {
			f.Add(data, uint8(len(rs)), uint8(2))
			f.Add(data[:len(data)-len(data)/3], uint8(len(rs)), uint8(1))
			c := bytes.Clone(data)
			c[len(c)-30] ^= 0x08 // in the footer
			f.Add(c, uint8(len(rs)), uint8(3))
		}
	}
	f.Add([]byte("PAR1PAR1"), uint8(0), uint8(0))

	f.Fuzz(func(t *testing.T, shard []byte, nRows, hookSel uint8) {
		dir := t.TempDir()
		writeFuzzDir(t, dir, shard, int(nRows))
		// hookSel picks the hooks asked for: all (nil), the first, the second, or both reversed.
		hooks := [][]string{nil, fuzzHooks[:1], fuzzHooks[1:], {fuzzHooks[1], fuzzHooks[0]}}[hookSel%4]
		got, err := ReadRows(dir, hooks)
		if err != nil {
			if p := filepath.Join(dir, ShardName(0)); !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the shard %s: %v", p, err)
			}
			return
		}
		if hooks == nil {
			hooks = fuzzHooks
		}
		if len(got) != int(nRows) {
			t.Fatalf("%d rows, the manifest says %d", len(got), nRows)
		}
		for i, r := range got {
			if len(r.States) != len(hooks) {
				t.Fatalf("row %d: %d state vectors for %d hooks", i, len(r.States), len(hooks))
			}
		}

		// Round trip: the accepted rows written as a shard read back the same.
		dir2 := t.TempDir()
		cols := make([]string, len(hooks))
		for i, h := range hooks {
			cols[i] = StateColumn(h)
		}
		p := filepath.Join(dir2, ShardName(0))
		if _, _, err := writeShard(p, cols, hooks, got); err != nil {
			t.Fatalf("accepted rows cannot be written back: %v", err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFuzzDir(t, dir2, data, len(got))
		back, err := ReadRows(dir2, hooks)
		if err != nil || rowsText(back) != rowsText(got) {
			t.Fatalf("round trip changed the rows (%v):\n%s\n%s", err, rowsText(got), rowsText(back))
		}
	})
}

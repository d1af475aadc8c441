package extract

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pttrust/pttrust/datasets"
)

// ScanRows reads back what an extraction wrote: the same rows, in order, as a typed parquet-go
// read of the shards (readShards), and reports bad directories by name.
func TestScanRows(t *testing.T) {
	m, tok := loadModel(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	require.NoError(t, datasets.WriteSnippetSlice(data, corpus(7)))
	cfg := testConfig(data, filepath.Join(dir, "out"))
	cfg.Hooks = []string{"blocks.0.resid_post", testHook}
	_, err := extractWith(context.Background(), cfg, m, tok, nil)
	require.NoError(t, err)

	want := readShards(t, cfg.OutDir)
	got, err := ReadRows(cfg.OutDir, []string{testHook})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i, w := range want {
		g := got[i]
		require.Equal(t, w.SnippetID, g.SnippetID)
		require.Equal(t, w.Line, g.Line)
		require.Equal(t, w.Label, g.Label)
		require.Equal(t, w.OriginalLine, g.OriginalLine)
		require.Equal(t, w.TokenCount, g.TokenCount)
		require.Equal(t, w.MeanLogProb, g.MeanLogProb)
		require.Len(t, g.States, 1)
		require.Equal(t, w.State, g.States[0], "row %d", i)
	}
	// nil hooks: every hook, in the manifest's order.
	all, err := ReadRows(cfg.OutDir, nil)
	require.NoError(t, err)
	require.Len(t, all[0].States, 2)
	require.Equal(t, got[0].States[0], all[0].States[1])
	shards := map[int]bool{}
	require.NoError(t, ScanRows(cfg.OutDir, nil, func(s int, _ Row) error { shards[s] = true; return nil }))
	require.Len(t, shards, 2) // 7 snippets, 5 per shard

	_, err = ReadRows(cfg.OutDir, []string{"blocks.1.resid_pre"})
	require.ErrorContains(t, err, `hook "blocks.1.resid_pre" was not extracted`)
	_, err = ReadRows(t.TempDir(), nil)
	require.ErrorContains(t, err, "not an extraction directory")

	// In one process, shards with 1 to 4 bytes overwritten (the size kept) are each read
	// exactly as written or an error naming the shard: the SHA-256 mismatch (checked alongside
	// the decoding), with none of the shard's rows handed over.
	shard := filepath.Join(cfg.OutDir, ShardName(1))
	b, err := os.ReadFile(shard)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 5))
	errs := 0
	for range 300 {
		c := slices.Clone(b)
		for range 1 + rng.IntN(4) {
			c[rng.IntN(len(c))] = byte(rng.IntN(256))
		}
		require.NoError(t, os.WriteFile(shard, c, 0o644))
		rows, err := ReadRows(cfg.OutDir, nil)
		if err != nil {
			require.ErrorContains(t, err, ShardName(1))
			require.ErrorContains(t, err, "corrupt shard: its SHA-256 is")
			fromCorrupt := 0
			require.Error(t, ScanRows(cfg.OutDir, nil, func(s int, _ Row) error {
				if s == 1 {
					fromCorrupt++
				}
				return nil
			}))
			require.Zero(t, fromCorrupt, "rows of a corrupt shard handed over")
			errs++
			continue
		}
		require.True(t, reflect.DeepEqual(all, rows), "a corrupt shard read without error with other values")
	}
	t.Logf("300 corrupted shards: %d errors, the others byte-identical", errs)
	require.Greater(t, errs, 250)
	c := slices.Clone(b)
	c[len(c)-20] ^= 0xff // in the footer
	require.NoError(t, os.WriteFile(shard, c, 0o644))
	_, err = ReadRows(cfg.OutDir, nil)
	require.ErrorContains(t, err, "corrupt shard: its SHA-256 is")

	// A truncated shard is named.
	require.NoError(t, os.WriteFile(shard, b[:len(b)/2], 0o644))
	_, err = ReadRows(cfg.OutDir, nil)
	require.ErrorContains(t, err, ShardName(1))
	require.ErrorContains(t, err, "truncated")
}

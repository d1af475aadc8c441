package extract

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchRows builds n shard rows with one state vector of width d per hook: a seeded Gaussian
// for the states (they compress like real states: barely) and short repeated strings.
func benchRows(n, d int, hooks int) []Row {
	rng := rand.New(rand.NewPCG(7, 11))
	rows := make([]Row, n)
	for i := range rows {
		r := Row{SnippetID: "snip-" + string(rune('a'+i%26)), PairID: "pair", Language: "go", Source: "mutate",
			Task: "container", Role: "mutant", Split: "train", Line: int32(i % 40), Label: int32(i % 2),
			OriginalLine: int32(i % 40), TokenCount: 7, ContextTokens: int32(i % 512),
			MeanLogProb: -1.5, MinLogProb: -4, MeanEntropy: 2, LookbackRatio: 0.5}
		for range hooks {
			s := make([]float32, d)
			for j := range s {
				s[j] = float32(rng.NormFloat64())
			}
			r.States = append(r.States, s)
		}
		rows[i] = r
	}
	return rows
}

// BenchmarkShardWrite writes 2112 rows of one 576-wide state (the size of the peers' SmolLM2
// shard) with the shard writer; MB/s counts the file's bytes.
func BenchmarkShardWrite(b *testing.B) {
	rows := benchRows(2112, 576, 1)
	hooks := []string{"blocks.7.resid_post"}
	columns := []string{StateColumn(hooks[0])}
	path := filepath.Join(b.TempDir(), ShardName(0))
	var size int64
	for range b.N {
		var err error
		if _, size, err = writeShard(path, columns, hooks, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
}

// BenchmarkShardRead reads back the shard of BenchmarkShardWrite with the shard reader (SHA-256
// check, every row decoded); MB/s counts the file's bytes.
func BenchmarkShardRead(b *testing.B) {
	rows := benchRows(2112, 576, 1)
	hooks := []string{"blocks.7.resid_post"}
	columns := []string{StateColumn(hooks[0])}
	path := filepath.Join(b.TempDir(), ShardName(0))
	sum, size, err := writeShard(path, columns, hooks, rows)
	require.NoError(b, err)
	info := ShardInfo{File: ShardName(0), Rows: len(rows), SHA256: sum, Bytes: size}
	b.ResetTimer()
	for range b.N {
		n := 0
		require.NoError(b, scanShard(path, info, columns, func(r Row) error { n += len(r.States[0]); return nil }))
		require.Equal(b, len(rows)*576, n)
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
}

// TestScanShardRowGroups: a shard of three row groups (the last short) reads back row for row,
// the state columns decoded a row group at a time, and a manifest that counts a row more or
// less is an error naming the shard.
func TestScanShardRowGroups(t *testing.T) {
	rows := benchRows(2*rowsPerGroup+5, 3, 2)
	hooks := []string{"blocks.0.resid_post", "blocks.1.resid_post"}
	columns := []string{StateColumn(hooks[0]), StateColumn(hooks[1])}
	path := filepath.Join(t.TempDir(), ShardName(0))
	sum, size, err := writeShard(path, columns, hooks, rows)
	require.NoError(t, err)
	for _, cols := range [][]string{columns, {columns[1]}} {
		var got []Row
		require.NoError(t, scanShard(path, ShardInfo{Rows: len(rows), SHA256: sum, Bytes: size}, cols,
			func(r Row) error { got = append(got, r); return nil }))
		require.Len(t, got, len(rows))
		for i := range rows {
			want := rows[i]
			if len(cols) == 1 {
				want.States = want.States[1:]
			}
			require.Equal(t, want, got[i], "row %d", i)
		}
	}
	for _, n := range []int{len(rows) - 1, len(rows) + 1} {
		err := scanShard(path, ShardInfo{Rows: n, SHA256: sum, Bytes: size}, columns, func(Row) error { return nil })
		require.ErrorContains(t, err, path)
	}
}

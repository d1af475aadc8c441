package extract

import (
	"fmt"
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
// shard) with the shard writer, through parquet-go's typed column writer (the default up to
// maxColumnarStates hooks) and through the reflect row path (more hooks); MB/s counts the
// file's bytes (the same file both ways).
func BenchmarkShardWrite(b *testing.B) {
	rows := benchRows(2112, 576, 1)
	hooks := []string{"blocks.7.resid_post"}
	columns := []string{StateColumn(hooks[0])}
	for _, w := range []struct {
		name  string
		write shardWriteFunc
	}{{"columnar", writeColumnar}, {"reflect", writeReflect}} {
		b.Run(w.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), ShardName(0))
			var size int64
			for range b.N {
				var err error
				if _, size, err = writeShardWith(path, columns, hooks, rows, w.write); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
		})
	}
}

// TestColumnarSameBytes: the typed column writer and the reflect row writer write the same
// file, byte for byte, for 1 to maxColumnarStates hooks and for shards of several row groups
// and several pages per state column (writing rows in chunks cut the pages elsewhere: the same
// values in other bytes); writeShard takes the reflect path past maxColumnarStates hooks, and
// every row reads back.
func TestColumnarSameBytes(t *testing.T) {
	for _, tc := range []struct{ rows, width, hooks int }{
		{600, 16, 1}, {600, 16, 3}, {600, 16, maxColumnarStates}, {600, 16, maxColumnarStates + 2},
		{2*rowsPerGroup + 5, 64, 1}, {rowsPerGroup + 1, 8, 3},
	} {
		nh := tc.hooks
		rows := benchRows(tc.rows, tc.width, nh)
		var hooks, columns []string
		for i := range nh {
			h := fmt.Sprintf("blocks.%d.resid_post", i)
			hooks = append(hooks, h)
			columns = append(columns, StateColumn(h))
		}
		dir := t.TempDir()
		pa, pb := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
		a, na, err := writeShard(pa, columns, hooks, rows)
		require.NoError(t, err)
		b, nb, err := writeShardWith(pb, columns, hooks, rows, writeReflect)
		require.NoError(t, err)
		require.Equal(t, b, a, "%+v: SHA-256 of the default writer's file (%d bytes) vs the reflect writer's (%d bytes)", tc, na, nb)
		if nh <= maxColumnarStates {
			c, _, err := writeShardWith(pb, columns, hooks, rows, writeColumnar)
			require.NoError(t, err)
			require.Equal(t, b, c, "%+v: columnar vs reflect", tc)
		}
		var got []Row
		require.NoError(t, scanShard(pa, ShardInfo{Rows: len(rows), SHA256: a, Bytes: na}, columns,
			func(r Row) error { got = append(got, r); return nil }))
		require.Equal(t, rows, got, "%+v: rows read back", tc)
	}
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

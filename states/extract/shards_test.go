package extract

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/pttrust/pttrust/datasets"
	"github.com/stretchr/testify/require"
)

// Shards computed one at a time, in a shuffled order, and the manifest made from them are the
// bytes Extract writes (bad snippets included, so shards carry problems).
func TestShardExtractorMatchesExtract(t *testing.T) {
	m, tok := loadModel(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "snippets.parquet")
	snips := corpus(12)
	snips[4].Code = "x\xff\n" // not UTF-8: skipped with a problem
	writeRaw(t, data, snips)
	want := testConfig(data, filepath.Join(dir, "want"))
	_, err := extractWith(context.Background(), want, m, tok, nil)
	require.NoError(t, err)

	got := want
	got.OutDir = filepath.Join(dir, "got")
	sum, size, err := fileSHA256(data)
	require.NoError(t, err)
	x, err := NewShardExtractor(got, m, tok, DataInfo{SHA256: sum, Bytes: size, Snippets: len(snips)})
	require.NoError(t, err)
	ranges := x.Ranges()
	require.Equal(t, []SnippetRange{{0, 5}, {5, 10}, {10, 12}}, ranges)
	infos := make([]ShardInfo, len(ranges))
	for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(len(ranges)) {
		infos[i], err = x.Extract(context.Background(), i, snips[ranges[i].First:ranges[i].End])
		require.NoError(t, err)
	}
	_, err = x.Extract(context.Background(), 0, snips[:4])
	require.ErrorContains(t, err, "got 4 snippets, want 5")
	require.NoError(t, WriteManifest(got.OutDir, NewManifest(x.Settings(), got.ModelDir, got.DataPath, infos)))

	for _, name := range []string{ShardName(0), ShardName(1), ShardName(2), ManifestName} {
		a, err := os.ReadFile(filepath.Join(want.OutDir, name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(got.OutDir, name))
		require.NoError(t, err)
		require.Equal(t, a, b, name)
	}
	man, err := ReadManifest(got.OutDir)
	require.NoError(t, err)
	require.True(t, man.Complete)
	require.NotEmpty(t, man.Shards[0].Problems)
	require.Equal(t, []SnippetRange(nil), ShardRanges(0, 0))
	require.Len(t, ShardRanges(datasets.LineCount("a"), 0), 1)
}

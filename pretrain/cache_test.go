package pretrain

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingSource counts the Scans that reach the underlying source.
type countingSource struct {
	Source
	scans int
}

func (c *countingSource) Scan(ctx context.Context, fn func(Item) error) error {
	c.scans++
	return c.Source.Scan(ctx, fn)
}

// The cache hands over the same items in the same order; it fills only on a whole Scan and only
// when the items fit.
func TestCachedSourceReplays(t *testing.T) {
	states, _ := writeStates(t)
	src, err := OpenStates(states, "", "train")
	require.NoError(t, err)
	collect := func(s Source) [][]float32 { return scanVectors(t, s) }
	want := collect(src)
	bytes := int64(4 * len(want) * len(want[0]))

	under := &countingSource{Source: src}
	c := withCache(under, bytes)
	stop := errors.New("stop")
	require.ErrorIs(t, c.Scan(context.Background(), func(Item) error { return stop }), stop)
	for range 3 {
		require.Equal(t, want, collect(c))
	}
	require.Equal(t, 2, under.scans, "the stopped scan and the first whole one read the shards; later ones replay")

	small := &countingSource{Source: src}
	c = withCache(small, bytes-1)
	for range 3 {
		require.Equal(t, want, collect(c))
	}
	require.Equal(t, 3, small.scans, "data over the budget are streamed every time")

	require.Same(t, src, withCache(src, 0).(*StatesSource))
	slice := &SliceSource{}
	require.Same(t, slice, withCache(slice, 1<<30).(*SliceSource))
}

// A run trains the same bytes with the states cached in memory, streamed every epoch, and
// cached with too small a budget.
func TestTrainSameWithCache(t *testing.T) {
	states, _ := writeStates(t)
	var files [][]byte
	for _, cache := range []int64{0, -1, 1024} {
		cfg := testConfig(t.TempDir())
		cfg.StatesDir, cfg.Split, cfg.MemoryCache = states, "train", cache
		cfg.Latents, cfg.K, cfg.Epochs, cfg.ColdStartEpochs, cfg.BatchSize, cfg.ShuffleBuffer, cfg.EvalEvery = 32, 4, 3, 1, 16, 64, 2
		_, err := Train(context.Background(), cfg, nil)
		require.NoError(t, err)
		files = append(files, saeBytes(t, cfg.OutDir))
	}
	require.Equal(t, files[0], files[1])
	require.Equal(t, files[0], files[2])
}

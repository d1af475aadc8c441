package pretrain

import "context"

// DefaultMemoryCache is the Config.MemoryCache used when it is 0: 256 MiB of line states (about
// 116 000 lines of d_model 576).
const DefaultMemoryCache = 256 << 20

// memoryCache is Config.MemoryCache with the default filled in; 0 or less: no cache.
func (c Config) memoryCache() int64 {
	switch {
	case c.MemoryCache == 0:
		return DefaultMemoryCache
	case c.MemoryCache < 0:
		return 0
	}
	return c.MemoryCache
}

// cachedSource replays a Source from memory once one Scan has handed over every item and they
// fit in budget bytes: the later passes (each epoch) then skip reading, checking and decoding the
// Parquet shards. It hands over the same items in the same order as the Source, so a run gives
// the same result with or without it. A Scan stopped early (b_pre's sample, an error) caches
// nothing; data over the budget are streamed on every pass, as without a cache.
type cachedSource struct {
	Source
	budget int64
	items  []Item // every item, once complete
	full   bool   // items holds a whole Scan
	over   bool   // the data do not fit the budget
}

// withCache wraps src in a cachedSource, unless the budget is 0 or src is already in memory.
func withCache(src Source, budget int64) Source {
	if _, inMemory := src.(*SliceSource); inMemory || budget <= 0 {
		return src
	}
	return &cachedSource{Source: src, budget: budget}
}

// Scan implements Source.
func (c *cachedSource) Scan(ctx context.Context, fn func(Item) error) error {
	if c.full {
		return (&SliceSource{Items: c.items}).Scan(ctx, fn)
	}
	if c.over {
		return c.Source.Scan(ctx, fn)
	}
	var items []Item
	var bytes int64
	keep := true
	err := c.Source.Scan(ctx, func(it Item) error {
		if keep {
			bytes += int64(4 * len(it.Line) * (1 + len(it.Mutants)))
			if keep = bytes <= c.budget; keep {
				items = append(items, it)
			} else {
				items = nil
			}
		}
		return fn(it)
	})
	if err != nil {
		return err
	}
	c.items, c.full, c.over = items, keep, !keep
	return nil
}

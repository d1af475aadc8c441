package tokenizer

import "sync"

const (
	// wordCacheCapacity bounds the BPE word cache; it is cleared when full.
	wordCacheCapacity = 100_000
	// maxCachedWordLen is the longest piece (in bytes) that is cached.
	maxCachedWordLen = 256
)

// wordCache maps a pre-tokenized piece to its BPE tokens. It is safe for concurrent use.
type wordCache struct {
	mu       sync.RWMutex
	m        map[string][]bpeTok
	capacity int
}

// newWordCache returns an empty cache holding at most capacity words.
func newWordCache(capacity int) *wordCache {
	return &wordCache{m: make(map[string][]bpeTok), capacity: capacity}
}

// get returns the cached tokens of w.
func (c *wordCache) get(w string) ([]bpeTok, bool) {
	c.mu.RLock()
	toks, ok := c.m[w]
	c.mu.RUnlock()
	return toks, ok
}

// put stores the tokens of w, clearing the cache first if it is full.
func (c *wordCache) put(w string, toks []bpeTok) {
	c.mu.Lock()
	if len(c.m) >= c.capacity {
		clear(c.m)
	}
	c.m[w] = toks
	c.mu.Unlock()
}

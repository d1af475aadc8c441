package tokenizer

import (
	"slices"
	"sync"
	"testing"
)

// TestConcurrentEncode checks that one Tokenizer can be used from several goroutines (run
// with -race) and gives the same ids as sequential use.
func TestConcurrentEncode(t *testing.T) {
	files := corpus(t)
	for _, name := range []string{"qwen3", "llama2"} {
		tk := fixture(t, name)
		want := make([][]int, len(files))
		for i, f := range files {
			want[i] = tk.IDs(tk.Encode(f.text))
		}
		tk.model.cache = newWordCache(16) // small, so goroutines also race on clearing it
		var wg sync.WaitGroup
		errs := make(chan string, 8*len(files))
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range files {
					i := (k + g) % len(files)
					if !slices.Equal(tk.IDs(tk.Encode(files[i].text)), want[i]) {
						errs <- files[i].name
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("%s: concurrent encoding of %s differs", name, e)
		}
		tk.model.cache = newWordCache(wordCacheCapacity)
	}
}

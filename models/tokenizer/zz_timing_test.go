package tokenizer

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	root := os.Getenv("ZZ_ROOT")
	if root == "" {
		t.Skip()
	}
	var paths []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "/testdata/") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	rng := rand.New(rand.NewPCG(1, 1))
	rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	limit := 20 << 20
	if os.Getenv("ZZ_MB") != "" {
		limit = 50 << 20
	}
	var train, held []string
	var nTrain, nHeld int
	for i, p := range paths {
		data, _ := os.ReadFile(p)
		if i%10 == 9 {
			if nHeld < 2<<20 {
				held = append(held, string(data))
				nHeld += len(data)
			}
			continue
		}
		if nTrain < limit {
			train = append(train, string(data))
			nTrain += len(data)
		}
	}
	tr, _ := NewTrainer(TrainOptions{VocabSize: 8192, SpecialTokens: []string{"<|endoftext|>"}})
	t0 := time.Now()
	for _, s := range train {
		tr.Add(s)
	}
	dAdd := time.Since(t0)
	t.Logf("Add: %d files %.1f MB in %v = %.1f MB/s; stats %+v", len(train), float64(nTrain)/1e6, dAdd, float64(nTrain)/1e6/dAdd.Seconds(), tr.Stats())
	t0 = time.Now()
	tj, err := tr.Train()
	if err != nil {
		t.Fatal(err)
	}
	dTrain := time.Since(t0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("Train: %v; merges %d vocab %d; heap sys %d MB", dTrain, len(tj.Merges), len(tj.Vocab), ms.HeapSys>>20)
	if err := tj.WriteFile("/tmp/tok8k.json"); err != nil {
		t.Fatal(err)
	}
	tk, err := tj.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	nt := 0
	t0 = time.Now()
	for _, s := range held {
		toks := tk.Encode(s)
		nt += len(toks)
		if tk.Decode(tk.IDs(toks)) != s {
			t.Fatal("round trip")
		}
		for _, tok := range toks {
			if !lineSafe(s[tok.Start:tok.End]) {
				t.Fatalf("token %q", s[tok.Start:tok.End])
			}
		}
	}
	t.Logf("held-out %d files %.1f MB: %.3f tokens/byte (%.2f bytes/token); encode+decode %v", len(held), float64(nHeld)/1e6, float64(nt)/float64(nHeld), float64(nHeld)/float64(nt), time.Since(t0))
	t.Logf("last merges %q", tj.Merges[len(tj.Merges)-10:])
}

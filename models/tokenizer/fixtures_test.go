package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// fixtureNames are the gzipped tokenizer.json files in testdata (see testdata/README.md).
var fixtureNames = []string{"qwen3", "llama2", "gpt2", "gpt4o"}

// byteLevelFixtures are the fixtures whose model is byte-level BPE.
var byteLevelFixtures = map[string]bool{"qwen3": true, "gpt2": true, "gpt4o": true}

var (
	fixtureMu    sync.Mutex
	fixtureCache = map[string]*Tokenizer{}
)

// fixtureJSON returns the gunzipped testdata/<name>.tokenizer.json.gz.
func fixtureJSON(tb testing.TB, name string) []byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".tokenizer.json.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// fixture loads (once per test binary) the tokenizer of a fixture.
func fixture(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if t, ok := fixtureCache[name]; ok {
		return t
	}
	t, err := FromJSON(fixtureJSON(tb, name))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	fixtureCache[name] = t
	return t
}

// goldenRecord is the reference output for one text.
type goldenRecord struct {
	Text       string `json:"text"`
	IDs        []int  `json:"ids"`
	IDsSpecial []int  `json:"ids_special"`
}

// goldenFile is testdata/golden_<name>.json, written by testdata/gen_golden.mjs.
type goldenFile struct {
	Tokenizer string                  `json:"tokenizer"`
	Files     map[string]goldenRecord `json:"files"`
	Cases     []goldenRecord          `json:"cases"`
}

// golden reads testdata/golden_<name>.json.
func golden(tb testing.TB, name string) goldenFile {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden_"+name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		tb.Fatal(err)
	}
	return g
}

// corpusFile is one file of testdata/corpus.
type corpusFile struct {
	name string
	text string
}

// corpus reads testdata/corpus/* in name order.
func corpus(tb testing.TB) []corpusFile {
	tb.Helper()
	ents, err := os.ReadDir(filepath.Join("testdata", "corpus"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []corpusFile
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join("testdata", "corpus", e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, corpusFile{e.Name(), string(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// concatSpans joins text[Start:End] over toks.
func concatSpans(text string, toks []Token) string {
	var b bytes.Buffer
	for _, t := range toks {
		b.WriteString(text[t.Start:t.End])
	}
	return b.String()
}

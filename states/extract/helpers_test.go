package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
	"github.com/stretchr/testify/require"
)

// goldenQwen2 is a tiny random Qwen2 model (3 layers, d_model 64, 4 heads, context 128) with a
// byte-level tokenizer (one token per byte).
var goldenQwen2 = filepath.Join("..", "..", "models", "testdata", "golden", "qwen2")

var (
	modelOnce sync.Once
	testModel *models.Model
	testTok   *tokenizer.Tokenizer
	modelErr  error
)

func loadModel(tb testing.TB) (*models.Model, *tokenizer.Tokenizer) {
	tb.Helper()
	modelOnce.Do(func() {
		backend, err := models.NewBackend("go")
		if err != nil {
			modelErr = err
			return
		}
		testModel, testTok, modelErr = models.LoadWithTokenizer(goldenQwen2, backend)
	})
	require.NoError(tb, modelErr)
	return testModel, testTok
}

// snip makes a valid clean snippet.
func snip(id string, lang datasets.Language, code string) datasets.Snippet {
	n := datasets.LineCount(code)
	labels, orig := make([]int32, n), make([]int32, n)
	for i := range orig {
		orig[i] = int32(i)
	}
	return datasets.Snippet{ID: id, PairID: id, Language: lang, Source: "test", Task: "original",
		Role: datasets.RoleClean, Split: datasets.Train, Code: code, Labels: labels, OriginalLine: orig}
}

// buggy marks line l of s as risky.
func buggy(s datasets.Snippet, l int) datasets.Snippet {
	s.Labels = append([]int32(nil), s.Labels...)
	s.Labels[l] = 1
	s.Role = datasets.RoleBuggy
	return s
}

// writeRaw writes rows without validation (bad rows included).
func writeRaw(tb testing.TB, path string, rows []datasets.Snippet) {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	w := parquet.NewGenericWriter[datasets.Snippet](f, parquet.MaxRowsPerRowGroup(7))
	_, err = w.Write(rows)
	require.NoError(tb, err)
	require.NoError(tb, w.Close())
	require.NoError(tb, f.Close())
}

var goLines = []string{
	"func add(a, b int) int {", "\treturn a + b", "}", "", "for i := 0; i < n; i++ {", "\tsum += i * 2",
	"}", "x := map[string]int{}", "if err != nil {", "\treturn err", "}", "// comment é变量",
}

var pyLines = []string{
	"def add(a, b):", "    return a + b", "", "for i in range(n):", "    total += i", "x = {'a': 1}",
	"if x is None:", "    raise ValueError('bad')", "print(x)",
}

// corpus makes n valid snippets of varied length (2 to 7 lines, some CRLF, some without a final
// newline), deterministic.
func corpus(n int) []datasets.Snippet {
	out := make([]datasets.Snippet, n)
	for i := range out {
		src, lang := goLines, datasets.Go
		if i%3 == 1 {
			src, lang = pyLines, datasets.Python
		}
		k := 2 + (i*5)%6
		var b strings.Builder
		for j := range k {
			b.WriteString(src[(i+j)%len(src)])
			switch {
			case j == k-1 && i%4 == 2: // no final newline
			case i%5 == 3:
				b.WriteString("\r\n")
			default:
				b.WriteString("\n")
			}
		}
		s := snip(fmt.Sprintf("s%04d", i), lang, b.String())
		if i%2 == 1 {
			s = buggy(s, (i/2)%k)
		}
		out[i] = s
	}
	return out
}

// corpusFile writes corpus(n) to a snippets file in a new temporary folder and returns the
// folder, the file and the snippets.
func corpusFile(tb testing.TB, n int) (dir, data string, snips []datasets.Snippet) {
	tb.Helper()
	dir = tb.TempDir()
	data = filepath.Join(dir, "snippets.parquet")
	snips = corpus(n)
	require.NoError(tb, datasets.WriteSnippetSlice(data, snips))
	return dir, data, snips
}

// readRow is a shard row with one state column, blocks.1.resid_post.
type readRow struct {
	SnippetID     string    `parquet:"snippet_id"`
	PairID        string    `parquet:"pair_id"`
	Language      string    `parquet:"language"`
	Role          string    `parquet:"role"`
	Line          int32     `parquet:"line"`
	Label         int32     `parquet:"label"`
	OriginalLine  int32     `parquet:"original_line"`
	TokenCount    int32     `parquet:"token_count"`
	ContextTokens int32     `parquet:"context_tokens"`
	MeanLogProb   float32   `parquet:"mean_logprob"`
	MinLogProb    float32   `parquet:"min_logprob"`
	MeanEntropy   float32   `parquet:"mean_entropy"`
	LookbackRatio float32   `parquet:"lookback_ratio"`
	State         []float32 `parquet:"state_blocks_1_resid_post,list"`
}

const testHook = "blocks.1.resid_post"

func readShards(tb testing.TB, dir string) []readRow {
	tb.Helper()
	man, err := ReadManifest(dir)
	require.NoError(tb, err)
	var all []readRow
	for _, sh := range man.Shards {
		rows, err := parquet.ReadFile[readRow](filepath.Join(dir, sh.File))
		require.NoError(tb, err)
		require.Len(tb, rows, sh.Rows, sh.File)
		sum, _, err := fileSHA256(filepath.Join(dir, sh.File))
		require.NoError(tb, err)
		require.Equal(tb, sh.SHA256, sum, sh.File)
		all = append(all, rows...)
	}
	return all
}

func testConfig(data, out string) Config {
	c := DefaultConfig()
	c.ModelDir, c.DataPath, c.OutDir = goldenQwen2, data, out
	c.Hooks = []string{testHook}
	c.ShardSnippets = 5
	c.Backend = "go"
	return c
}

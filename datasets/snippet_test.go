package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
)

func sampleSnippets() []Snippet {
	return []Snippet{
		{ID: "p1#original", PairID: "p1", Language: Go, Source: "mutation", Task: TaskOriginal, Role: RoleClean, Split: Train,
			Code: "package a\r\n\nfunc f() int { return 1 } // é\n", Labels: []int32{0, 0, 0}, OriginalLine: []int32{0, 1, 2},
			Provenance: `{"generator":"test","path":"go:a.go"}`},
		{ID: "p1#delete_line.0", PairID: "p1", Language: Go, Source: "mutation", Task: string(OpDeleteLine), Role: RoleBuggy, Split: Train,
			Code: "package a\r\nfunc f() int { return 1 } // é", Labels: []int32{1, 0}, OriginalLine: []int32{0, 2}},
		{ID: "p2#buggy", PairID: "p2", Language: Python, Source: "debugbench", Task: "condition error", Role: RoleBuggy, Split: Test,
			Code: "x = 1\n\ny = 2\n", Labels: []int32{0, 0, 1}, OriginalLine: []int32{0, -1, -1}, Category: "logic", Group: "two-sum"},
	}
}

func TestSnippetsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.parquet")
	rows := sampleSnippets()
	require.NoError(t, WriteSnippetSlice(path, rows))
	got, err := ReadAllSnippets(path)
	require.NoError(t, err)
	require.Equal(t, rows, got)
	// Early stop.
	n := 0
	require.NoError(t, ReadSnippets(path, func(Snippet) error { n++; return StopWalk }))
	require.Equal(t, 1, n)
	// An error of fn comes back as is.
	boom := fmt.Errorf("boom")
	require.ErrorIs(t, ReadSnippets(path, func(Snippet) error { return boom }), boom)
	// No rows at all is a valid file.
	empty := filepath.Join(t.TempDir(), "empty.parquet")
	require.NoError(t, WriteSnippetSlice(empty, nil))
	got, err = ReadAllSnippets(empty)
	require.NoError(t, err)
	require.Empty(t, got)
}

// snippetV1 is a row of the first schema (snippets/1), before category and group.
type snippetV1 struct {
	ID           string   `parquet:"id"`
	PairID       string   `parquet:"pair_id"`
	Language     Language `parquet:"language,dict"`
	Source       string   `parquet:"source,dict"`
	Task         string   `parquet:"task,dict"`
	Role         Role     `parquet:"role,dict"`
	Split        Split    `parquet:"split,dict"`
	Code         string   `parquet:"code"`
	Labels       []int32  `parquet:"labels,list"`
	OriginalLine []int32  `parquet:"original_line,list"`
	Provenance   string   `parquet:"provenance"`
}

// Files written before category and group existed still read, with both empty.
func TestSnippetsOldSchemaReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.parquet")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := parquet.NewGenericWriter[snippetV1](f, parquet.KeyValueMetadata("pttrust.schema", "snippets/1"))
	var want []Snippet
	for _, s := range sampleSnippets() {
		s.Category, s.Group = "", ""
		want = append(want, s)
		_, err := w.Write([]snippetV1{{s.ID, s.PairID, s.Language, s.Source, s.Task, s.Role, s.Split, s.Code, s.Labels, s.OriginalLine, s.Provenance}})
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	got, err := ReadAllSnippets(path)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// The new file has the two columns, null where empty (as pyarrow reads them).
	path2 := filepath.Join(t.TempDir(), "v2.parquet")
	require.NoError(t, WriteSnippetSlice(path2, sampleSnippets()))
	pf, err := os.Open(path2)
	require.NoError(t, err)
	defer pf.Close()
	info, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, info.Size())
	require.NoError(t, err)
	for _, name := range []string{"category", "group"} {
		col, ok := file.Schema().Lookup(name)
		require.True(t, ok, name)
		require.True(t, col.Node.Optional(), name)
	}
	v, ok := file.Lookup("pttrust.schema")
	require.True(t, ok)
	require.Equal(t, SnippetSchemaVersion, v)
}

func TestSnippetsManyRowGroupsStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.parquet")
	const n = 2500 // three row groups of at most 1024
	count, err := WriteSnippets(path, func(write func(Snippet) error) error {
		for i := range n {
			code := fmt.Sprintf("x = %d\ny = x + %d\n", i, i)
			if err := write(Snippet{ID: fmt.Sprint(i), PairID: fmt.Sprint(i / 2), Language: Python, Source: "s", Task: "t",
				Role: RoleBuggy, Split: Validation, Code: code, Labels: []int32{0, 1}, OriginalLine: []int32{0, -1}}); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, n, count)
	i := 0
	var kept []Snippet
	require.NoError(t, ReadSnippets(path, func(s Snippet) error {
		require.Equal(t, fmt.Sprint(i), s.ID)
		require.Equal(t, fmt.Sprintf("x = %d\ny = x + %d\n", i, i), s.Code)
		kept = append(kept, s)
		i++
		return nil
	}))
	require.Equal(t, n, i)
	// Rows kept by the callback are not overwritten by later reads.
	require.Equal(t, []int32{0, 1}, kept[0].Labels)
	require.Equal(t, "0", kept[0].ID)
}

func TestSnippetValidate(t *testing.T) {
	bad := map[string]func(*Snippet){
		"empty id":           func(s *Snippet) { s.ID = "" },
		"empty pair_id":      func(s *Snippet) { s.PairID = "" },
		"unknown language":   func(s *Snippet) { s.Language = "cobol" },
		"empty source":       func(s *Snippet) { s.Source = "" },
		"role":               func(s *Snippet) { s.Role = "mutant" },
		"empty code":         func(s *Snippet) { s.Code = "" },
		"not valid UTF-8":    func(s *Snippet) { s.Code = "x = '\xff'\ny\nz\n" },
		"unknown split":      func(s *Snippet) { s.Split = "dev" },
		"3 labels for 2":     func(s *Snippet) { s.Code = "x\ny\n" },
		"original_line":      func(s *Snippet) { s.OriginalLine = s.OriginalLine[:2] },
		"neither 0 nor 1":    func(s *Snippet) { s.Labels = []int32{0, 2, 1} },
		"without a risky":    func(s *Snippet) { s.Labels = []int32{0, 0, 0} },
		"clean snippet with": func(s *Snippet) { s.Role = RoleClean },
		"below -1":           func(s *Snippet) { s.OriginalLine = []int32{0, -2, 1} },
		"provenance":         func(s *Snippet) { s.Provenance = "{" },
	}
	for msg, f := range bad {
		s := sampleSnippets()[2]
		require.NoError(t, s.Validate())
		f(&s)
		require.ErrorContains(t, s.Validate(), msg)
	}
}

func TestWriteSnippetsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.parquet")
	require.NoError(t, WriteSnippetSlice(path, sampleSnippets()[:1]))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	// An invalid row aborts the write: the old file stays, no temporary file is left.
	rows := sampleSnippets()
	rows[2].Labels = rows[2].Labels[:1]
	err = WriteSnippetSlice(path, rows)
	require.ErrorContains(t, err, "row 2: p2#buggy: 1 labels for 3 lines")
	require.ErrorContains(t, err, path)
	// Duplicate ids too.
	rows = sampleSnippets()
	rows[1].ID = rows[0].ID
	require.ErrorContains(t, WriteSnippetSlice(path, rows), `duplicate id "p1#original"`)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	// A failed first write leaves nothing.
	require.Error(t, WriteSnippetSlice(filepath.Join(dir, "new.parquet"), rows))
	require.NoFileExists(t, filepath.Join(dir, "new.parquet"))
}

func TestReadSnippetsBadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.parquet")
	require.NoError(t, WriteSnippetSlice(path, sampleSnippets()))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, cut := range []int{len(data) - 1, len(data) - 9, len(data) / 2, 10, 4, 0} {
		p := filepath.Join(dir, fmt.Sprintf("cut%d.parquet", cut))
		require.NoError(t, os.WriteFile(p, data[:cut], 0o644))
		err := ReadSnippets(p, func(Snippet) error { return nil })
		require.Error(t, err, "cut at %d", cut)
		require.ErrorContains(t, err, p)
	}
	garbage := filepath.Join(dir, "garbage.parquet")
	require.NoError(t, os.WriteFile(garbage, []byte("this is not parquet at all, just text\n"), 0o644))
	require.ErrorContains(t, ReadSnippets(garbage, func(Snippet) error { return nil }), garbage)
	require.ErrorContains(t, ReadSnippets(filepath.Join(dir, "missing.parquet"), func(Snippet) error { return nil }), "missing.parquet")
	// Corrupt bytes inside the data pages: an error naming the file (or, if the damage hits
	// nothing checked, rows that still validate), never a panic.
	for off := 4; off < len(data)-8; off += 97 {
		c := append([]byte(nil), data...)
		c[off] ^= 0x5a
		p := filepath.Join(dir, "flip.parquet")
		require.NoError(t, os.WriteFile(p, c, 0o644))
		if err := ReadSnippets(p, func(Snippet) error { return nil }); err != nil {
			require.ErrorContains(t, err, p)
		}
	}
	// A Parquet file of another schema.
	type other struct {
		Name string `parquet:"name"`
	}
	op := filepath.Join(dir, "other.parquet")
	require.NoError(t, writeOther(op, []other{{"x"}}))
	require.ErrorContains(t, ReadSnippets(op, func(Snippet) error { return nil }), `not a snippets file: no column "id"`)
}

func writeOther[T any](path string, rows []T) error { return parquet.WriteFile(path, rows) }

func TestSnippetsRowGroupsBoundedByBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.parquet")
	line := strings.Repeat("x", 999) + "\n"
	code := strings.Repeat(line, 1000) // 1 MB per row: 32 rows fill a row group
	const n = 70
	_, err := WriteSnippets(path, func(write func(Snippet) error) error {
		for i := range n {
			labels, orig := make([]int32, 1000), make([]int32, 1000)
			if err := write(Snippet{ID: fmt.Sprint(i), PairID: "p", Language: C, Source: "s", Role: RoleClean, Split: Train,
				Code: code, Labels: labels, OriginalLine: orig}); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquet.OpenFile(f, info.Size())
	require.NoError(t, err)
	require.Len(t, pf.RowGroups(), 3) // 32 + 32 + 6 rows
	rows, err := ReadAllSnippets(path)
	require.NoError(t, err)
	require.Len(t, rows, n)
}

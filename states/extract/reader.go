package extract

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/pttrust/pttrust/datasets"
)

// snippetColumns are the columns a snippets file must have (datasets.Snippet).
var snippetColumns = []string{"id", "pair_id", "language", "source", "task", "role", "split", "code", "labels", "original_line", "provenance"}

// countSnippets returns the number of rows of a snippets file from its footer.
func countSnippets(path string) (n int, err error) {
	err = withSnippetFile(path, func(pf *parquet.File) error {
		n = int(pf.NumRows())
		return nil
	})
	return n, err
}

func withSnippetFile(path string, fn func(*parquet.File) error) (err error) {
	defer func() {
		if r := recover(); r != nil { // parquet-go panics on some corruptions
			err = fmt.Errorf("snippets %s: corrupt Parquet file: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("snippets: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("snippets %s: %w", path, err)
	}
	if info.Size() == 0 {
		return fmt.Errorf("snippets %s: empty file (0 bytes), not a Parquet snippets file", path)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return fmt.Errorf("snippets %s: not a readable Parquet file (truncated or corrupt?): %w", path, err)
	}
	have := map[string]bool{}
	for _, f := range pf.Schema().Fields() {
		have[f.Name()] = true
	}
	for _, c := range snippetColumns {
		if !have[c] {
			return fmt.Errorf("snippets %s: not a snippets file: no column %q", path, c)
		}
	}
	return fn(pf)
}

// readSnippets streams the rows of a snippets file from row from on, in file order, one row
// group in memory at a time. Unlike datasets.ReadSnippets it does not validate rows: Extract
// reports an invalid row and goes on with the next.
func readSnippets(path string, from int, fn func(index int, s datasets.Snippet) error) error {
	return withSnippetFile(path, func(pf *parquet.File) error {
		row := 0
		buf := make([]datasets.Snippet, 16)
		for _, rg := range pf.RowGroups() {
			if n := int(rg.NumRows()); row+n <= from {
				row += n
				continue
			}
			r := parquet.NewGenericRowGroupReader[datasets.Snippet](rg)
			for {
				clear(buf)
				k, rerr := r.Read(buf)
				for i := range k {
					if row >= from {
						if err := fn(row, buf[i]); err != nil {
							r.Close()
							return err
						}
					}
					row++
				}
				if errors.Is(rerr, io.EOF) {
					break
				}
				if rerr != nil {
					r.Close()
					return fmt.Errorf("snippets %s: row %d: %w", path, row, rerr)
				}
			}
			if err := r.Close(); err != nil {
				return fmt.Errorf("snippets %s: %w", path, err)
			}
		}
		return nil
	})
}

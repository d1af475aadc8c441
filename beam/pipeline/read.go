package pipeline

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/pttrust/pttrust/datasets"
)

// indexedSnippet is one input snippet with its input index, as it travels from the read step to
// the extraction step. It is gob-encoded: gob keeps strings byte for byte (invalid UTF-8 too,
// which `states extract` reports as a problem), where JSON would replace bad bytes.
type indexedSnippet struct {
	Index   int
	Snippet datasets.Snippet
}

func encodeSnippet(v indexedSnippet) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("encode snippet %d: %w", v.Index, err)
	}
	return b.Bytes(), nil
}

func decodeSnippet(data []byte) (indexedSnippet, error) {
	var v indexedSnippet
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
		return v, fmt.Errorf("decode snippet: %w", err)
	}
	return v, nil
}

// readFn reads the rows of a readTask and emits each as (shard, encoded indexedSnippet). Rows
// are not validated: the extraction reports a bad snippet as `states extract` does.
type readFn struct{}

// errDone stops a scan after the task's last row.
var errDone = errors.New("done")

// ProcessElement reads one task.
func (f *readFn) ProcessElement(ctx context.Context, t readTask, emit func(int, []byte)) error {
	n := 0
	err := datasets.ScanSnippets(t.Path, t.From, func(row int, s datasets.Snippet) error {
		if row >= t.To {
			return errDone
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := encodeSnippet(indexedSnippet{Index: t.First + row - t.From, Snippet: s})
		if err != nil {
			return fmt.Errorf("%s row %d: %w", t.Path, row, err)
		}
		emit(t.Shard, data)
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return fmt.Errorf("read %s rows [%d, %d): %w", t.Path, t.From, t.To, err)
	}
	if n != t.To-t.From {
		return fmt.Errorf("read %s rows [%d, %d): got %d rows (the file changed since the pipeline was planned?)", t.Path, t.From, t.To, n)
	}
	return nil
}

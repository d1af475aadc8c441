package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// ScanRows reads the line records of an extraction directory: dir/manifest.json, then every
// shard it lists, in order, rows in order, calling fn with the shard's index and the row.
// Row.States[i] is the vector of hooks[i]; nil hooks means every hook of the manifest, in its
// order. Only the asked state columns are decoded. A manifest of an unfinished run is an error
// (rerun the extraction to complete it). Errors name the file.
func ScanRows(dir string, hooks []string, fn func(shard int, r Row) error) error {
	man, err := ReadManifest(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("states %s: no %s: not an extraction directory (run pttrust states extract)", dir, ManifestName)
		}
		return fmt.Errorf("states: %w", err)
	}
	if !man.Complete {
		return fmt.Errorf("states %s: the extraction is not complete (%d shards so far); rerun pttrust states extract to finish it", dir, len(man.Shards))
	}
	if hooks == nil {
		hooks = man.Settings.Hooks
	}
	columns := make([]string, len(hooks))
	for i, h := range hooks {
		if !slices.Contains(man.Settings.Hooks, h) {
			return fmt.Errorf("states %s: hook %q was not extracted (have %v)", dir, h, man.Settings.Hooks)
		}
		columns[i] = StateColumn(h)
	}
	for i, sh := range man.Shards {
		if err := scanShard(filepath.Join(dir, sh.File), sh, columns, func(r Row) error { return fn(i, r) }); err != nil {
			return err
		}
	}
	return nil
}

// ReadRows reads every row of an extraction directory into memory (see ScanRows).
func ReadRows(dir string, hooks []string) ([]Row, error) {
	var rows []Row
	err := ScanRows(dir, hooks, func(_ int, r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// scanShard decodes one shard and hands its rows to fn, Row.States[j] the vector of columns[j]:
// the state columns column by column (stateColumns), the fixed columns through parquet-go's typed
// reader (GenericReader[Row], 256 rows a call). The state vectors of a row group share one
// backing array per column, each capped at its end.
func scanShard(path string, sh ShardInfo, columns []string, fn func(Row) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("states: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("states %s: %w", path, err)
	}
	if info.Size() != sh.Bytes {
		return fmt.Errorf("states %s: %d bytes, the manifest says %d (truncated or replaced?)", path, info.Size(), sh.Bytes)
	}
	// The whole shard against the manifest's SHA-256 before a row reaches fn: parquet-go checks
	// page CRCs but not page headers or the footer, so a corrupt shard could otherwise read
	// without an error with values in the wrong rows. The hash runs alongside the decoding of
	// the first row group (verified waits for it); when both fail, the hash's error is the one
	// returned (a corrupt shard, not whatever its decoding tripped on).
	verified := checkSHA256(f, info.Size(), sh.SHA256, path)
	defer func() {
		// parquet-go panics on some corruptions instead of returning an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("states %s: corrupt Parquet shard: %v", path, r)
		}
		if herr := verified(); herr != nil {
			err = herr
		}
	}()
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return fmt.Errorf("states %s: not a readable Parquet file: %w", path, err)
	}
	rd := parquet.NewGenericReader[Row](pf) // the fixed columns (States is not a column)
	defer rd.Close()
	// The state columns are decoded a row group at a time (stateColumns) as the rows reach it.
	groups := pf.RowGroups()
	var states [][][]float32
	gi, at, groupRows := -1, 0, 0
	n := 0
	// scanRow gives r, read from the fixed columns, its state vectors and hands it to fn.
	scanRow := func(r Row) error {
		for at == groupRows { // the next row group's state vectors
			if gi++; gi >= len(groups) {
				return fmt.Errorf("states %s: row %d has no state vectors", path, n)
			}
			if states, err = stateColumns(pf.Schema(), groups[gi], columns); err != nil {
				return fmt.Errorf("states %s: row group %d: %w", path, gi, err)
			}
			at, groupRows = 0, int(groups[gi].NumRows())
			for j, c := range columns {
				if len(states[j]) != groupRows {
					return fmt.Errorf("states %s: row group %d: column %s holds %d vectors for %d rows", path, gi, c, len(states[j]), groupRows)
				}
			}
		}
		r.States = make([][]float32, len(columns))
		for j := range columns {
			r.States[j] = states[j][at]
		}
		at++
		if n == 0 {
			if err := verified(); err != nil {
				return err
			}
		}
		if err := fn(r); err != nil {
			return err
		}
		n++
		return nil
	}
	buf := make([]Row, 256)
	for {
		m, rerr := rd.Read(buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("states %s: row %d: %w", path, n+m, rerr)
		}
		for _, r := range buf[:m] {
			if err := scanRow(r); err != nil {
				return err
			}
		}
		if rerr != nil || m == 0 {
			break
		}
	}
	if n != sh.Rows {
		return fmt.Errorf("states %s: %d rows, the manifest says %d", path, n, sh.Rows)
	}
	return nil
}

// checkSHA256 starts hashing the size bytes of f (read with ReadAt: safe alongside other
// readers) and returns a function that waits for the hash and says whether it is want; every
// call returns the same result. want "" checks nothing.
func checkSHA256(f *os.File, size int64, want, path string) func() error {
	if want == "" {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
			done <- fmt.Errorf("states %s: %w", path, err)
			return
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			done <- fmt.Errorf("states %s: corrupt shard: its SHA-256 is %s, the manifest says %s (rerun pttrust states extract into a fresh folder)", path, got, want)
			return
		}
		done <- nil
	}()
	return sync.OnceValue(func() error { return <-done })
}

// stateColumns decodes each LIST<FLOAT> state column of a row group whole, page by page, and
// cuts it into rows where the repetition level is 0 (parquet-go's row reader rebuilds every
// float of a row through reflection: half of a shard's read time). A null or empty vector is an
// error (the writer writes neither). Returns, per column, one vector per row, capped at its end.
func stateColumns(schema *parquet.Schema, rg parquet.RowGroup, columns []string) ([][][]float32, error) {
	out := make([][][]float32, len(columns))
	for j, c := range columns {
		leaf, ok := schema.Lookup(c, "list", "element")
		if !ok || leaf.Node.Type().Kind() != parquet.Float || leaf.MaxRepetitionLevel != 1 {
			return nil, fmt.Errorf("no LIST<FLOAT> state column %s", c)
		}
		chunk := rg.ColumnChunks()[leaf.ColumnIndex]
		vals, starts, err := readListColumn(chunk.Pages(), byte(leaf.MaxDefinitionLevel), chunk.NumValues(), rg.NumRows())
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c, err)
		}
		rows := make([][]float32, len(starts))
		for i, s := range starts {
			end := len(vals)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			rows[i] = vals[s:end:end]
		}
		out[j] = rows
	}
	return out, nil
}

// readListColumn reads the pages of a LIST<FLOAT> column chunk: every value, and the index of
// each row's first value (repetition level 0). Every value must be defined (maxDef). numValues
// and numRows, the chunk's and its row group's counts from the footer, size the slices up front
// (growing them page by page copied the column about twice over: most of a shard's read time);
// they are only a hint (bounded, so that a corrupt footer cannot make a huge allocation).
func readListColumn(pages parquet.Pages, maxDef byte, numValues, numRows int64) (vals []float32, starts []int, err error) {
	const maxHint = 1 << 26 // values (256 MiB of float32) or rows
	vals = make([]float32, 0, min(max(numValues, 0), maxHint))
	starts = make([]int, 0, min(max(numRows, 0), maxHint))
	defer func() {
		if cerr := pages.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return vals, starts, nil
		}
		if err != nil {
			return nil, nil, err
		}
		pv := p.Data()
		rep, def, data := p.RepetitionLevels(), p.DefinitionLevels(), pv.Float()
		err = func() error {
			defer parquet.Release(p)
			if len(rep) != len(data) || len(def) != len(data) {
				return fmt.Errorf("a page of %d values with %d repetition and %d definition levels (null or empty vectors?)", len(data), len(rep), len(def))
			}
			for i := range data {
				if def[i] != maxDef {
					return errors.New("a null or empty vector")
				}
				if rep[i] == 0 {
					starts = append(starts, len(vals)+i)
				}
			}
			if len(data) > 0 && len(starts) == 0 {
				return errors.New("values before the first row")
			}
			vals = append(vals, data...)
			return nil
		}()
		if err != nil {
			return nil, nil, err
		}
	}
}

package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"

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
	t := rowType(columns)
	for i, sh := range man.Shards {
		if err := scanShard(filepath.Join(dir, sh.File), sh, t, len(columns), func(r Row) error { return fn(i, r) }); err != nil {
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

// scanShard decodes one shard into rows of type t (rowType) and hands them to fn as Rows.
func scanShard(path string, sh ShardInfo, t reflect.Type, nStates int, fn func(Row) error) (err error) {
	defer func() {
		// parquet-go panics on some corruptions instead of returning an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("states %s: corrupt Parquet shard: %v", path, r)
		}
	}()
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
	// The whole shard against the manifest's SHA-256 before a row is decoded: parquet-go checks
	// page CRCs but not page headers or the footer, so a corrupt shard could otherwise read
	// without an error with values in the wrong rows.
	if sh.SHA256 != "" {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return fmt.Errorf("states %s: %w", path, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sh.SHA256 {
			return fmt.Errorf("states %s: corrupt shard: its SHA-256 is %s, the manifest says %s (rerun pttrust states extract into a fresh folder)", path, got, sh.SHA256)
		}
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return fmt.Errorf("states %s: not a readable Parquet file: %w", path, err)
	}
	schema := parquet.SchemaOf(reflect.New(t).Interface())
	rd := parquet.NewReader(pf, schema)
	defer rd.Close()
	nFixed := t.NumField() - nStates
	base := reflect.TypeOf(Row{})
	v := reflect.New(t)
	e := v.Elem()
	n := 0
	for {
		e.SetZero()
		if err := rd.Read(v.Interface()); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("states %s: row %d: %w", path, n, err)
		}
		var r Row
		rv := reflect.ValueOf(&r).Elem()
		k := 0
		for j := range base.NumField() {
			if base.Field(j).Name == "States" {
				continue
			}
			rv.Field(j).Set(e.Field(k))
			k++
		}
		r.States = make([][]float32, nStates)
		for j := range nStates {
			r.States[j] = e.Field(nFixed + j).Interface().([]float32)
		}
		if err := fn(r); err != nil {
			return err
		}
		n++
	}
	if n != sh.Rows {
		return fmt.Errorf("states %s: %d rows, the manifest says %d", path, n, sh.Rows)
	}
	return nil
}

package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// snippetFileBytes returns the bytes of a snippets file holding rows: written by WriteSnippets,
// or, with old, as files were written before the row-group digests.
func snippetFileBytes(f *testing.F, rows []Snippet, old bool) []byte {
	p := filepath.Join(f.TempDir(), "seed.parquet")
	if old {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[Snippet](&buf, parquet.KeyValueMetadata("pttrust.schema", SnippetSchemaVersion))
		if _, err := w.Write(rows); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	if err := WriteSnippetSlice(p, rows); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzReadSnippets feeds arbitrary bytes, as a snippets file, to the Parquet reader. It must
// never panic: ReadAllSnippets returns valid rows or an error naming the file. Rows it accepts
// survive a round trip through WriteSnippets unchanged, and ScanSnippets from any row gives the
// same rows from there. The seeds are small files written by the package's writer (with and
// without row-group digests) and cut or altered copies; the corpus is kept in
// testdata/fuzz/FuzzReadSnippets.
func FuzzReadSnippets(f *testing.F) {
	rows := sweepRows(3, 3)
	rows[1].Category, rows[2].Group = "", ""
	for _, old := range []bool{false, true} {
		data := snippetFileBytes(f, rows, old)
		f.Add(data, uint16(1))
		f.Add(data[:len(data)/2], uint16(0))
		c := bytes.Clone(data)
		c[len(c)-20] ^= 0x40 // in the footer
		f.Add(c, uint16(0))
	}
	f.Add(snippetFileBytes(f, rows[:1], false), uint16(0))
	f.Add([]byte("PAR1"), uint16(0))
	f.Add([]byte{}, uint16(0))

	f.Fuzz(func(t *testing.T, data []byte, from uint16) {
		dir := t.TempDir()
		p := filepath.Join(dir, "snippets.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAllSnippets(p)
		if _, cerr := CountSnippets(p); cerr != nil && !strings.Contains(cerr.Error(), p) {
			t.Fatalf("CountSnippets: error does not name the file: %v", cerr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for i := range got {
			if err := got[i].Validate(); err != nil {
				t.Fatalf("row %d accepted but invalid: %v", i, err)
			}
			ids[got[i].ID] = true
		}

		var scanned []Snippet
		start := int(from) % (len(got) + 1)
		err = ScanSnippets(p, start, func(row int, s Snippet) error {
			if row != start+len(scanned) {
				t.Fatalf("ScanSnippets from %d: row %d after %d rows", start, row, len(scanned))
			}
			scanned = append(scanned, s)
			return nil
		})
		if err != nil || !reflect.DeepEqual(scanned, got[start:]) && len(scanned)+len(got[start:]) > 0 {
			t.Fatalf("ScanSnippets from %d: %d rows, %v; ReadAllSnippets gave %d from there", start, len(scanned), err, len(got[start:]))
		}

		if len(ids) < len(got) || len(got) == 0 {
			return // the writer refuses duplicate ids; an empty file has nothing to compare
		}
		p2 := filepath.Join(dir, "again.parquet")
		if err := WriteSnippetSlice(p2, got); err != nil {
			t.Fatalf("accepted rows cannot be written back: %v", err)
		}
		back, err := ReadAllSnippets(p2)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("round trip changed the rows (%v):\n%+v\n%+v", err, got, back)
		}
	})
}

// FuzzReadManifest feeds arbitrary bytes, as a corpus manifest (JSON Lines), to ReadManifest.
// It must never panic: it returns an error naming the file, or entries that WriteManifest
// accepts and that read back unchanged with the same ManifestHash. The corpus is kept in
// testdata/fuzz/FuzzReadManifest.
func FuzzReadManifest(f *testing.F) {
	sha := strings.Repeat("0f", 32)
	f.Add([]byte(`{"path":"go:src/bufio/bufio.go","language":"go","sha256":"` + sha + `","bytes":21839,"split":"train","source":"/usr/local/go/src/bufio/bufio.go"}` + "\n\n" +
		`{"path":"python:a \"b\".py","language":"python","sha256":"` + sha + `","bytes":0,"split":"test"}`))
	f.Add([]byte(`{"path":"x","language":"go","sha256":"` + sha + `","bytes":-1,"split":"train"}`))
	f.Add([]byte(`{"path":"x","language":"go","sha256":"` + sha + `","bytes":1,"split":"train","extra":1}` + "\n"))
	f.Add([]byte("{\"path\":\"x\"}{\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "manifest.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		entries, err := ReadManifest(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		p2 := filepath.Join(dir, "again.jsonl")
		if err := WriteManifest(p2, entries); err != nil {
			t.Fatalf("accepted entries cannot be written back: %v", err)
		}
		back, err := ReadManifest(p2)
		if err != nil || !reflect.DeepEqual(back, entries) || ManifestHash(back) != ManifestHash(entries) {
			t.Fatalf("round trip changed the entries (%v):\n%+v\n%+v", err, entries, back)
		}
	})
}

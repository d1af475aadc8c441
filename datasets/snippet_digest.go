package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"

	"github.com/parquet-go/parquet-go"
)

// snippetDigestKey holds, in a snippets file's key/value metadata, each row group's row count
// and the SHA-256 of its rows (digestRow), as JSON. The reader checks them before it hands out a
// row group's rows, so that a corrupt file is an error, never rows with wrong values. parquet-go
// checks each page's CRC, but neither the page headers nor the footer: one byte changed in the
// footer's column metadata (an offset, a value count) can make it read another column's pages,
// or the wrong values of a column, without an error (7 of 3000 random corruptions in
// TestCorruptSnippetFilesAreErrors, every one in the footer), and where a byte-array page's
// offsets disagree with its value count it only prints a warning. Whatever the path (values left
// over from an earlier file in the same process were also seen), rows that differ from those
// written fail the digest. Files written before the digests existed are read unchecked.
const snippetDigestKey = "pttrust.row_groups"

// groupDigest is one row group's entry under snippetDigestKey.
type groupDigest struct {
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
}

// digestRow adds a row to h in a fixed, unambiguous encoding (every field, length-prefixed).
func digestRow(h hash.Hash, s *Snippet) {
	var b []byte
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	ints := func(v []int32) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	}
	str(s.ID)
	str(s.PairID)
	str(string(s.Language))
	str(s.Source)
	str(s.Task)
	str(string(s.Role))
	str(string(s.Split))
	str(s.Code)
	ints(s.Labels)
	ints(s.OriginalLine)
	str(s.Provenance)
	str(s.Category)
	str(s.Group)
	h.Write(b)
}

// groupHasher accumulates the digest of the row group being written.
type groupHasher struct {
	h      hash.Hash
	rows   int
	groups []groupDigest
}

func newGroupHasher() *groupHasher { return &groupHasher{h: sha256.New()} }

func (g *groupHasher) add(s *Snippet) {
	digestRow(g.h, s)
	g.rows++
}

// end closes the row group (a no-op without rows, as parquet-go's Flush).
func (g *groupHasher) end() {
	if g.rows == 0 {
		return
	}
	g.groups = append(g.groups, groupDigest{Rows: g.rows, SHA256: hex.EncodeToString(g.h.Sum(nil))})
	g.h.Reset()
	g.rows = 0
}

func (g *groupHasher) metadata() string {
	data, _ := json.Marshal(append([]groupDigest{}, g.groups...))
	return string(data)
}

// fileDigests returns the row-group digests of a snippets file; nil without error for a file
// written before they existed. A file whose digests are unreadable or do not describe its row
// groups is corrupt.
func fileDigests(path string, pf *parquet.File) ([]groupDigest, error) {
	v, ok := pf.Lookup(snippetDigestKey)
	if !ok {
		return nil, nil
	}
	var ds []groupDigest
	if err := json.Unmarshal([]byte(v), &ds); err != nil {
		return nil, fmt.Errorf("datasets: snippets %s: corrupt file: its row-group digests do not parse: %w", path, err)
	}
	rgs := pf.RowGroups()
	if len(ds) != len(rgs) {
		return nil, fmt.Errorf("datasets: snippets %s: corrupt file: %d row groups, its writer recorded %d", path, len(rgs), len(ds))
	}
	for i, rg := range rgs {
		if int(rg.NumRows()) != ds[i].Rows {
			return nil, fmt.Errorf("datasets: snippets %s: corrupt file: row group %d has %d rows, its writer recorded %d", path, i, rg.NumRows(), ds[i].Rows)
		}
	}
	return ds, nil
}

// checkGroup compares the rows read from row group i (starting at row first) with its digest.
func checkGroup(path string, i, first int, rows []Snippet, d groupDigest) error {
	if len(rows) != d.Rows {
		return fmt.Errorf("datasets: snippets %s: corrupt file: row group %d (from row %d): read %d rows, its writer recorded %d", path, i, first, len(rows), d.Rows)
	}
	h := sha256.New()
	for k := range rows {
		digestRow(h, &rows[k])
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.SHA256 {
		return fmt.Errorf("datasets: snippets %s: corrupt file: the rows of row group %d (rows %d to %d) differ from what its writer recorded (SHA-256 %s, read %s)",
			path, i, first, first+len(rows)-1, d.SHA256, got)
	}
	return nil
}

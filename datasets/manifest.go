package datasets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ManifestEntry records one file of a corpus. A manifest is JSON Lines, one entry per line:
//
//	{"path":"go:src/bufio/bufio.go","language":"go","sha256":"…","bytes":21839,"split":"train","source":"/usr/local/go/src/bufio/bufio.go"}
type ManifestEntry struct {
	// Path is the stable path (File.Path).
	Path string `json:"path"`
	// Language is the file's language.
	Language Language `json:"language"`
	// SHA256 is the lower-case hex SHA-256 of the content.
	SHA256 string `json:"sha256"`
	// Bytes is the content's length.
	Bytes int `json:"bytes"`
	// Split is the file's split.
	Split Split `json:"split"`
	// Source is where the file was read on the machine that wrote the manifest (not part of
	// ManifestHash: it differs between machines).
	Source string `json:"source,omitempty"`
}

// validate checks the fields a reader relies on.
func (e ManifestEntry) validate() error {
	switch {
	case e.Path == "":
		return fmt.Errorf("empty path")
	case !e.Language.Valid():
		return fmt.Errorf("%s: unknown language %q", e.Path, e.Language)
	case len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "":
		return fmt.Errorf("%s: sha256 %q is not 64 lower-case hex digits", e.Path, e.SHA256)
	case e.Bytes < 0:
		return fmt.Errorf("%s: negative bytes %d", e.Path, e.Bytes)
	}
	if _, err := ParseSplit(string(e.Split)); err != nil {
		return fmt.Errorf("%s: %w", e.Path, err)
	}
	return nil
}

// WriteManifest writes entries, in the given order, as JSON Lines to path. The write is atomic:
// a temporary file in the same directory is synced and renamed over path, so a crash never leaves
// a partial manifest under the final name.
func WriteManifest(path string, entries []ManifestEntry) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, e := range entries {
		if err := e.validate(); err != nil {
			return fmt.Errorf("datasets: manifest %s: entry %d: %w", path, i, err)
		}
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("datasets: manifest %s: entry %d: %w", path, i, err)
		}
	}
	return writeFileAtomic(path, buf.Bytes())
}

// writeFileAtomic writes data to path atomically (see package atomicfile).
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("datasets: write %s: %w", path, err)
	}
	return nil
}

// ReadManifest reads a manifest written by WriteManifest. Blank lines are ignored; a malformed
// line is an error naming the file and the line number.
func ReadManifest(path string) ([]ManifestEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: manifest: %w", err)
	}
	defer f.Close()
	var out []ManifestEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e ManifestEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("datasets: manifest %s:%d: %w", path, n, err)
		}
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("datasets: manifest %s:%d: %w", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("datasets: manifest %s: %w", path, err)
	}
	return out, nil
}

// ManifestHash identifies a corpus: the hex SHA-256 of the entries sorted by path, each written as
// "path\tlanguage\tsha256\tbytes\tsplit\n" with the path Go-quoted (strconv.Quote). It ignores the order of entries and their Source, so
// the same files on two machines (GOROOTs at different places) give the same hash.
func ManifestHash(entries []ManifestEntry) string {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
	h := sha256.New()
	var line []byte
	for _, e := range sorted {
		line = line[:0]
		line = strconv.AppendQuote(line, e.Path)
		line = append(line, '\t')
		line = append(line, e.Language...)
		line = append(line, '\t')
		line = append(line, e.SHA256...)
		line = append(line, '\t')
		line = strconv.AppendInt(line, int64(e.Bytes), 10)
		line = append(line, '\t')
		line = append(line, e.Split...)
		line = append(line, '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil))
}

package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Reading JSON benchmarks: files, arrays and JSON Lines, records and their fields.

// jsonFiles runs parse on every JSON file of In (In itself, or the *.json, *.jsonl and
// *.ndjson files below it in name order). Each file holds a JSON array of objects, or JSON
// Lines.
func (im *importer) jsonFiles(parse func(rel string, n int, pos map[string]any, raw []byte) error) error {
	files, err := im.inputFiles(".json", ".jsonl", ".ndjson")
	if err != nil {
		return err
	}
	n := 0 // record number over all files, for pair ids of records without one
	for _, f := range files {
		err := im.jsonFile(f, func(pos map[string]any, raw []byte) error {
			n++
			return parse(f.rel, n, pos, raw)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// inputFile is one file to import: its path and its name relative to In (or its base name
// when In is a file), which keeps pair ids and provenance the same on every machine.
type inputFile struct{ path, rel string }

func (im *importer) inputFiles(exts ...string) ([]inputFile, error) {
	info, err := os.Stat(im.opts.In)
	if err != nil {
		return nil, fmt.Errorf("datasets: import: %w", err)
	}
	if !info.IsDir() {
		return []inputFile{{im.opts.In, filepath.Base(im.opts.In)}}, nil
	}
	var out []inputFile
	err = filepath.WalkDir(im.opts.In, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !slices.Contains(exts, strings.ToLower(filepath.Ext(p))) {
			return nil
		}
		rel, err := filepath.Rel(im.opts.In, p)
		if err != nil {
			return err
		}
		out = append(out, inputFile{p, filepath.ToSlash(rel)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("datasets: import %s: %w", im.opts.In, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("datasets: import %s: no %s file found", im.opts.In, strings.Join(exts, " or "))
	}
	return out, nil
}

// jsonFile streams the records of one file to fn with their position: {"file", "line"} for JSON
// Lines, {"file", "record", "offset"} for an array. A syntax error inside an array cannot be
// skipped over: it is reported and ends the file (the records before it are kept).
func (im *importer) jsonFile(f inputFile, fn func(pos map[string]any, raw []byte) error) error {
	fh, err := os.Open(f.path)
	if err != nil {
		im.rep.problem(f.rel, "unreadable", "%v", err)
		return nil
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 64<<10)
	// Peek past whitespace (and a UTF-8 BOM) to tell an array from JSON Lines.
	first := byte(0)
	for {
		b, err := br.Peek(1)
		if err != nil {
			break
		}
		if bytes.HasPrefix(b, []byte{0xEF}) {
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			br.Discard(1)
			continue
		}
		first = b[0]
		break
	}
	if first == 0 {
		im.rep.problem(f.rel, "empty", "no record in the file")
		return nil
	}
	if first == '[' {
		return im.jsonArray(f, br, fn)
	}
	return im.jsonLines(f, br, fn)
}

// jsonLines reads one record per line; blank lines are ignored.
func (im *importer) jsonLines(f inputFile, br *bufio.Reader, fn func(pos map[string]any, raw []byte) error) error {
	max := im.opts.MaxRecordBytes
	for line := 1; ; line++ {
		raw, tooLong, err := readLine(br, max)
		where := fmt.Sprintf("%s:%d", f.rel, line)
		switch {
		case tooLong:
			im.rep.problem(where, "too_large", "record over %d bytes", max)
		case len(bytes.TrimSpace(raw)) == 0:
		default:
			if err := fn(map[string]any{"file": f.rel, "line": line}, raw); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			im.rep.problem(where, "unreadable", "%v", err)
			return nil
		}
	}
}

// readLine returns the next line of br without its newline; a line over max bytes is consumed
// and reported as tooLong. err is io.EOF after the last line.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, e := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case e == bufio.ErrBufferFull:
			continue
		case e != nil:
			return bytes.TrimSuffix(line, []byte("\n")), tooLong, e
		}
		return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
	}
}

// jsonArray reads the elements of a top-level JSON array.
func (im *importer) jsonArray(f inputFile, r io.Reader, fn func(pos map[string]any, raw []byte) error) error {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil { // '['
		im.rep.problem(f.rel, "malformed", "%v", err)
		return nil
	}
	for n := 1; dec.More(); n++ {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			im.rep.problem(fmt.Sprintf("%s#record %d", f.rel, n), "malformed", "malformed JSON at byte %d: %v; the rest of the file is skipped", off, err)
			return nil
		}
		if len(raw) > im.opts.MaxRecordBytes {
			im.rep.problem(fmt.Sprintf("%s#record %d", f.rel, n), "too_large", "record over %d bytes", im.opts.MaxRecordBytes)
			continue
		}
		if err := fn(map[string]any{"file": f.rel, "record": n, "offset": off}, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		im.rep.problem(f.rel, "malformed", "malformed JSON at the end of the array: %v", err)
	}
	return nil
}

// where renders a record position for problems.
func where(pos map[string]any) string {
	if l, ok := pos["line"]; ok {
		return fmt.Sprintf("%s:%v", pos["file"], l)
	}
	return fmt.Sprintf("%s#record %v", pos["file"], pos["record"])
}

// decodeRecord checks a raw record for UTF-8 and decodes it into a map of fields.
func (im *importer) decodeRecord(pos map[string]any, raw []byte) (map[string]json.RawMessage, bool) {
	w := where(pos)
	if !utf8.Valid(raw) {
		im.rep.problem(w, "non_utf8", "the record is not valid UTF-8")
		return nil, false
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] != '{' && json.Valid(t) {
		im.rep.problem(w, "malformed", "the record is not a JSON object")
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		im.rep.problem(w, "malformed", "malformed JSON record: %v", err)
		return nil, false
	}
	if m == nil {
		im.rep.problem(w, "malformed", "the record is not a JSON object")
		return nil, false
	}
	return m, true
}

// field returns the first of the named string fields present in m (an exact key first, then
// a case-insensitive match: DebugBench writes "Category"), and whether one is present (a JSON
// null is absent). A field of another type is recorded as a problem and ok is false.
func (im *importer) field(w string, m map[string]json.RawMessage, names ...string) (value string, present, ok bool) {
	keys := slices.Sorted(maps.Keys(m))
	for _, name := range names {
		k := name
		if _, exact := m[name]; !exact {
			i := slices.IndexFunc(keys, func(k string) bool { return strings.EqualFold(k, name) })
			if i < 0 {
				continue
			}
			k = keys[i]
		}
		v := m[k]
		if string(v) == "null" {
			return "", false, true
		}
		if err := json.Unmarshal(v, &value); err != nil {
			im.rep.problem(w, "malformed", "field %q is not a string", k)
			return "", false, false
		}
		return value, true, true
	}
	return "", false, true
}

// recordLanguage maps a benchmark's language name to a Language (an invalid one if unknown).
func recordLanguage(s string) Language {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "python", "python3", "py", "python2":
		return Python
	case "cpp", "c++", "cxx":
		return CPP
	case "js", "javascript", "node":
		return JavaScript
	case "ts", "typescript":
		return TypeScript
	case "golang", "go":
		return Go
	case "java":
		return Java
	case "c":
		return C
	case "rust", "rs":
		return Rust
	}
	return Language(strings.ToLower(strings.TrimSpace(s)))
}

// recordIndex is the record's number within its file (the line for JSON Lines).
func recordIndex(pos map[string]any, n int) int {
	if v, ok := pos["line"].(int); ok {
		return v
	}
	if v, ok := pos["record"].(int); ok {
		return v
	}
	return n
}

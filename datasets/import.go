package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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

// ImportFormat names a labeled-benchmark layout.
type ImportFormat string

const (
	// FormatDebugBench reads DebugBench records: JSON objects with buggy_code, oracle_code (or
	// solution), language, category and subtype (the bug type), as a JSON array, JSON Lines, or a
	// directory of such files.
	FormatDebugBench ImportFormat = "debugbench"
	// FormatHumanEvalPack reads HumanEvalPack JSON Lines: prompt + buggy_solution is the buggy
	// version, prompt + canonical_solution the fixed one; bug_type is the task; the language
	// comes from task_id ("Python/0", "JavaScript/3", "CPP/12") or ImportOptions.Language.
	FormatHumanEvalPack ImportFormat = "humanevalpack"
	// FormatPairs reads two directories with matching relative file names, buggy and fixed:
	// In/buggy and In/fixed, or In and ImportOptions.Fixed. The language comes from the file
	// extension.
	FormatPairs ImportFormat = "pairs"
)

// ImportFormats lists the formats.
var ImportFormats = []ImportFormat{FormatDebugBench, FormatHumanEvalPack, FormatPairs}

// ImportOptions configures Import. Start from DefaultImportOptions.
type ImportOptions struct {
	Format ImportFormat
	// In is the file or directory to read.
	In string
	// Fixed is the directory of fixed files for FormatPairs when In is the buggy directory;
	// empty means In/buggy and In/fixed.
	Fixed string
	// Language is the language of records that do not name one (HumanEvalPack task ids without
	// a known prefix); empty: such records are reported and skipped.
	Language Language
	// Source is the Snippet.Source of the rows; empty means the format's name.
	Source string
	// MaxCodeBytes skips versions longer than this ("too_large").
	MaxCodeBytes int
	// MaxLineBytes skips versions with a longer line ("line_too_long").
	MaxLineBytes int
	// MaxRecordBytes skips JSON records (lines of JSON Lines) longer than this ("too_large").
	MaxRecordBytes int
	// MaxDiffDistance caps the line diff (see DiffLabels).
	MaxDiffDistance int
	// ValFraction and TestFraction split pairs by SplitOf(PairID).
	ValFraction, TestFraction float64
}

// DefaultImportOptions: 200 kB per version, 4000-byte lines, 16 MB records, diff distance 4000,
// 90/5/5 split.
func DefaultImportOptions() ImportOptions {
	return ImportOptions{
		MaxCodeBytes:    DefaultMaxFileBytes,
		MaxLineBytes:    4000,
		MaxRecordBytes:  16 << 20,
		MaxDiffDistance: DefaultMaxDiffDistance,
		ValFraction:     DefaultValFraction,
		TestFraction:    DefaultTestFraction,
	}
}

// Validate reports the first invalid field, by name.
func (o ImportOptions) Validate() error {
	switch {
	case !slices.Contains(ImportFormats, o.Format):
		return fmt.Errorf("datasets: unknown import format %q (known: %v)", o.Format, ImportFormats)
	case o.In == "":
		return errors.New("datasets: ImportOptions.In is empty")
	case o.Language != "" && !o.Language.Valid():
		return fmt.Errorf("datasets: ImportOptions.Language: unknown language %q (known: %v)", o.Language, AllLanguages)
	case o.MaxCodeBytes <= 0 || o.MaxLineBytes <= 0 || o.MaxRecordBytes <= 0:
		return errors.New("datasets: ImportOptions: MaxCodeBytes, MaxLineBytes and MaxRecordBytes must be positive (start from DefaultImportOptions)")
	case !(o.ValFraction >= 0 && o.TestFraction >= 0 && o.ValFraction+o.TestFraction < 1):
		return fmt.Errorf("datasets: ImportOptions: need ValFraction, TestFraction >= 0 with a sum below 1, got %v and %v", o.ValFraction, o.TestFraction)
	}
	return nil
}

// Import reads a benchmark and writes its pairs to out atomically (WriteSnippets). See
// ImportSnippets.
func Import(opts ImportOptions, out string) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var rep *Report
	_, err := WriteSnippets(out, func(write func(Snippet) error) error {
		var err error
		rep, err = ImportSnippets(opts, write)
		return err
	})
	return rep, err
}

// ImportSnippets reads a benchmark and emits, for each good record, the buggy version (Role
// buggy, labels from DiffLabels against the fix, OriginalLine aligning to the fixed version) and
// the fixed version (Role clean, all labels 0), with a shared PairID. Records that cannot be
// used (malformed JSON, missing or non-string fields, non-UTF-8 or empty code, overlong lines,
// unknown languages, versions without a difference, duplicate ids, files without a twin) are
// recorded in the Report with their position and skipped; the run goes on with the rest. Only
// an unreadable input (In missing) or an error of emit stops it.
func ImportSnippets(opts ImportOptions, emit func(Snippet) error) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Source == "" {
		opts.Source = string(opts.Format)
	}
	im := &importer{opts: opts, rep: newReport(), emit: emit, ids: map[string]bool{}}
	var err error
	switch opts.Format {
	case FormatDebugBench:
		err = im.jsonFiles(im.debugBench)
	case FormatHumanEvalPack:
		err = im.jsonFiles(im.humanEvalPack)
	case FormatPairs:
		err = im.pairs()
	}
	return im.rep, err
}

// importer is the state of one ImportSnippets run.
type importer struct {
	opts ImportOptions
	rep  *Report
	emit func(Snippet) error
	ids  map[string]bool
}

// errEmit wraps errors of emit, which stop the run (all others are record problems).
type errEmit struct{ err error }

func (e errEmit) Error() string { return e.err.Error() }
func (e errEmit) Unwrap() error { return e.err }

// record is one pair to label, with where it came from.
type record struct {
	where    string // for problems: "file:line", "file#record N", a path
	pairID   string
	lang     Language
	task     string
	buggy    string
	fixed    string
	fields   map[string]any // extra provenance
	position map[string]any
}

// importProvenance is the Provenance of an imported row.
type importProvenance struct {
	Generator string         `json:"generator"`
	Format    ImportFormat   `json:"format"`
	Position  map[string]any `json:"position"`
	Role      Role           `json:"role"`
	Fields    map[string]any `json:"fields,omitempty"`
}

// pair checks a record, labels it and emits its two rows. Problems are reported, not returned.
func (im *importer) pair(r record) error {
	o := im.opts
	if !r.lang.Valid() {
		im.rep.problem(r.where, "unknown_language", "unknown language %q (known: %v)", r.lang, AllLanguages)
		return nil
	}
	for _, v := range []struct{ name, code string }{{"buggy", r.buggy}, {"fixed", r.fixed}} {
		switch {
		case v.code == "":
			im.rep.problem(r.where, "empty", "the %s version is empty", v.name)
			return nil
		case !utf8.ValidString(v.code):
			im.rep.problem(r.where, "non_utf8", "the %s version is not valid UTF-8", v.name)
			return nil
		case strings.IndexByte(v.code, 0) >= 0:
			im.rep.problem(r.where, "binary", "the %s version holds a NUL byte", v.name)
			return nil
		case len(v.code) > o.MaxCodeBytes:
			im.rep.problem(r.where, "too_large", "the %s version is %d bytes (max %d)", v.name, len(v.code), o.MaxCodeBytes)
			return nil
		}
		for i, l := range CodeLines(v.code) {
			if len(l) > o.MaxLineBytes {
				im.rep.problem(r.where, "line_too_long", "line %d of the %s version is %d bytes (max %d)", i+1, v.name, len(l), o.MaxLineBytes)
				return nil
			}
		}
	}
	if im.ids[r.pairID] {
		im.rep.problem(r.where, "duplicate", "pair id %q seen before", r.pairID)
		return nil
	}
	labels, aligned, err := DiffLabels(r.lang, r.buggy, r.fixed, o.MaxDiffDistance)
	switch {
	case errors.Is(err, ErrNoDifference):
		im.rep.problem(r.where, "no_difference", "%v", err)
		return nil
	case errors.Is(err, ErrTooDifferent):
		im.rep.problem(r.where, "too_different", "%v", err)
		return nil
	case err != nil:
		im.rep.problem(r.where, "invalid", "%v", err)
		return nil
	}
	im.ids[r.pairID] = true
	split := SplitOf(r.pairID, o.ValFraction, o.TestFraction)
	n := LineCount(r.fixed)
	zeros, ident := make([]int32, n), make([]int32, n)
	for i := range ident {
		ident[i] = int32(i)
	}
	for _, row := range []struct {
		role           Role
		code           string
		labels, orig   []int32
		suffix         string
		includeRecords bool
	}{
		{RoleBuggy, r.buggy, labels, aligned, "#buggy", true},
		{RoleClean, r.fixed, zeros, ident, "#fixed", false},
	} {
		pv := importProvenance{Generator: "pttrust datasets import", Format: o.Format, Position: r.position, Role: row.role}
		if row.includeRecords {
			pv.Fields = r.fields
		}
		js, err := marshalJSON(pv)
		if err != nil {
			return err
		}
		s := Snippet{ID: r.pairID + row.suffix, PairID: r.pairID, Language: r.lang, Source: o.Source, Task: r.task,
			Role: row.role, Split: split, Code: row.code, Labels: row.labels, OriginalLine: row.orig, Provenance: js}
		if err := im.emit(s); err != nil {
			return errEmit{err}
		}
		im.rep.wrote(&s)
	}
	return nil
}

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

// debugBench parses one DebugBench record.
func (im *importer) debugBench(rel string, n int, pos map[string]any, raw []byte) error {
	w := where(pos)
	m, ok := im.decodeRecord(pos, raw)
	if !ok {
		return nil
	}
	var vals [6]string
	var has [6]bool
	for i, names := range [][]string{{"buggy_code"}, {"oracle_code", "solution"}, {"language"}, {"category"}, {"subtype"}, {"slug"}} {
		var okType bool
		vals[i], has[i], okType = im.field(w, m, names...)
		if !okType {
			return nil
		}
	}
	buggy, fixed, lang, category, subtype, slug := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	switch {
	case !has[0]:
		im.rep.problem(w, "malformed", "no buggy_code field")
		return nil
	case !has[1]:
		im.rep.problem(w, "malformed", "no oracle_code (or solution) field")
		return nil
	case !has[2] && im.opts.Language == "":
		im.rep.problem(w, "unknown_language", "no language field")
		return nil
	}
	l := recordLanguage(lang)
	if !has[2] {
		l = im.opts.Language
	}
	task := category
	if subtype != "" {
		if task != "" {
			task += "/"
		}
		task += subtype
	}
	if task == "" {
		task = "unknown"
	}
	fields := map[string]any{}
	if slug != "" {
		fields["slug"] = slug
	}
	if lang != "" {
		fields["language"] = lang
	}
	return im.check(im.pair(record{where: w, pairID: fmt.Sprintf("%s:%s#%d", im.opts.Source, rel, recordIndex(pos, n)),
		lang: l, task: task, buggy: buggy, fixed: fixed, fields: fields, position: pos}))
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

// humanEvalPrefixes maps HumanEvalPack task id prefixes to languages.
var humanEvalPrefixes = map[string]Language{"python": Python, "javascript": JavaScript, "js": JavaScript,
	"java": Java, "go": Go, "cpp": CPP, "c++": CPP, "c": C, "typescript": TypeScript, "ts": TypeScript, "rust": Rust}

// humanEvalPack parses one HumanEvalPack record.
func (im *importer) humanEvalPack(rel string, n int, pos map[string]any, raw []byte) error {
	w := where(pos)
	m, ok := im.decodeRecord(pos, raw)
	if !ok {
		return nil
	}
	var vals [5]string
	var has [5]bool
	for i, name := range []string{"task_id", "prompt", "buggy_solution", "canonical_solution", "bug_type"} {
		var okType bool
		vals[i], has[i], okType = im.field(w, m, name)
		if !okType {
			return nil
		}
	}
	taskID, prompt, buggy, canonical, bugType := vals[0], vals[1], vals[2], vals[3], vals[4]
	switch {
	case !has[2]:
		im.rep.problem(w, "malformed", "no buggy_solution field")
		return nil
	case !has[3]:
		im.rep.problem(w, "malformed", "no canonical_solution field")
		return nil
	case buggy == "" || canonical == "":
		im.rep.problem(w, "empty", "empty buggy_solution or canonical_solution")
		return nil
	}
	var l Language
	prefix, _, found := strings.Cut(taskID, "/")
	if found {
		l = humanEvalPrefixes[strings.ToLower(prefix)]
	}
	if l == "" {
		if im.opts.Language == "" {
			what := strings.ToLower(prefix)
			if !found {
				what = ""
			}
			im.rep.problem(w, "unknown_language", "unknown language %q in task_id %q (known: %v; or pass a language)", what, taskID, AllLanguages)
			return nil
		}
		l = im.opts.Language
	}
	if bugType == "" {
		bugType = "unknown"
	}
	id := taskID
	if id == "" {
		id = fmt.Sprintf("%s#%d", rel, recordIndex(pos, n))
	}
	return im.check(im.pair(record{where: w, pairID: im.opts.Source + ":" + id, lang: l, task: bugType,
		buggy: prompt + buggy, fixed: prompt + canonical, fields: map[string]any{"task_id": taskID}, position: pos}))
}

// check lets errors of emit through and nothing else (record problems are in the report).
func (im *importer) check(err error) error {
	var e errEmit
	if errors.As(err, &e) {
		return e.err
	}
	return err
}

// pairs imports matching files of a buggy and a fixed directory.
func (im *importer) pairs() error {
	buggyDir, fixedDir := im.opts.In, im.opts.Fixed
	if fixedDir == "" {
		buggyDir, fixedDir = filepath.Join(im.opts.In, "buggy"), filepath.Join(im.opts.In, "fixed")
	}
	for _, d := range []string{buggyDir, fixedDir} {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("datasets: import pairs: %w (want DIR/buggy and DIR/fixed, or --fixed)", err)
		}
		if !info.IsDir() {
			return fmt.Errorf("datasets: import pairs: %s is not a directory", d)
		}
	}
	list := func(dir string) ([]string, error) {
		var out []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				rel, err := filepath.Rel(dir, p)
				if err != nil {
					return err
				}
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		return out, err
	}
	buggy, err := list(buggyDir)
	if err != nil {
		return fmt.Errorf("datasets: import pairs: %w", err)
	}
	fixed, err := list(fixedDir)
	if err != nil {
		return fmt.Errorf("datasets: import pairs: %w", err)
	}
	for _, rel := range fixed {
		if !slices.Contains(buggy, rel) {
			im.rep.problem("fixed/"+rel, "no_twin", "no buggy file of that name")
		}
	}
	read := func(p string) (string, string, bool) {
		f, err := os.Open(p)
		if err != nil {
			return "", err.Error(), false
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, int64(im.opts.MaxCodeBytes)+1))
		if err != nil {
			return "", err.Error(), false
		}
		return string(data), "", true
	}
	for _, rel := range buggy {
		w := "buggy/" + rel
		fp := filepath.Join(fixedDir, filepath.FromSlash(rel))
		if _, err := os.Stat(fp); err != nil {
			im.rep.problem(w, "no_twin", "no fixed file of that name")
			continue
		}
		l, ok := LanguageOfName(rel)
		if !ok {
			if im.opts.Language == "" {
				im.rep.problem(w, "unknown_language", "unknown language of extension %q (known: %v; or pass a language)", filepath.Ext(rel), AllLanguages)
				continue
			}
			l = im.opts.Language
		}
		b, msg, ok := read(filepath.Join(buggyDir, filepath.FromSlash(rel)))
		if !ok {
			im.rep.problem(w, "unreadable", "%s", msg)
			continue
		}
		fx, msg, ok := read(fp)
		if !ok {
			im.rep.problem(w, "unreadable", "%s", msg)
			continue
		}
		if l == C && strings.EqualFold(filepath.Ext(rel), ".h") && (hasCPP(b) || hasCPP(fx)) {
			l = CPP
		}
		err := im.pair(record{where: w, pairID: im.opts.Source + ":" + rel, lang: l, task: "pair",
			buggy: b, fixed: fx, position: map[string]any{"file": rel}})
		if err := im.check(err); err != nil {
			return err
		}
	}
	return nil
}

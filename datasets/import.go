package datasets

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ImportFormat names a labeled-benchmark layout.
type ImportFormat string

const (
	// FormatDebugBench reads DebugBench records: JSON objects with buggy_code, oracle_code (or
	// solution) and slug, as a JSON array, JSON Lines, or a directory of such files. Two layouts:
	// the authors' GitHub folder, one file per language and bug subtype named
	// "<language>_<subtype>.json" (cpp_faulty indexing.json) whose records carry neither, and the
	// Hugging Face records with language, category and subtype fields. Task is the subtype,
	// Category the authors' four-way class (syntax, reference, logic, multiple), Group the slug.
	FormatDebugBench ImportFormat = "debugbench"
	// FormatHumanEvalPack reads HumanEvalPack JSON Lines (<lang>/humanevalpack.jsonl): prompt +
	// buggy_solution is the buggy version, prompt + canonical_solution the fixed one; bug_type is
	// the task; the language comes from task_id ("Python/0", "JavaScript/3", "CPP/12", "Rust/7")
	// or ImportOptions.Language, and the group from its number, which every language shares.
	FormatHumanEvalPack ImportFormat = "humanevalpack"
	// FormatPairs reads two directories with matching relative file names, buggy and fixed:
	// In/buggy and In/fixed, or In and ImportOptions.Fixed. The language comes from the file
	// extension; bug type, category and group from an optional manifest (see
	// ImportOptions.Manifest).
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
	// Manifest is FormatPairs' CSV manifest: a header row with a "file" column (the path below
	// the buggy directory, slash-separated) and any of "bug_type" (the task; empty: "pair"),
	// "category" and "group" (pairs of one group share a split). Every buggy file must have a
	// row. Empty: In/manifest.csv when In holds buggy/ and fixed/ and the file exists, else none
	// (every pair is task "pair" and its own group).
	Manifest string
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
	// ValFraction and TestFraction split pairs by SplitOf of their group (Snippet.GroupKey).
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
// the fixed version (Role clean, all labels 0), with a shared PairID, task, category and group;
// the split is drawn per group, so one problem never lands in two splits. Records that cannot be
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
	if err != nil {
		return im.rep, err
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
	category string // "" when the benchmark has none
	group    string // the problem: "" when the pair is its own
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
	// A byte-order mark is no code: dropped, so that a mark in only one version (an editor's
	// habit) is no change of line 1.
	r.buggy, r.fixed = strings.TrimPrefix(r.buggy, "\uFEFF"), strings.TrimPrefix(r.fixed, "\uFEFF")
	for _, v := range []struct{ name, code string }{{"buggy", r.buggy}, {"fixed", r.fixed}} {
		switch {
		case len(v.code) > o.MaxCodeBytes: // before the other checks: a cut version may look broken
			im.rep.problem(r.where, "too_large", "the %s version is %d bytes (max %d)", v.name, len(v.code), o.MaxCodeBytes)
			return nil
		case v.code == "":
			im.rep.problem(r.where, "empty", "the %s version is empty", v.name)
			return nil
		case !utf8.ValidString(v.code):
			im.rep.problem(r.where, "non_utf8", "the %s version is not valid UTF-8", v.name)
			return nil
		case strings.IndexByte(v.code, 0) >= 0:
			im.rep.problem(r.where, "binary", "the %s version holds a NUL byte", v.name)
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
	key := (&Snippet{PairID: r.pairID, Source: o.Source, Group: r.group}).GroupKey()
	split := SplitOf(key, o.ValFraction, o.TestFraction)
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
			Role: row.role, Split: split, Code: row.code, Labels: row.labels, OriginalLine: row.orig, Provenance: js,
			Category: r.category, Group: r.group}
		if err := im.emit(s); err != nil {
			return errEmit{err}
		}
		im.rep.wrote(&s)
	}
	return nil
}

// check lets errors of emit through and nothing else (record problems are in the report).
func (im *importer) check(err error) error {
	var e errEmit
	if errors.As(err, &e) {
		return e.err
	}
	return err
}

package datasets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/pttrust/pttrust/internal/atomicfile"
)

// Role tells the two sides of a pair apart.
type Role string

const (
	// RoleClean is a snippet believed correct: an original program, or the fixed version of a
	// benchmark pair. All its labels are 0.
	RoleClean Role = "clean"
	// RoleBuggy is a mutant or the buggy version of a pair: at least one label is 1.
	RoleBuggy Role = "buggy"
)

// Snippet is one row of a snippets Parquet file (DESIGN.md, "Architecture": snippets.parquet).
// The column names are the parquet tags; pyarrow, DuckDB and pandas read the file as is
// (labels and original_line are standard LIST<INT32> columns).
type Snippet struct {
	// ID is unique within a file: PairID plus "#" and the snippet's part ("#original",
	// "#replace_line.0", "#buggy", "#fixed").
	ID string `parquet:"id"`
	// PairID links a buggy snippet to its clean twin (and a program to all its mutants).
	PairID string `parquet:"pair_id"`
	// Language of the code.
	Language Language `parquet:"language,dict"`
	// Source names the dataset: "mutation", "debugbench", "humanevalpack", "pairs", or what the
	// user chose.
	Source string `parquet:"source,dict"`
	// Task groups snippets for cross-task matrices: the mutation operator ("replace_line",
	// "comparison_flip", ..., "original" for the clean program) or the benchmark's bug type.
	Task string `parquet:"task,dict"`
	// Role is clean or buggy.
	Role Role `parquet:"role,dict"`
	// Split is the pair's split: the split of the original file (SplitOf its stable path) for
	// mutants; for imported pairs SplitOf(GroupKey), so twins, and every pair of one problem,
	// never straddle splits.
	Split Split `parquet:"split,dict"`
	// Code is the snippet's text, valid UTF-8.
	Code string `parquet:"code"`
	// Labels holds one label per line of Code (CodeLines): 1 risky, 0 not.
	Labels []int32 `parquet:"labels,list"`
	// OriginalLine holds, per line of Code, the index of the corresponding line of the pair's
	// clean twin (the original program, or the fixed version), -1 when there is none (an
	// inserted line, a blank line of an imported pair). It is the identity for clean snippets.
	// The contrastive stage pairs a mutant line with OriginalLine's line of the original.
	OriginalLine []int32 `parquet:"original_line,list"`
	// Provenance is a JSON object saying what made the row: generator, seed, file path and
	// SHA-256, record position, edits.
	Provenance string `parquet:"provenance"`
	// Category is a coarser class of the bug above Task where the benchmark has one
	// (DebugBench's four: syntax, reference, logic, multiple); "" (null in the file) when none.
	// Added in snippets/2: files without the column read as "".
	Category string `parquet:"category,optional,dict"`
	// Group is the problem the snippet belongs to (DebugBench's slug, HumanEvalPack's task
	// number shared by its languages, a pairs manifest's group): the split is drawn per group, so
	// a problem never lands in two splits. "" (null) means the pair is its own group. Added in
	// snippets/2: files without the column read as "".
	Group string `parquet:"group,optional"`
}

// GroupKey names what the split of an imported pair is drawn from: its source and group when it
// has a group ("debugbench/two-sum"), else its PairID.
func (s *Snippet) GroupKey() string {
	if s.Group == "" {
		return s.PairID
	}
	return s.Source + "/" + s.Group
}

// Validate checks a row: the fields a reader relies on, and labels and alignment of one
// element per line of Code.
func (s *Snippet) Validate() error {
	switch {
	case s.ID == "":
		return errors.New("empty id")
	case s.PairID == "":
		return fmt.Errorf("%s: empty pair_id", s.ID)
	case !s.Language.Valid():
		return fmt.Errorf("%s: unknown language %q", s.ID, s.Language)
	case s.Source == "":
		return fmt.Errorf("%s: empty source", s.ID)
	case s.Role != RoleClean && s.Role != RoleBuggy:
		return fmt.Errorf("%s: role %q is neither %q nor %q", s.ID, s.Role, RoleClean, RoleBuggy)
	case s.Code == "":
		return fmt.Errorf("%s: empty code", s.ID)
	case !utf8.ValidString(s.Code):
		return fmt.Errorf("%s: code is not valid UTF-8", s.ID)
	}
	if _, err := ParseSplit(string(s.Split)); err != nil {
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	n := LineCount(s.Code)
	if len(s.Labels) != n {
		return fmt.Errorf("%s: %d labels for %d lines", s.ID, len(s.Labels), n)
	}
	if len(s.OriginalLine) != n {
		return fmt.Errorf("%s: %d original_line entries for %d lines", s.ID, len(s.OriginalLine), n)
	}
	ones := 0
	for i, l := range s.Labels {
		if l != 0 && l != 1 {
			return fmt.Errorf("%s: line %d: label %d is neither 0 nor 1", s.ID, i, l)
		}
		ones += int(l)
	}
	switch {
	case s.Role == RoleClean && ones > 0:
		return fmt.Errorf("%s: clean snippet with %d risky lines", s.ID, ones)
	case s.Role == RoleBuggy && ones == 0:
		return fmt.Errorf("%s: buggy snippet without a risky line", s.ID)
	}
	for i, o := range s.OriginalLine {
		if o < -1 {
			return fmt.Errorf("%s: line %d: original_line %d below -1", s.ID, i, o)
		}
	}
	if s.Provenance != "" && !json.Valid([]byte(s.Provenance)) {
		return fmt.Errorf("%s: provenance is not valid JSON", s.ID)
	}
	return nil
}

// snippetColumns are the columns ReadSnippets requires (category and group, added later, are
// optional).
var snippetColumns = []string{"id", "pair_id", "language", "source", "task", "role", "split", "code", "labels", "original_line", "provenance"}

// SnippetSchemaVersion is written to the file's key/value metadata under "pttrust.schema".
// snippets/2 added the optional category and group columns.
const SnippetSchemaVersion = "snippets/2"

// snippetRowsPerGroup and snippetBytesPerGroup bound a row group, which a writer buffers and a
// reader holds in memory: 1024 rows, or fewer whose code adds up to 32 MB.
const (
	snippetRowsPerGroup  = 1024
	snippetBytesPerGroup = 32 << 20
)

// WriteSnippets writes the snippets that produce hands to write into a Parquet file at path and
// returns how many it wrote. Each row is validated (Snippet.Validate) and IDs must be unique;
// the first invalid row, or an error of produce, aborts the write. The write is atomic: rows go
// to a temporary file in the same directory that is renamed over path only when complete, so a
// failed or interrupted write leaves no file (and an older file at path untouched). Rows are
// streamed in row groups of at most 1024 rows and about 32 MB of code, zstd-compressed, and each
// row group's row count and SHA-256 are recorded in the metadata (snippetDigestKey) for the
// reader to check; the bytes depend only on the rows.
func WriteSnippets(path string, produce func(write func(Snippet) error) error) (int, error) {
	n := 0
	err := atomicfile.Write(path, func(w io.Writer) error {
		pw := parquet.NewGenericWriter[Snippet](w,
			parquet.Compression(&parquet.Zstd),
			parquet.MaxRowsPerRowGroup(snippetRowsPerGroup),
			parquet.CreatedBy("pttrust", "datasets", SnippetSchemaVersion),
			parquet.KeyValueMetadata("pttrust.schema", SnippetSchemaVersion),
		)
		seen := map[string]struct{}{}
		buf := make([]Snippet, 0, 64)
		groupBytes := 0 // code bytes in the open row group
		digests := newGroupHasher()
		put := func() error { // hands the buffered rows to the writer
			if len(buf) == 0 {
				return nil
			}
			if _, err := pw.Write(buf); err != nil {
				return err
			}
			clear(buf)
			buf = buf[:0]
			return nil
		}
		endGroup := func() error { // every row group ends here, so that digests match groups
			if err := put(); err != nil {
				return err
			}
			digests.end()
			groupBytes = 0
			return pw.Flush()
		}
		write := func(s Snippet) error {
			if err := s.Validate(); err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			if _, dup := seen[s.ID]; dup {
				return fmt.Errorf("row %d: duplicate id %q", n, s.ID)
			}
			seen[s.ID] = struct{}{}
			buf = append(buf, s)
			digests.add(&s)
			groupBytes += len(s.Code)
			n++
			if digests.rows == snippetRowsPerGroup || groupBytes >= snippetBytesPerGroup {
				return endGroup() // long programs end a group early
			}
			if len(buf) == cap(buf) {
				return put()
			}
			return nil
		}
		if err := produce(write); err != nil {
			return err
		}
		if err := endGroup(); err != nil {
			return err
		}
		pw.SetKeyValueMetadata(snippetDigestKey, digests.metadata())
		return pw.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("datasets: write snippets %s: %w", path, err)
	}
	return n, nil
}

// WriteSnippetSlice writes rows with WriteSnippets.
func WriteSnippetSlice(path string, rows []Snippet) error {
	_, err := WriteSnippets(path, func(write func(Snippet) error) error {
		for _, s := range rows {
			if err := write(s); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// ReadSnippets streams the rows of a snippets file to fn, in file order, one row group in
// memory at a time. Each row is validated. A file that is not Parquet, is truncated or
// corrupt, or lacks a column of Snippet gives an error naming the file (and the row where one
// is to blame); a row group whose rows differ from the digest its writer recorded is an error
// before any of its rows is handed out (files written before the digests are read unchecked). fn may return StopWalk to end early without error.
func ReadSnippets(path string, fn func(Snippet) error) error {
	rows := 0
	err := ScanSnippets(path, 0, func(row int, s Snippet) error {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("datasets: snippets %s: row %d: %w", path, row, err)
		}
		rows++
		return fn(s)
	})
	if errors.Is(err, StopWalk) {
		return nil
	}
	if err != nil {
		return err
	}
	if n, err := CountSnippets(path); err != nil {
		return err
	} else if rows != n {
		return fmt.Errorf("datasets: snippets %s: read %d rows, the footer says %d", path, rows, n)
	}
	return nil
}

// CountSnippets returns the number of rows of a snippets file, from its footer.
func CountSnippets(path string) (n int, err error) {
	err = withSnippetFile(path, func(pf *parquet.File) error {
		n = int(pf.NumRows())
		return nil
	})
	return n, err
}

// ScanSnippets streams the rows of a snippets file from row index from on, in file order, one
// row group in memory at a time (row groups wholly before from are not decoded), passing each
// row's index. Unlike ReadSnippets it does not validate rows, so a caller can report an invalid
// row and go on. The file errors are those of ReadSnippets.
func ScanSnippets(path string, from int, fn func(row int, s Snippet) error) error {
	return withSnippetFile(path, func(pf *parquet.File) error {
		digests, err := fileDigests(path, pf)
		if err != nil {
			return err
		}
		row := 0
		buf := make([]Snippet, 64)
		var group []Snippet
		for g, rg := range pf.RowGroups() {
			if n := int(rg.NumRows()); row+n <= from {
				row += n
				continue
			}
			r := parquet.NewGenericRowGroupReader[Snippet](rg)
			// With digests, the whole group is read and checked before a row is handed out;
			// without (older files), rows are handed out as they are read.
			first := row
			group = group[:0]
			for {
				clear(buf) // fn may keep rows: never let the reader reuse their slices
				k, rerr := r.Read(buf)
				for i := range k {
					if digests != nil {
						group = append(group, buf[i])
					} else if row >= from {
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
					return fmt.Errorf("datasets: snippets %s: row %d: %w", path, row, rerr)
				}
			}
			if err := r.Close(); err != nil {
				return fmt.Errorf("datasets: snippets %s: %w", path, err)
			}
			if digests == nil {
				continue
			}
			if err := checkGroup(path, g, first, group, digests[g]); err != nil {
				return err
			}
			for i := range group {
				if first+i >= from {
					if err := fn(first+i, group[i]); err != nil {
						return err
					}
				}
			}
			clear(group) // the rows belong to fn now
		}
		return nil
	})
}

// withSnippetFile opens a snippets file, checks its columns and hands the Parquet file to fn.
func withSnippetFile(path string, fn func(*parquet.File) error) (err error) {
	defer func() {
		// parquet-go panics on some corruptions instead of returning an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("datasets: snippets %s: corrupt Parquet file: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets: snippets: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("datasets: snippets %s: %w", path, err)
	}
	if info.Size() == 0 {
		return fmt.Errorf("datasets: snippets %s: empty file (0 bytes), not a Parquet snippets file", path)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return fmt.Errorf("datasets: snippets %s: not a readable Parquet file (truncated or corrupt?): %w", path, err)
	}
	have := map[string]bool{}
	for _, f := range pf.Schema().Fields() {
		have[f.Name()] = true
	}
	for _, c := range snippetColumns {
		if !have[c] {
			return fmt.Errorf("datasets: snippets %s: not a snippets file: no column %q", path, c)
		}
	}
	return fn(pf)
}

// ReadAllSnippets reads a whole snippets file into memory (for small files and tests).
func ReadAllSnippets(path string) ([]Snippet, error) {
	var out []Snippet
	err := ReadSnippets(path, func(s Snippet) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

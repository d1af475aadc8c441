package datasets

import (
	"fmt"
	"strings"
	"time"
)

// SkipReason says why Walk left a candidate file out. A candidate is a file whose extension
// belongs to its root's language family; other files are not counted at all.
type SkipReason string

// The skip reasons, in report order.
const (
	SkipVendored  SkipReason = "vendored"  // below node_modules, vendor, third_party, site-packages, ...
	SkipTestdata  SkipReason = "testdata"  // below a testdata directory
	SkipSymlink   SkipReason = "symlink"   // a symbolic link (its target is walked where it lies)
	SkipEmpty     SkipReason = "empty"     // zero bytes
	SkipTooLarge  SkipReason = "too_large" // over WalkOptions.MaxFileBytes
	SkipTooSmall  SkipReason = "too_small" // under WalkOptions.MinFileBytes
	SkipBinary    SkipReason = "binary"    // holds a NUL byte
	SkipNonUTF8   SkipReason = "non_utf8"  // not valid UTF-8
	SkipNotCode   SkipReason = "not_code"  // fails the language's content check
	SkipGenerated SkipReason = "generated" // a generated-file marker in the header
	SkipMinified  SkipReason = "minified"  // a line over 5000 bytes, or lines over 300 bytes on average
	SkipDataTable SkipReason = "table"     // 70 % of 100+ code lines hold only literals
	SkipDuplicate SkipReason = "duplicate" // same content or same stable path as a file taken before
)

// SkipReasons lists every reason in report order.
var SkipReasons = []SkipReason{SkipVendored, SkipTestdata, SkipSymlink, SkipEmpty, SkipTooLarge, SkipTooSmall,
	SkipBinary, SkipNonUTF8, SkipNotCode, SkipGenerated, SkipMinified, SkipDataTable, SkipDuplicate}

// LanguageStats counts one language's files.
type LanguageStats struct {
	// Files and Bytes count the files handed to the callback.
	Files int
	Bytes int64
	// Splits counts the files per split.
	Splits map[Split]int
	// Skipped counts left-out candidates per reason. Files skipped before their content was read
	// count under the language of their extension (a vendored ".h" counts as C).
	Skipped map[SkipReason]int
	// Capped is set when WalkOptions.MaxFilesPerLanguage stopped taking this language.
	Capped bool
}

// SkippedTotal sums Skipped.
func (s *LanguageStats) SkippedTotal() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// RootStats counts what one root gave.
type RootStats struct {
	Root    Root
	Files   int
	Bytes   int64
	Skipped int
}

// Stats reports a walk: per language, per root, and the wall time.
type Stats struct {
	Languages map[Language]*LanguageStats
	Roots     []RootStats
	Elapsed   time.Duration
}

func newStats() *Stats {
	return &Stats{Languages: map[Language]*LanguageStats{}}
}

// lang returns the entry of l, creating it.
func (s *Stats) lang(l Language) *LanguageStats {
	ls := s.Languages[l]
	if ls == nil {
		ls = &LanguageStats{Splits: map[Split]int{}, Skipped: map[SkipReason]int{}}
		s.Languages[l] = ls
	}
	return ls
}

// Found lists, in AllLanguages order, the languages with at least one file taken.
func (s *Stats) Found() []Language {
	var out []Language
	for _, l := range AllLanguages {
		if ls := s.Languages[l]; ls != nil && ls.Files > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Total returns the files and bytes taken over all languages.
func (s *Stats) Total() (files int, bytes int64) {
	for _, ls := range s.Languages {
		files += ls.Files
		bytes += ls.Bytes
	}
	return files, bytes
}

// String renders the stats as a plain-text table: one row per language, then one per root.
func (s *Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %7s %9s %7s %6s %6s", "language", "files", "MB", "train", "val", "test")
	for _, r := range SkipReasons {
		fmt.Fprintf(&b, " %9s", r)
	}
	b.WriteString("\n")
	var tot LanguageStats
	tot.Splits, tot.Skipped = map[Split]int{}, map[SkipReason]int{}
	for _, l := range AllLanguages {
		ls := s.Languages[l]
		if ls == nil {
			continue
		}
		name := string(l)
		if ls.Capped {
			name += "*"
		}
		writeStatsRow(&b, name, ls)
		tot.Files += ls.Files
		tot.Bytes += ls.Bytes
		for k, v := range ls.Splits {
			tot.Splits[k] += v
		}
		for k, v := range ls.Skipped {
			tot.Skipped[k] += v
		}
	}
	writeStatsRow(&b, "total", &tot)
	for _, r := range s.Roots {
		fmt.Fprintf(&b, "root %-40s files %7d  %8.2f MB  skipped %7d\n", r.Root, r.Files, float64(r.Bytes)/1e6, r.Skipped)
	}
	if s.Elapsed > 0 {
		_, bytes := s.Total()
		fmt.Fprintf(&b, "elapsed %v (%.1f MB/s taken)\n", s.Elapsed.Round(time.Millisecond), float64(bytes)/1e6/s.Elapsed.Seconds())
	}
	return b.String()
}

func writeStatsRow(b *strings.Builder, name string, ls *LanguageStats) {
	fmt.Fprintf(b, "%-11s %7d %9.2f %7d %6d %6d", name, ls.Files, float64(ls.Bytes)/1e6,
		ls.Splits[Train], ls.Splits[Validation], ls.Splits[Test])
	for _, r := range SkipReasons {
		fmt.Fprintf(b, " %9d", ls.Skipped[r])
	}
	b.WriteString("\n")
}

package datasets

import (
	"errors"
	"fmt"
)

// Root is one source tree to walk: a directory, or a zip archive read in place (a JDK's
// lib/src.zip).
type Root struct {
	// Language is the root's language family: a root yields files of Language.Family() only (a C
	// root yields C and C++, a JavaScript root JavaScript and TypeScript; other files in the tree,
	// such as the C and assembly files in GOROOT/src, are ignored).
	Language Language
	// Path is the directory, or the zip file when Zip is set.
	Path string
	// Zip marks Path as a zip archive whose entries are walked.
	Zip bool
	// Prefix starts the stable path of every file of the root, in place of the machine-specific
	// Path: "src" gives "go:src/net/http/server.go" whatever the GOROOT; for a zip root it names
	// the archive, "src.zip" giving "java:src.zip!java.base/java/util/List.java". Empty means
	// paths relative to the root with nothing before them.
	Prefix string
	// KeepVendored walks vendored directories (node_modules, vendor, third_party, ...) below
	// Path instead of skipping them. DiscoverRoots sets it for global node_modules directories:
	// there the bundled dependencies of npm are most of the JavaScript on the machine and are
	// distinct packages, not copies of files elsewhere in the corpus (exact duplicates are still
	// dropped by content hash).
	KeepVendored bool
}

// String describes the root for reports and errors.
func (r Root) String() string {
	kind := "dir"
	if r.Zip {
		kind = "zip"
	}
	return fmt.Sprintf("%s %s %s", r.Language, kind, r.Path)
}

// stablePath joins the root's prefix and a slash-separated path relative to the root.
func (r Root) stablePath(rel string) string {
	switch {
	case r.Prefix == "":
		return string(r.Language) + ":" + rel
	case r.Zip:
		return string(r.Language) + ":" + r.Prefix + "!" + rel
	default:
		return string(r.Language) + ":" + r.Prefix + "/" + rel
	}
}

// File is one source file accepted by Walk.
type File struct {
	// Path is stable across machines: the root's language, its Prefix and the path relative to
	// the root, e.g. "go:src/net/http/server.go", "java:src.zip!java.base/java/util/List.java",
	// "c:include/stdio.h". It identifies the file in manifests and decides its Split.
	Path string
	// Source is where the file was read on this machine: an absolute path, or zip path + "!" +
	// entry ("/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip!java.base/java/util/List.java").
	Source string
	// Language is the file's own language (a C++ header in a C root is CPP).
	Language Language
	// Size is the length of Content in bytes.
	Size int
	// SHA256 is the lower-case hex SHA-256 of Content.
	SHA256 string
	// Split is SplitOf(Path, ValFraction, TestFraction).
	Split Split
	// Content is the file's text, valid UTF-8 without NUL bytes.
	Content string
}

// ManifestEntry returns the manifest record of f.
func (f File) ManifestEntry() ManifestEntry {
	return ManifestEntry{Path: f.Path, Language: f.Language, SHA256: f.SHA256, Bytes: f.Size, Split: f.Split, Source: f.Source}
}

// Default walk options.
const (
	// DefaultMaxFileBytes caps files at 200 kB: larger sources are mostly generated tables,
	// bundles or test fixtures, and one of them would fill many training windows.
	DefaultMaxFileBytes = 200_000
	// DefaultMinFileBytes drops stubs too short to teach anything (a package clause alone).
	DefaultMinFileBytes = 64
	// DefaultValFraction and DefaultTestFraction give a 90/5/5 split.
	DefaultValFraction  = 0.05
	DefaultTestFraction = 0.05
)

// WalkOptions configures Walk. Start from DefaultWalkOptions: the zero value does not validate.
type WalkOptions struct {
	// MaxFileBytes skips larger files ("too_large"); must be positive.
	MaxFileBytes int
	// MinFileBytes skips non-empty files shorter than this ("too_small"); 0 keeps every non-empty
	// file (empty files are always skipped as "empty").
	MinFileBytes int
	// Languages restricts the walk to these languages; empty means all.
	Languages []Language
	// MaxFilesPerLanguage stops taking files of a language after this many (0: no limit). Files
	// are taken in walk order, so a limit favors the first directories of a root.
	MaxFilesPerLanguage int
	// ValFraction and TestFraction are the shares of files (by stable-path hash) assigned to the
	// validation and test splits; the rest is train.
	ValFraction, TestFraction float64
	// OnSkip, when set, is called for every candidate left out, with where it was read
	// (File.Source form), the language it is counted under, and the reason.
	OnSkip func(source string, lang Language, reason SkipReason)
}

// DefaultWalkOptions returns the defaults: 200 kB cap, 64 B minimum, all languages, no limit,
// 5 % validation and 5 % test.
func DefaultWalkOptions() WalkOptions {
	return WalkOptions{
		MaxFileBytes: DefaultMaxFileBytes,
		MinFileBytes: DefaultMinFileBytes,
		ValFraction:  DefaultValFraction,
		TestFraction: DefaultTestFraction,
	}
}

// Validate reports the first invalid field, by name.
func (o WalkOptions) Validate() error {
	switch {
	case o.MaxFileBytes <= 0:
		return fmt.Errorf("datasets: WalkOptions.MaxFileBytes must be positive, got %d (start from DefaultWalkOptions)", o.MaxFileBytes)
	case o.MinFileBytes < 0:
		return fmt.Errorf("datasets: WalkOptions.MinFileBytes must not be negative, got %d", o.MinFileBytes)
	case o.MinFileBytes > o.MaxFileBytes:
		return fmt.Errorf("datasets: WalkOptions.MinFileBytes (%d) exceeds MaxFileBytes (%d)", o.MinFileBytes, o.MaxFileBytes)
	case o.MaxFilesPerLanguage < 0:
		return fmt.Errorf("datasets: WalkOptions.MaxFilesPerLanguage must not be negative, got %d", o.MaxFilesPerLanguage)
	case !(o.ValFraction >= 0 && o.ValFraction < 1):
		return fmt.Errorf("datasets: WalkOptions.ValFraction must be in [0, 1), got %v", o.ValFraction)
	case !(o.TestFraction >= 0 && o.TestFraction < 1):
		return fmt.Errorf("datasets: WalkOptions.TestFraction must be in [0, 1), got %v", o.TestFraction)
	case o.ValFraction+o.TestFraction >= 1:
		return fmt.Errorf("datasets: WalkOptions.ValFraction + TestFraction must be below 1, got %v", o.ValFraction+o.TestFraction)
	}
	for _, l := range o.Languages {
		if !l.Valid() {
			return fmt.Errorf("datasets: WalkOptions.Languages: unknown language %q (known: %v)", l, AllLanguages)
		}
	}
	return nil
}

// StopWalk, returned by Walk's callback, ends the walk early without error.
var StopWalk = errors.New("datasets: stop walk")

// Package datasets builds the data of pttrust (see DESIGN.md, "Architecture").
//
// This part holds the corpus walkers: DiscoverRoots finds the real source trees of the machine
// (GOROOT/src, the Python standard library, a JDK's src.zip read in place, /usr/include, global
// node_modules), Walk streams their files in a deterministic order while leaving out vendored,
// testdata, generated, oversized, binary and non-UTF-8 files (counted per reason in Stats),
// SplitOf assigns each file to train, validation or test by a hash of its stable path, and
// WriteManifest records every file used (path, language, sha256, bytes, split).
//
// The labeled data: Snippet is the row of a snippets Parquet file (WriteSnippets, ReadSnippets:
// code, per-line labels, pair id linking a buggy snippet to its clean twin, alignment to the
// twin's lines, provenance). The mutation engine (Mutator, MutateCorpus) turns real programs
// into clean originals plus mutants: the paper's line operators (replace, insert, delete at
// 15-25 % of lines) and one-edit operator mutants (comparison flip, off-by-one, arithmetic swap,
// boolean negation, swapped arguments, wrong variable). The importers (Import) read DebugBench,
// HumanEvalPack and buggy/fixed file pairs, labeling lines with DiffLabels, a Myers line diff
// that ignores whitespace and blank lines. Lines are split by CodeLines, the rule the states
// package shares.
package datasets

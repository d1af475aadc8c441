// Package datasets builds the data of pttrust (see DESIGN.md, "Architecture").
//
// This part holds the corpus walkers: DiscoverRoots finds the real source trees of the machine
// (GOROOT/src, the Python standard library, a JDK's src.zip read in place, /usr/include, global
// node_modules), Walk streams their files in a deterministic order while leaving out vendored,
// testdata, generated, oversized, binary and non-UTF-8 files (counted per reason in Stats),
// SplitOf assigns each file to train, validation or test by a hash of its stable path, and
// WriteManifest records every file used (path, language, sha256, bytes, split).
//
// The mutation engine, the benchmark importers and the Parquet snippet schema come later.
package datasets

package datasets

import (
	"testing"
)

// BenchmarkWalkGOROOT walks all of GOROOT/src (no file limit) and reports the throughput in
// bytes of source taken (MB/s).
func BenchmarkWalkGOROOT(b *testing.B) {
	root, ok := goRoot()
	if !ok {
		b.Skip("no GOROOT/src found (DiscoverRoots found no Go root)")
	}
	opts := DefaultWalkOptions()
	var taken int64
	for b.Loop() {
		st, err := Walk([]Root{root}, opts, func(File) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		_, taken = st.Total()
	}
	b.SetBytes(taken)
}

// BenchmarkWalkAll walks every discovered root (slow: a few seconds per iteration).
func BenchmarkWalkAll(b *testing.B) {
	roots := DiscoverRoots()
	opts := DefaultWalkOptions()
	var taken int64
	for b.Loop() {
		st, err := Walk(roots, opts, func(File) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		_, taken = st.Total()
	}
	b.SetBytes(taken)
}

// goRoot returns the discovered Go root.
func goRoot() (Root, bool) {
	for _, r := range DiscoverRoots() {
		if r.Language == Go {
			return r, true
		}
	}
	return Root{}, false
}

package datasets

import (
	"archive/zip"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// walkZip walks the entries of a zip root (a JDK's lib/src.zip) without extracting them, in the
// order walkDir would visit the same tree.
func (w *walker) walkZip(root Root) error {
	zr, err := zip.OpenReader(root.Path)
	if err != nil {
		return fmt.Errorf("datasets: root %s: %w", root, err)
	}
	defer zr.Close()
	type item struct {
		rel string
		f   *zip.File
	}
	var items []item
	for _, f := range zr.File {
		mode := f.Mode()
		if mode.IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		rel := path.Clean(strings.TrimPrefix(f.Name, "/"))
		if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		items = append(items, item{rel, f})
	}
	slices.SortStableFunc(items, func(a, b item) int { return comparePaths(a.rel, b.rel) })
	for _, it := range items {
		f := it.f
		mode := f.Mode()
		if mode.Type()&^fs.ModeSymlink != 0 {
			continue // devices, pipes, sockets
		}
		e := entry{
			rel:     it.rel,
			source:  root.Path + "!" + f.Name,
			size:    int64(f.UncompressedSize64),
			symlink: mode&fs.ModeSymlink != 0,
			open:    func() (io.ReadCloser, error) { return f.Open() },
		}
		if err := w.visit(root, e); err != nil {
			return err
		}
	}
	return nil
}

// comparePaths orders slash-separated paths component by component, as filepath.WalkDir visits
// a tree ("a/b" before "a.b", unlike a plain string sort).
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		ca, ra, _ := strings.Cut(a, "/")
		cb, rb, _ := strings.Cut(b, "/")
		if c := cmp.Compare(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return cmp.Compare(len(a), len(b))
}

package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// vendoredDirs are directory names whose contents are copies of other projects.
var vendoredDirs = map[string]bool{
	"vendor": true, "_vendor": true, "node_modules": true, "bower_components": true,
	"third_party": true, "third-party": true, "thirdparty": true, "3rdparty": true,
	"site-packages": true, "dist-packages": true,
}

// Walk streams the source files of roots, in order, to fn: one root after another, and within a
// root by path, component by component (the order of filepath.WalkDir; zip entries are sorted the
// same way), so two walks of the same trees hand over the same files in the same order. Only one
// file's content is held at a time.
//
// A candidate (a file whose extension belongs to its root's family, see Root.Language) is left
// out, and counted in Stats under its reason, when it lies below a vendored directory (vendor,
// node_modules, third_party, site-packages, ...; unless Root.KeepVendored) or below a testdata
// directory, is a symlink, is empty, over MaxFileBytes or under MinFileBytes, holds a NUL byte,
// is not UTF-8, fails its language's content check, looks generated (a marker such as "Code
// generated ... DO NOT EDIT" or "@generated" in its header), is minified, is mostly literals (a
// data table), or repeats the content or stable path of a file taken before. Each file taken gets
// its split from SplitOf(File.Path, ValFraction, TestFraction).
//
// fn may return StopWalk to end the walk without error; any other error ends the walk and is
// returned. Errors name the root or the file.
func Walk(roots []Root, opts WalkOptions, fn func(File) error) (*Stats, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	w := &walker{
		opts:     opts,
		allowed:  map[Language]bool{},
		stats:    newStats(),
		seenSHA:  map[[sha256.Size]byte]struct{}{},
		seenPath: map[string]struct{}{},
		fn:       fn,
	}
	langs := opts.Languages
	if len(langs) == 0 {
		langs = AllLanguages
	}
	for _, l := range langs {
		w.allowed[l] = true
	}
	start := time.Now()
	defer func() { w.stats.Elapsed = time.Since(start) }()
	for _, root := range roots {
		if !root.Language.Valid() {
			return w.stats, fmt.Errorf("datasets: root %s: unknown language %q", root.Path, root.Language)
		}
		if !w.anyAllowed(root.Language.Family()) {
			continue
		}
		w.stats.Roots = append(w.stats.Roots, RootStats{Root: root})
		w.root = &w.stats.Roots[len(w.stats.Roots)-1]
		var err error
		if root.Zip {
			err = w.walkZip(root)
		} else {
			err = w.walkDir(root)
		}
		switch {
		case errors.Is(err, StopWalk):
			return w.stats, nil
		case errors.Is(err, errRootDone):
		case err != nil:
			return w.stats, err
		}
	}
	return w.stats, nil
}

// errRootDone ends a root early once every language it can yield is capped.
var errRootDone = errors.New("datasets: root done")

// walker holds the state of one Walk.
type walker struct {
	opts     WalkOptions
	allowed  map[Language]bool
	stats    *Stats
	root     *RootStats
	seenSHA  map[[sha256.Size]byte]struct{}
	seenPath map[string]struct{}
	fn       func(File) error
	buf      []byte
	current  string // Source of the entry being visited
}

func (w *walker) anyAllowed(langs []Language) bool {
	return slices.ContainsFunc(langs, func(l Language) bool { return w.allowed[l] })
}

// capped reports whether language l takes no more files.
func (w *walker) capped(l Language) bool {
	if w.opts.MaxFilesPerLanguage <= 0 {
		return false
	}
	ls := w.stats.Languages[l]
	if ls != nil && ls.Files >= w.opts.MaxFilesPerLanguage {
		ls.Capped = true
		return true
	}
	return false
}

// entry is one file of a root as listed, before its content is read.
type entry struct {
	rel     string // slash-separated path relative to the root
	source  string // where it is read on this machine
	size    int64  // length as listed (file info or zip header)
	symlink bool
	open    func() (io.ReadCloser, error)
}

// skip counts a left-out candidate (the entry being visited).
func (w *walker) skip(l Language, r SkipReason) {
	w.stats.lang(l).Skipped[r]++
	w.root.Skipped++
	if w.opts.OnSkip != nil {
		w.opts.OnSkip(w.current, l, r)
	}
}

// visit runs one entry through the filters and hands it to fn when it passes.
func (w *walker) visit(root Root, e entry) error {
	w.current = e.source
	nameLang, ok := LanguageOfName(e.rel)
	if !ok || !slices.Contains(root.Language.Family(), nameLang) {
		return nil
	}
	// A ".h" named C may turn out C++.
	possible := []Language{nameLang}
	if nameLang == C && strings.EqualFold(path.Ext(e.rel), ".h") {
		possible = append(possible, CPP)
	}
	if !w.anyAllowed(possible) {
		return nil
	}
	// Skips found before reading count under the name's language, or under C++ for a ".h" in a
	// walk of C++ only.
	countLang := nameLang
	if !w.allowed[countLang] {
		countLang = CPP
	}
	if !slices.ContainsFunc(possible, func(l Language) bool { return w.allowed[l] && !w.capped(l) }) {
		if !slices.ContainsFunc(root.Language.Family(), func(l Language) bool { return w.allowed[l] && !w.capped(l) }) {
			return errRootDone
		}
		return nil
	}
	dirs := strings.Split(path.Dir(e.rel), "/")
	switch {
	case !root.KeepVendored && slices.ContainsFunc(dirs, func(d string) bool { return vendoredDirs[d] }):
		w.skip(countLang, SkipVendored)
		return nil
	case slices.Contains(dirs, "testdata"):
		w.skip(countLang, SkipTestdata)
		return nil
	case e.symlink:
		w.skip(countLang, SkipSymlink)
		return nil
	case e.size == 0:
		w.skip(countLang, SkipEmpty)
		return nil
	case e.size > int64(w.opts.MaxFileBytes):
		w.skip(countLang, SkipTooLarge)
		return nil
	case e.size < int64(w.opts.MinFileBytes):
		w.skip(countLang, SkipTooSmall)
		return nil
	}
	data, err := w.read(e)
	if err != nil {
		return err
	}
	switch {
	case len(data) == 0:
		w.skip(countLang, SkipEmpty)
		return nil
	case len(data) > w.opts.MaxFileBytes:
		w.skip(countLang, SkipTooLarge)
		return nil
	case len(data) < w.opts.MinFileBytes:
		w.skip(countLang, SkipTooSmall)
		return nil
	case bytes.IndexByte(data, 0) >= 0:
		w.skip(countLang, SkipBinary)
		return nil
	case !utf8.Valid(data):
		w.skip(countLang, SkipNonUTF8)
		return nil
	}
	content := string(data)
	lang := classify(nameLang, e.rel, content)
	if lang == "" {
		w.skip(countLang, SkipNotCode)
		return nil
	}
	if !w.allowed[lang] || w.capped(lang) {
		return nil
	}
	if why := isGenerated(content); why != "" {
		w.skip(lang, why)
		return nil
	}
	sum := sha256.Sum256(data)
	stable := root.stablePath(e.rel)
	if _, dup := w.seenSHA[sum]; dup {
		w.skip(lang, SkipDuplicate)
		return nil
	}
	if _, dup := w.seenPath[stable]; dup {
		w.skip(lang, SkipDuplicate)
		return nil
	}
	w.seenSHA[sum] = struct{}{}
	w.seenPath[stable] = struct{}{}
	f := File{
		Path:     stable,
		Source:   e.source,
		Language: lang,
		Size:     len(content),
		SHA256:   hex.EncodeToString(sum[:]),
		Split:    SplitOf(stable, w.opts.ValFraction, w.opts.TestFraction),
		Content:  content,
	}
	ls := w.stats.lang(lang)
	ls.Files++
	ls.Bytes += int64(f.Size)
	ls.Splits[f.Split]++
	w.root.Files++
	w.root.Bytes += int64(f.Size)
	if err := w.fn(f); err != nil {
		if errors.Is(err, StopWalk) {
			return err
		}
		return fmt.Errorf("datasets: %s: %w", e.source, err)
	}
	return nil
}

// read returns up to MaxFileBytes+1 bytes of the entry in a buffer reused across files.
func (w *walker) read(e entry) ([]byte, error) {
	rc, err := e.open()
	if err != nil {
		return nil, fmt.Errorf("datasets: open %s: %w", e.source, err)
	}
	defer rc.Close()
	limit := int64(w.opts.MaxFileBytes) + 1
	if cap(w.buf) < int(min(e.size+1, limit)) {
		w.buf = make([]byte, 0, min(e.size+1, limit))
	}
	buf := bytes.NewBuffer(w.buf[:0])
	if _, err := buf.ReadFrom(io.LimitReader(rc, limit)); err != nil {
		return nil, fmt.Errorf("datasets: read %s: %w", e.source, err)
	}
	w.buf = buf.Bytes()
	return w.buf, nil
}

// walkDir walks a directory root. A root that is a symlink (Debian's /usr/lib/go) is resolved
// first; Source paths still start with Root.Path.
func (w *walker) walkDir(root Root) error {
	real, err := filepath.EvalSymlinks(root.Path)
	if err != nil {
		return fmt.Errorf("datasets: root %s: %w", root, err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("datasets: root %s: %w", root, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("datasets: root %s: not a directory", root)
	}
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("datasets: walk %s: %w", p, err)
		}
		if d.IsDir() {
			return nil
		}
		typ := d.Type()
		if !typ.IsRegular() && typ&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return fmt.Errorf("datasets: walk %s: %w", p, err)
		}
		source := filepath.Join(root.Path, rel)
		e := entry{rel: filepath.ToSlash(rel), source: source, symlink: typ&fs.ModeSymlink != 0}
		if !e.symlink {
			// Size only for candidates: the Info call costs an lstat.
			if _, ok := LanguageOfName(e.rel); ok {
				fi, err := d.Info()
				if err != nil {
					return fmt.Errorf("datasets: stat %s: %w", source, err)
				}
				e.size = fi.Size()
			}
		}
		e.open = func() (io.ReadCloser, error) { return os.Open(p) }
		return w.visit(root, e)
	})
}

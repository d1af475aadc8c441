package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestName is the pairs manifest looked for in In when In holds buggy/ and fixed/.
const ManifestName = "manifest.csv"

// pairMeta is a manifest row: what a buggy file's pair is.
type pairMeta struct {
	task, category, group string
}

// manifestColumns are the columns a manifest may have ("file" is required).
var manifestColumns = []string{"file", "bug_type", "category", "group"}

// readManifest reads a pairs manifest: CSV with a header naming its columns. Structural
// problems (no file column, an unknown column, a file listed twice, a row of the wrong length)
// are errors naming the manifest and its line: a manifest is a small hand-made file.
func readManifest(p string) (map[string]pairMeta, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("datasets: import pairs: manifest: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	r.Comment = '#'
	fail := func(format string, a ...any) error {
		line, _ := r.FieldPos(0)
		return fmt.Errorf("datasets: import pairs: manifest %s: line %d: %s", p, line, fmt.Sprintf(format, a...))
	}
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("datasets: import pairs: manifest %s: empty (want a header row: %s)", p, strings.Join(manifestColumns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: import pairs: manifest %s: %w", p, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if !slices.Contains(manifestColumns, h) {
			return nil, fail("unknown column %q (known: %s)", h, strings.Join(manifestColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fail("column %q twice", h)
		}
		col[h] = i
	}
	if _, ok := col["file"]; !ok {
		return nil, fail("no \"file\" column in the header %q", strings.Join(header, ","))
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	out := map[string]pairMeta{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("datasets: import pairs: manifest %s: %w", p, err)
		}
		file := filepath.ToSlash(get(row, "file"))
		switch {
		case file == "":
			return nil, fail("empty file name")
		case strings.HasPrefix(file, "/") || slices.Contains(strings.Split(file, "/"), ".."):
			return nil, fail("file %q is not a path below the buggy directory", file)
		}
		if _, dup := out[file]; dup {
			return nil, fail("file %q listed twice", file)
		}
		m := pairMeta{task: get(row, "bug_type"), category: get(row, "category"), group: get(row, "group")}
		if m.task == "" {
			m.task = "pair"
		}
		out[file] = m
	}
}

// pairs imports matching files of a buggy and a fixed directory.
func (im *importer) pairs() error {
	buggyDir, fixedDir := im.opts.In, im.opts.Fixed
	manifest := im.opts.Manifest
	if fixedDir == "" {
		buggyDir, fixedDir = filepath.Join(im.opts.In, "buggy"), filepath.Join(im.opts.In, "fixed")
		if p := filepath.Join(im.opts.In, ManifestName); manifest == "" && isRegular(p) {
			manifest = p
		}
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
	var meta map[string]pairMeta
	if manifest != "" {
		var err error
		if meta, err = readManifest(manifest); err != nil {
			return err
		}
	}
	buggy, err := listFiles(buggyDir)
	if err != nil {
		return fmt.Errorf("datasets: import pairs: %w", err)
	}
	fixed, err := listFiles(fixedDir)
	if err != nil {
		return fmt.Errorf("datasets: import pairs: %w", err)
	}
	for _, rel := range fixed {
		if !slices.Contains(buggy, rel) {
			im.rep.problem("fixed/"+rel, "no_twin", "no buggy file of that name")
		}
	}
	for _, rel := range sortedKeys(meta) {
		if !slices.Contains(buggy, rel) {
			im.rep.problem(filepath.Base(manifest)+": "+rel, "no_twin", "the manifest lists %q, which is no file of the buggy directory", rel)
		}
	}
	for _, rel := range buggy {
		w := "buggy/" + rel
		m := pairMeta{task: "pair"}
		if meta != nil {
			var ok bool
			if m, ok = meta[rel]; !ok {
				im.rep.problem(w, "not_in_manifest", "no row of %s names this file", manifest)
				continue
			}
		}
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
		b, kind, msg := im.readCode(filepath.Join(buggyDir, filepath.FromSlash(rel)), "buggy")
		if kind != "" {
			im.rep.problem(w, kind, "%s", msg)
			continue
		}
		fx, kind, msg := im.readCode(fp, "fixed")
		if kind != "" {
			im.rep.problem(w, kind, "%s", msg)
			continue
		}
		if l == C && strings.EqualFold(filepath.Ext(rel), ".h") && (hasCPP(b) || hasCPP(fx)) {
			l = CPP
		}
		err := im.pair(record{where: w, pairID: im.opts.Source + ":" + rel, lang: l, task: m.task, category: m.category,
			group: m.group, buggy: b, fixed: fx, position: map[string]any{"file": rel}})
		if err := im.check(err); err != nil {
			return err
		}
	}
	return nil
}

// readCode reads the given version of a pair from p. A file over MaxCodeBytes is not read: it is
// reported ("too_large") with its real size; a file that cannot be read is "unreadable". kind is
// empty when code was read.
func (im *importer) readCode(p, version string) (code, kind, msg string) {
	f, err := os.Open(p)
	if err != nil {
		if target, lerr := os.Readlink(p); lerr == nil {
			return "", "unreadable", fmt.Sprintf("%s is a symbolic link to %s: %v", p, target, errors.Unwrap(err))
		}
		return "", "unreadable", err.Error()
	}
	defer f.Close()
	limit := int64(im.opts.MaxCodeBytes)
	if info, err := f.Stat(); err == nil && info.Size() > limit {
		return "", "too_large", fmt.Sprintf("the %s version is %d bytes (max %d)", version, info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", "unreadable", fmt.Sprintf("%s: %v", p, err)
	}
	if int64(len(data)) > limit { // it grew since the Stat, or it is no regular file
		return "", "too_large", fmt.Sprintf("the %s version is over %d bytes", version, limit)
	}
	return string(data), "", ""
}

// listFiles lists the files below dir, slash-separated and relative to it, in name order: the
// regular files and the symbolic links that do not lead to a folder (a link to a file is read
// through; a broken one is listed, so that reading it reports the problem, instead of its pair
// being reported as missing a twin).
func listFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		keep := d.Type().IsRegular()
		if d.Type()&fs.ModeSymlink != 0 {
			info, err := os.Stat(p)
			keep = err != nil || !info.IsDir()
		}
		if keep {
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

// isRegular reports whether p is a regular file.
func isRegular(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]pairMeta) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

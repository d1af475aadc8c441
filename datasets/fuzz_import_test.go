package datasets

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzImport runs ImportSnippets with opts on an input that exists and checks what it emits
// and reports: no error (problems are reported, not returned); every row valid, ids unique;
// rows in twins, buggy then fixed, sharing pair id, split, task, category, group and language;
// the buggy labels and alignment are DiffLabels' for the two versions; the fixed version's
// alignment is the identity; every problem names an input under where. When rows came out,
// Import writes them and ReadAllSnippets gives them back unchanged.
func fuzzImport(t *testing.T, opts ImportOptions, where []string) {
	var rows []Snippet
	ids := map[string]bool{}
	rep, err := ImportSnippets(opts, func(s Snippet) error {
		if err := s.Validate(); err != nil {
			t.Fatalf("invalid row emitted: %v", err)
		}
		if ids[s.ID] {
			t.Fatalf("id %q emitted twice", s.ID)
		}
		ids[s.ID] = true
		rows = append(rows, s)
		return nil
	})
	if err != nil {
		t.Fatalf("import of an existing input failed: %v", err)
	}
	if len(rows)%2 != 0 || rep.Total() != len(rows) {
		t.Fatalf("%d rows emitted, the report says %d", len(rows), rep.Total())
	}
	for i := 0; i < len(rows); i += 2 {
		b, f := rows[i], rows[i+1]
		if b.Role != RoleBuggy || f.Role != RoleClean || b.ID != b.PairID+"#buggy" || f.ID != b.PairID+"#fixed" || f.PairID != b.PairID ||
			b.Split != f.Split || b.Task != f.Task || b.Category != f.Category || b.Group != f.Group || b.Language != f.Language {
			t.Fatalf("rows %d and %d are no twins:\n%+v\n%+v", i, i+1, b, f)
		}
		if b.Split != SplitOf(b.GroupKey(), opts.ValFraction, opts.TestFraction) {
			t.Fatalf("%s: split %s is not the group's", b.ID, b.Split)
		}
		labels, aligned, err := DiffLabels(b.Language, b.Code, f.Code, opts.MaxDiffDistance)
		if err != nil || !slices.Equal(labels, b.Labels) || !slices.Equal(aligned, b.OriginalLine) {
			t.Fatalf("%s: labels %v aligned %v, DiffLabels gives %v %v (%v)", b.ID, b.Labels, b.OriginalLine, labels, aligned, err)
		}
		for j, o := range f.OriginalLine {
			if o != int32(j) {
				t.Fatalf("%s: original_line %v is not the identity", f.ID, f.OriginalLine)
			}
		}
	}
	for _, p := range rep.Problems {
		if !slices.ContainsFunc(where, func(w string) bool { return strings.HasPrefix(p.Where, w) }) {
			t.Fatalf("problem %v names no input (want one of %q)", p, where)
		}
	}
	if len(rows) == 0 {
		return
	}
	out := filepath.Join(t.TempDir(), "out.parquet")
	if _, err := Import(opts, out); err != nil {
		t.Fatalf("Import: %v", err)
	}
	back, err := ReadAllSnippets(out)
	if err != nil || !reflect.DeepEqual(back, rows) {
		t.Fatalf("the written rows read back differently (%v)", err)
	}
}

// fuzzOptions are the import options of the fuzz targets; small limits come from a fuzzed byte,
// so that the too_large and line_too_long paths are reached too.
func fuzzOptions(format ImportFormat, in string, limits uint8) ImportOptions {
	o := DefaultImportOptions()
	o.Format, o.In = format, in
	if limits&1 != 0 {
		o.MaxCodeBytes, o.MaxLineBytes, o.MaxRecordBytes = 200, 40, 400
	}
	if limits&2 != 0 {
		o.Language = Python
	}
	o.MaxDiffDistance = []int{0, 2, 50}[int(limits>>2)%3]
	return o
}

// readSeeds returns the files of testdata/dir.
func readSeeds(dir string) map[string][]byte {
	out := map[string][]byte{}
	_ = filepath.WalkDir(filepath.Join("testdata", dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil {
				out[filepath.ToSlash(p)] = data
			}
		}
		return nil
	})
	return out
}

// debugBenchNames are the file names a fuzzed DebugBench record file is written under: the
// Hugging Face form, and the GitHub layout's <language>_<subtype>.json (known and unknown).
var debugBenchNames = []string{"records.jsonl", "python3_faulty indexing.json", "cpp_double.json", "notes.json", "rust_misused == or =.ndjson"}

// FuzzImportDebugBench feeds an arbitrary file of DebugBench records (JSON array or JSON Lines,
// under a GitHub-layout or a plain name) to the importer; see fuzzImport for the properties. The
// corpus is kept in testdata/fuzz/FuzzImportDebugBench.
func FuzzImportDebugBench(f *testing.F) {
	for p, data := range readSeeds("debugbench") {
		f.Add(data, uint8(0), uint8(0), strings.HasSuffix(p, ".json"))
	}
	for p, data := range readSeeds("debugbench_github") {
		f.Add(data, uint8(slices.Index(debugBenchNames, filepath.Base(p))+1), uint8(0), false)
	}
	f.Add([]byte(`{"buggy_code": "x = 1\n", "oracle_code": "x = 2\n", "language": null, "Category": "Syntax Error"}`+"\n[1]\n\"s\"\n{\"buggy_code\": 3}\n"), uint8(0), uint8(3), false)
	f.Add([]byte("\uFEFF [ {\"solution\": \"a\\n\", \"buggy_code\": \"b\\n\"}, {\"buggy_code\": \"\\ud800\"} ,"), uint8(1), uint8(4), false)

	f.Fuzz(func(t *testing.T, data []byte, name, limits uint8, asDir bool) {
		dir := t.TempDir()
		rel := debugBenchNames[int(name)%len(debugBenchNames)]
		p := filepath.Join(dir, rel)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		in := p
		if asDir {
			in = dir
		}
		fuzzImport(t, fuzzOptions(FormatDebugBench, in, limits), []string{rel})
	})
}

// humanEvalPackDirs are the folders a fuzzed HumanEvalPack file is written in: none, and the
// <lang>/humanevalpack.jsonl layout (known and unknown languages).
var humanEvalPackDirs = []string{"", "python", "cpp", "rust", "kotlin"}

// FuzzImportHumanEvalPack feeds an arbitrary HumanEvalPack JSON Lines file (in a language folder
// of the layout or not) to the importer; see fuzzImport for the properties. The corpus is kept
// in testdata/fuzz/FuzzImportHumanEvalPack.
func FuzzImportHumanEvalPack(f *testing.F) {
	for p, data := range readSeeds("humanevalpack") {
		_ = p
		f.Add(data, uint8(0), uint8(0))
	}
	for p, data := range readSeeds("humanevalpack_layout") {
		f.Add(data, uint8(slices.Index(humanEvalPackDirs, filepath.Base(filepath.Dir(p)))), uint8(0))
	}
	f.Add([]byte(`{"task_id": "Python/1", "prompt": "", "buggy_solution": "a\n", "canonical_solution": "a\n\n"}`+"\n"+`{"task_id": 7}`+"\n"+`{"task_id": "x", "buggy_solution": "", "canonical_solution": "b"}`), uint8(4), uint8(2))

	f.Fuzz(func(t *testing.T, data []byte, folder, limits uint8) {
		root := t.TempDir()
		sub := humanEvalPackDirs[int(folder)%len(humanEvalPackDirs)]
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		rel := filepath.ToSlash(filepath.Join(sub, "humanevalpack.jsonl"))
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(rel)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		fuzzImport(t, fuzzOptions(FormatHumanEvalPack, root, limits), []string{rel})
	})
}

// pairsNames are the relative names of the fuzzed pairs: known extensions, a header that may be
// C or C++, and an unknown extension.
var pairsNames = []string{"a.py", "sub/b.go", "c.h", "d.rs", "notes.txt"}

// FuzzImportPairs feeds an arbitrary buggy and fixed file and an arbitrary manifest to the pairs
// importer. A manifest that does not parse is an error naming the manifest; anything else must
// import as fuzzImport checks. The corpus is kept in testdata/fuzz/FuzzImportPairs.
func FuzzImportPairs(f *testing.F) {
	seeds := readSeeds("pairs")
	for _, n := range []string{"a.py", "b.go", "sub/C.java", "notes.txt"} {
		b, x := seeds["testdata/pairs/buggy/"+n], seeds["testdata/pairs/fixed/"+n]
		f.Add(b, x, []byte(nil), uint8(slices.Index(pairsNames, n)+1), uint8(0))
	}
	f.Add([]byte("int f(void);\n"), []byte("int f(int);\n"), []byte("file,bug_type,category,group\nc.h,sig,api,g1\nzz.c,,,\n"), uint8(2), uint8(0))
	f.Add([]byte("x\n"), []byte("y\n"), []byte("\uFEFFFile, Group\n# note\n\"sub/b.go\",g\n"), uint8(1), uint8(1))
	f.Add([]byte("x\n"), []byte("y\n"), []byte("file,file\n"), uint8(0), uint8(0))
	f.Add([]byte("x\n"), []byte("y\n"), []byte("file\n../a.py\n"), uint8(0), uint8(0))

	f.Fuzz(func(t *testing.T, buggy, fixed, manifest []byte, name, limits uint8) {
		root := t.TempDir()
		rel := pairsNames[int(name)%len(pairsNames)]
		for side, data := range map[string][]byte{"buggy": buggy, "fixed": fixed} {
			p := filepath.Join(root, side, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		opts := fuzzOptions(FormatPairs, root, limits)
		if len(manifest) > 0 {
			m := filepath.Join(root, ManifestName)
			if err := os.WriteFile(m, manifest, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := readManifest(m); err != nil {
				if !strings.Contains(err.Error(), m) {
					t.Fatalf("manifest error does not name the manifest: %v", err)
				}
				if _, err := ImportSnippets(opts, func(Snippet) error { return nil }); err == nil || !strings.Contains(err.Error(), m) {
					t.Fatalf("import with a bad manifest: %v", err)
				}
				return
			}
		}
		fuzzImport(t, opts, []string{"buggy/" + rel, "fixed/" + rel, ManifestName + ": "})
	})
}

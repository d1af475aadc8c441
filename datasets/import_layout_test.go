package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// DebugBench as its authors publish it on GitHub: <language>_<subtype>.json arrays whose records
// name neither; the file name gives both, the subtype the category, the slug the group.
func TestImportDebugBenchGitHubLayout(t *testing.T) {
	rep, rows := importAll(t, opts(FormatDebugBench, filepath.Join("testdata", "debugbench_github")))
	b := rows["debugbench:python3_condition error.json#1#buggy"]
	require.Equal(t, Python, b.Language)
	require.Equal(t, "condition error", b.Task)
	require.Equal(t, "logic", b.Category)
	require.Equal(t, "sum-positive", b.Group)
	require.Equal(t, []int32{0, 0, 0, 0, 1, 0, 0}, b.Labels)
	d := rows["debugbench:cpp_double.json#1#buggy"]
	require.Equal(t, CPP, d.Language)
	require.Equal(t, "double", d.Task)
	require.Equal(t, "multiple", d.Category)
	require.Equal(t, []int32{0, 0, 0, 1, 0, 1, 0, 0, 0}, d.Labels, "both planted bugs")
	j := rows["debugbench:java_faulty indexing.json#1#buggy"]
	require.Equal(t, Java, j.Language)
	require.Equal(t, "reference", j.Category)
	// One problem, two languages (and two bug types): one group, one split.
	require.Equal(t, b.Group, d.Group)
	require.Equal(t, b.Split, d.Split)
	require.Equal(t, rows["debugbench:python3_faulty indexing.json#1#buggy"].Split, j.Split)
	require.Equal(t, []string{
		"notes.json#record 1: unknown_language",
		"python3_faulty indexing.json#record 2: no_difference",
	}, problems(rep))
	require.Contains(t, rep.Problems[0].Detail, `the file name "notes.json" is not <language>_<subtype>.json`)

	// A language given for files without one in their name.
	o := opts(FormatDebugBench, filepath.Join("testdata", "debugbench_github", "notes.json"))
	o.Language = Python
	_, rows = importAll(t, o)
	require.Equal(t, "unknown", rows["debugbench:notes.json#1#buggy"].Task)
	require.Empty(t, rows["debugbench:notes.json#1#buggy"].Category)

	for sub, cat := range map[string]string{"illegal indentation": "syntax", "Undefined Methods": "reference", "misused == or =": "logic", "quadruple": "multiple"} {
		got, ok := DebugBenchCategory(sub)
		require.True(t, ok, sub)
		require.Equal(t, cat, got, sub)
	}
	_, ok := DebugBenchCategory("cosmic ray")
	require.False(t, ok)
	require.Equal(t, "logic", normalizeCategory(" Logic Error"))
}

// HumanEvalPack's layout, <lang>/humanevalpack.jsonl: the task number is the group, shared by
// every language, so a task's six versions share a split.
func TestImportHumanEvalPackLayout(t *testing.T) {
	rep, rows := importAll(t, opts(FormatHumanEvalPack, filepath.Join("testdata", "humanevalpack_layout")))
	require.Empty(t, rep.Problems)
	require.Len(t, rows, 12)
	for _, n := range []string{"0", "1"} {
		py := rows["humanevalpack:Python/"+n+"#buggy"]
		cpp := rows["humanevalpack:CPP/"+n+"#buggy"]
		rs := rows["humanevalpack:Rust/"+n+"#buggy"]
		require.Equal(t, n, py.Group)
		require.Equal(t, []Language{Python, CPP, Rust}, []Language{py.Language, cpp.Language, rs.Language})
		require.Equal(t, py.Split, cpp.Split)
		require.Equal(t, py.Split, rs.Split)
		require.Equal(t, py.Task, rs.Task)
		require.Empty(t, py.Category)
	}
	require.Equal(t, "missing logic", rows["humanevalpack:Rust/1#buggy"].Task)
	// The fix adds a guard after the head: the head is marked.
	require.Equal(t, []int32{1, 0, 0}, rows["humanevalpack:Rust/1#buggy"].Labels)

	// Without a language in the task id, the folder names it.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"js/humanevalpack.jsonl": `{"task_id": "7", "prompt": "const f = (a) => {\n", "canonical_solution": "  return a + 1;\n}\n", "buggy_solution": "  return a - 1;\n}\n", "bug_type": "operator misuse"}` + "\n"})
	_, rows = importAll(t, opts(FormatHumanEvalPack, dir))
	require.Equal(t, JavaScript, rows["humanevalpack:7#buggy"].Language)
	require.Equal(t, "7", rows["humanevalpack:7#buggy"].Group)
}

// The pairs format with a manifest: bug type, category and group per buggy file; two
// submissions to one problem share a split.
func TestImportPairsManifest(t *testing.T) {
	dir := t.TempDir()
	fix := "def f(a):\n    return a + 1\n"
	files := map[string]string{
		"manifest.csv": "file,bug_type,group,category\n" +
			"alice/p1.py,operator misuse,p1,logic\n" +
			"bob/p1.py, operator misuse , p1,logic\n" +
			"# a comment line\n" +
			"carol/p2.py,,p2,\n" +
			"gone.py,value misuse,p3,\n",
		"fixed/extra.py": fix,
	}
	for i, who := range []string{"alice/p1.py", "bob/p1.py", "carol/p2.py", "dave/p9.py"} {
		files["buggy/"+who] = fmt.Sprintf("def f(a):\n    return a - %d\n", i+1)
		files["fixed/"+who] = fix
	}
	writeTree(t, dir, files)
	rep, rows := importAll(t, opts(FormatPairs, dir))
	a, b, c := rows["pairs:alice/p1.py#buggy"], rows["pairs:bob/p1.py#buggy"], rows["pairs:carol/p2.py#buggy"]
	require.Equal(t, "operator misuse", a.Task)
	require.Equal(t, "operator misuse", b.Task)
	require.Equal(t, "logic", a.Category)
	require.Equal(t, "p1", a.Group)
	require.Equal(t, a.Split, b.Split, "one problem, one split")
	require.Equal(t, SplitOf("pairs/p1", DefaultValFraction, DefaultTestFraction), a.Split)
	require.Equal(t, "pair", c.Task, "an empty bug type is the default task")
	require.Equal(t, "p2", c.Group)
	require.Equal(t, []string{
		"fixed/extra.py: no_twin",
		"manifest.csv: gone.py: no_twin",
		"buggy/dave/p9.py: not_in_manifest",
	}, problems(rep))

	// An explicit manifest with the two-directory form.
	o := opts(FormatPairs, filepath.Join(dir, "buggy"))
	o.Fixed, o.Manifest = filepath.Join(dir, "fixed"), filepath.Join(dir, "manifest.csv")
	_, rows2 := importAll(t, o)
	require.Equal(t, "p1", rows2["pairs:bob/p1.py#buggy"].Group)

	// Bad manifests are errors naming the file and the line.
	for body, want := range map[string]string{
		"":                                  "empty (want a header row",
		"path,bug_type\n":                   `line 1: unknown column "path"`,
		"bug_type,group\nx,y\n":             `line 1: no "file" column`,
		"file,group\na.py,1\na.py,2\n":      `line 3: file "a.py" listed twice`,
		"file,group\n../a.py,1\n":           `line 2: file "../a.py" is not a path below the buggy directory`,
		"file,group\na.py,1,extra\n":        "wrong number of fields",
		"file,file\n":                       `column "file" twice`,
		"file,bug_type\n,operator misuse\n": "line 2: empty file name",
	} {
		p := filepath.Join(dir, "manifest.csv")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		_, err := ImportSnippets(opts(FormatPairs, dir), func(Snippet) error { return nil })
		require.ErrorContains(t, err, want, "%q", body)
		require.ErrorContains(t, err, p)
	}
	o = opts(FormatPairs, dir)
	o.Manifest = filepath.Join(dir, "missing.csv")
	_, err := ImportSnippets(o, func(Snippet) error { return nil })
	require.ErrorContains(t, err, "missing.csv")
}

package datasets

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// importAll runs ImportSnippets and returns the report and the rows by ID (validated).
func importAll(t *testing.T, opts ImportOptions) (*Report, map[string]Snippet) {
	t.Helper()
	rows := map[string]Snippet{}
	var order []string
	rep, err := ImportSnippets(opts, func(s Snippet) error {
		require.NoError(t, s.Validate())
		require.NotContains(t, rows, s.ID)
		rows[s.ID] = s
		order = append(order, s.ID)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, rep.Total(), len(rows))
	// Twins come in pairs: buggy then fixed, same pair id, split, language and task.
	for i := 0; i < len(order); i += 2 {
		b, f := rows[order[i]], rows[order[i+1]]
		require.Equal(t, RoleBuggy, b.Role)
		require.Equal(t, RoleClean, f.Role)
		require.Equal(t, b.PairID+"#buggy", b.ID)
		require.Equal(t, b.PairID+"#fixed", f.ID)
		require.Equal(t, b.PairID, f.PairID)
		require.Equal(t, b.Split, f.Split)
		require.Equal(t, b.Task, f.Task)
		require.Equal(t, b.Category, f.Category)
		require.Equal(t, b.Group, f.Group)
		require.Equal(t, b.Language, f.Language)
		require.Equal(t, SplitOf(b.GroupKey(), DefaultValFraction, DefaultTestFraction), b.Split)
		// Aligned lines point at equal fixed lines unless labeled.
		fl := CodeLines(f.Code)
		for j, line := range CodeLines(b.Code) {
			if o := b.OriginalLine[j]; o >= 0 && b.Labels[j] == 0 {
				require.Equal(t, NormalizeLine(fl[o]), NormalizeLine(line))
			}
		}
	}
	return rep, rows
}

func opts(format ImportFormat, in string) ImportOptions {
	o := DefaultImportOptions()
	o.Format, o.In = format, in
	return o
}

// problems renders the report's problems as "where: reason".
func problems(rep *Report) []string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.Where+": "+p.Reason)
	}
	return out
}

func TestImportDebugBench(t *testing.T) {
	rep, rows := importAll(t, opts(FormatDebugBench, filepath.Join("testdata", "debugbench")))
	require.Len(t, rows, 10)
	b := rows["debugbench:sample.json#1#buggy"]
	require.Equal(t, Python, b.Language)
	require.Equal(t, "condition error", b.Task)
	require.Equal(t, "logic", b.Category)
	require.Equal(t, "running-total", b.Group)
	require.Equal(t, "debugbench/running-total", b.GroupKey())
	require.Equal(t, "debugbench", b.Source)
	require.Equal(t, []int32{0, 0, 0, 0, 1, 0, 0}, b.Labels) // if x < 0:
	require.Equal(t, []int32{0, 1, 2, 3, 4, 5, 6}, b.OriginalLine)
	var pv map[string]any
	require.NoError(t, json.Unmarshal([]byte(b.Provenance), &pv))
	require.Equal(t, "debugbench", pv["format"])
	require.Equal(t, map[string]any{"file": "sample.json", "record": 1.0, "offset": 3.0}, pv["position"])
	require.Equal(t, map[string]any{"slug": "running-total", "language": "python3"}, pv["fields"])

	c := rows["debugbench:sample.json#2#buggy"]
	require.Equal(t, CPP, c.Language)
	require.Equal(t, []int32{0, 0, 0, 0, 0, 1, 0, 0, 0}, c.Labels) // c += b[i];
	// A pure insertion in the fix (Arrays.sort) marks the buggy line before it.
	j := rows["debugbench:sample.json#3#buggy"]
	require.Equal(t, Java, j.Language)
	require.Equal(t, "missing colons", j.Task)
	require.Equal(t, "syntax", j.Category)
	require.Equal(t, []int32{0, 1, 0, 0, 0, 0, 0, 0, 0}, j.Labels)
	require.Equal(t, []int32{0, 1, 3, 4, 5, 6, 7, 8, 9}, j.OriginalLine)
	// JSON Lines: the Python dedent is a change; positions are lines.
	p := rows["debugbench:more.jsonl#1#buggy"]
	require.Equal(t, []int32{0, 0, 0, 0, 1}, p.Labels)
	require.Equal(t, []int32{0, 0, 1, 0, 0}, rows["debugbench:more.jsonl#5#buggy"].Labels)

	require.Equal(t, []string{
		"more.jsonl:2: malformed",
		"more.jsonl:4: malformed",
		"sample.json#record 4: unknown_language",
		"sample.json#record 5: no_difference",
		"sample.json#record 6: malformed",
		"sample.json#record 7: malformed",
		"sample.json#record 8: empty",
	}, problems(rep))
	msgs := fmt.Sprint(rep.Problems)
	require.Contains(t, msgs, `unknown language "kotlin"`)
	require.Contains(t, msgs, `field "buggy_code" is not a string`)
	require.Contains(t, msgs, "no oracle_code (or solution) field")
	require.Contains(t, msgs, "the buggy version is empty")
}

func TestImportHumanEvalPack(t *testing.T) {
	rep, rows := importAll(t, opts(FormatHumanEvalPack, filepath.Join("testdata", "humanevalpack", "sample.jsonl")))
	require.Len(t, rows, 6)
	py := rows["humanevalpack:Python/0#buggy"]
	require.Equal(t, Python, py.Language)
	require.Equal(t, "operator misuse", py.Task)
	require.True(t, strings.HasPrefix(py.Code, "def add_all(xs):\n    \"\"\"Return the sum of xs.\"\"\"\n    total = 0\n"))
	require.Equal(t, []int32{0, 0, 0, 0, 1, 0}, py.Labels)
	require.Equal(t, []int32{0, 0, 0, 0, 0, 1, 0}, rows["humanevalpack:Go/1#buggy"].Labels)
	require.Equal(t, Go, rows["humanevalpack:Go/1#fixed"].Language)
	// The fix adds a guard before the buggy return: the line before (the head) is marked.
	js := rows["humanevalpack:JavaScript/3#buggy"]
	require.Equal(t, JavaScript, js.Language)
	require.Equal(t, []int32{1, 0, 0}, js.Labels)
	require.Equal(t, []int32{0, 2, 3}, js.OriginalLine)
	require.Equal(t, []string{"sample.jsonl:3: unknown_language", "sample.jsonl:5: malformed"}, problems(rep))
	require.Contains(t, rep.Problems[0].Detail, `unknown language "kotlin" in task_id "Kotlin/2"`)
	require.Contains(t, rep.Problems[1].Detail, "no buggy_solution field")

	// A language given for records without a known one.
	o := opts(FormatHumanEvalPack, filepath.Join("testdata", "humanevalpack", "sample.jsonl"))
	o.Language = C
	_, rows = importAll(t, o)
	require.Equal(t, C, rows["humanevalpack:Kotlin/2#buggy"].Language)
}

func TestImportPairs(t *testing.T) {
	rep, rows := importAll(t, opts(FormatPairs, filepath.Join("testdata", "pairs")))
	require.Len(t, rows, 6)
	// Pure insertion at the head of mean() and a changed return.
	a := rows["pairs:a.py#buggy"]
	require.Equal(t, Python, a.Language)
	require.Equal(t, "pair", a.Task)
	require.Equal(t, []int32{1, 0, 0, 0, 1}, a.Labels)
	require.Equal(t, []int32{0, 3, 4, 5, 6}, a.OriginalLine)
	require.Equal(t, []int32{0, 0, 0, 1, 0}, rows["pairs:b.go#buggy"].Labels)
	require.Equal(t, []int32{0, 0, 1, 0, 0, 0}, rows["pairs:sub/C.java#buggy"].Labels)
	require.Equal(t, Java, rows["pairs:sub/C.java#fixed"].Language)
	require.Equal(t, []string{"fixed/only_fixed.py: no_twin", "buggy/notes.txt: unknown_language", "buggy/only_buggy.c: no_twin"}, problems(rep))

	// The same with two explicit directories.
	o := opts(FormatPairs, filepath.Join("testdata", "pairs", "buggy"))
	o.Fixed = filepath.Join("testdata", "pairs", "fixed")
	_, rows2 := importAll(t, o)
	require.Equal(t, rows, rows2)
	// Missing directories are an error of the run, not of a record.
	_, err := ImportSnippets(opts(FormatPairs, t.TempDir()), func(Snippet) error { return nil })
	require.ErrorContains(t, err, "want DIR/buggy and DIR/fixed")
}

func TestImportBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := func(slug string) string {
		b, _ := json.Marshal(map[string]string{"slug": slug, "language": "python3", "category": "logic error",
			"buggy_code": "def f(a):\n    return a - 1\n", "oracle_code": "def f(a):\n    return a + 1\n"})
		return string(b)
	}
	big, _ := json.Marshal(map[string]string{"language": "python3", "buggy_code": "x = '" + strings.Repeat("a", 1<<20) + "'\n", "oracle_code": "x = 1\n"})
	longLine, _ := json.Marshal(map[string]string{"language": "python3", "buggy_code": "x = '" + strings.Repeat("a", 5000) + "'\n", "oracle_code": "x = 1\n"})
	writeTree(t, dir, map[string]string{
		"a.jsonl": strings.Join([]string{
			good("one"),
			`{"language": "python3", "buggy_code": "caf` + "\xe9" + `", "oracle_code": "x"}`, // not UTF-8
			string(big),      // a 1 MB single line
			string(longLine), // a 5000-byte code line
			`{"language": "cobol", "buggy_code": "MOVE 1 TO X.\n", "oracle_code": "MOVE 2 TO X.\n"}`,
			"{" + strings.Repeat("x", 1<<20), // 1 MB of garbage on one line
			good("two"),
		}, "\n") + "\n",
		"b.json":     "",                                         // empty file
		"c.json":     "[" + good("three") + ", {\"broken\": ]\n", // syntax error inside an array
		"d.txt":      "ignored: not a JSON file name",
		"e.ndjson":   "\n\n" + good("four") + "\n",
		"f.jsonl":    good("five"), // no final newline
		"g/h.jsonl":  "   \n",      // only blanks
		"i.json":     "\xef\xbb\xbf[" + good("six") + "]",
		"bad.json":   "[1, 2]",
		"trunc.json": "[" + good("seven"),
	})
	rep, rows := importAll(t, opts(FormatDebugBench, dir))
	var slugs []string
	for _, s := range rows {
		if s.Role == RoleBuggy {
			var pv map[string]any
			require.NoError(t, json.Unmarshal([]byte(s.Provenance), &pv))
			slugs = append(slugs, pv["fields"].(map[string]any)["slug"].(string))
		}
	}
	require.ElementsMatch(t, []string{"one", "two", "three", "four", "five", "six", "seven"}, slugs)
	require.Equal(t, []string{
		"a.jsonl:2: non_utf8",
		"a.jsonl:3: too_large",
		"a.jsonl:4: line_too_long",
		"a.jsonl:5: unknown_language",
		"a.jsonl:6: malformed",
		"b.json: empty",
		"bad.json#record 1: malformed",
		"bad.json#record 2: malformed",
		"c.json#record 2: malformed",
		"g/h.jsonl: empty",
		"trunc.json#record 2: malformed",
	}, problems(rep))
	msgs := map[string]string{}
	for _, p := range rep.Problems {
		msgs[p.Where] = p.Detail
	}
	require.Contains(t, msgs["a.jsonl:3"], "the buggy version is 1048583 bytes (max 200000)")
	require.Contains(t, msgs["a.jsonl:4"], "line 1 of the buggy version is 5006 bytes (max 4000)")
	require.Contains(t, msgs["a.jsonl:5"], `unknown language "cobol"`)
	require.Contains(t, msgs["c.json#record 2"], "the rest of the file is skipped")

	// A record over MaxRecordBytes is skipped whole, and the next one is read.
	o := opts(FormatDebugBench, filepath.Join(dir, "a.jsonl"))
	o.MaxRecordBytes = 1000
	rep, rows = importAll(t, o)
	require.Len(t, rows, 4)
	require.Equal(t, "a.jsonl:3: too_large", problems(rep)[1])
	require.Equal(t, "a.jsonl:6: too_large", problems(rep)[4])

	// Pairs: empty, not UTF-8, a 1 MB single line, a NUL byte, an unknown extension.
	pd := t.TempDir()
	fix := "def f(a):\n    return a + 1\n"
	writeTree(t, pd, map[string]string{
		"buggy/empty.py": "", "fixed/empty.py": fix,
		"buggy/latin.py": "# caf\xe9\n" + fix, "fixed/latin.py": fix,
		"buggy/big.py": "x = '" + strings.Repeat("a", 1<<20) + "'\n", "fixed/big.py": fix,
		"buggy/nul.py": "x = 1\x00\n", "fixed/nul.py": fix,
		"buggy/x.kt": "fun f() {}\n", "fixed/x.kt": "fun g() {}\n",
		"buggy/ok.py": "def f(a):\n    return a - 1\n", "fixed/ok.py": fix,
	})
	rep, rows = importAll(t, opts(FormatPairs, pd))
	require.Len(t, rows, 2)
	require.Equal(t, []string{"buggy/big.py: too_large", "buggy/empty.py: empty", "buggy/latin.py: non_utf8", "buggy/nul.py: binary", "buggy/x.kt: unknown_language"}, problems(rep))
}

func TestImportOptionsValidate(t *testing.T) {
	o := opts("swebench", "x")
	require.ErrorContains(t, o.Validate(), `unknown import format "swebench"`)
	o = opts(FormatPairs, "")
	require.ErrorContains(t, o.Validate(), "In is empty")
	o = opts(FormatPairs, "x")
	o.Language = "cobol"
	require.ErrorContains(t, o.Validate(), `unknown language "cobol"`)
	_, err := ImportSnippets(opts(FormatDebugBench, filepath.Join(t.TempDir(), "missing.json")), func(Snippet) error { return nil })
	require.ErrorContains(t, err, "missing.json")
	_, err = ImportSnippets(opts(FormatDebugBench, t.TempDir()), func(Snippet) error { return nil })
	require.ErrorContains(t, err, "no .json or .jsonl or .ndjson file found")
}

func TestImportWritesParquet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "db.parquet")
	rep, err := Import(opts(FormatDebugBench, filepath.Join("testdata", "debugbench")), out)
	require.NoError(t, err)
	rows, err := ReadAllSnippets(out)
	require.NoError(t, err)
	require.Len(t, rows, rep.Total())
	require.Equal(t, "debugbench:more.jsonl#1#buggy", rows[0].ID) // files in name order
	// An error of the writer's callback (here: a duplicate id would be one) stops the run.
	boom := fmt.Errorf("disk full")
	_, err = ImportSnippets(opts(FormatDebugBench, filepath.Join("testdata", "debugbench")), func(Snippet) error { return boom })
	require.ErrorIs(t, err, boom)
	// Deterministic: same input, same bytes.
	out2 := filepath.Join(t.TempDir(), "db.parquet")
	_, err = Import(opts(FormatDebugBench, filepath.Join("testdata", "debugbench")), out2)
	require.NoError(t, err)
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	require.Equal(t, a, b)
}

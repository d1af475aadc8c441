package datasets

import (
	"archive/zip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// javaFile returns a small valid Java file.
func javaFile(pkg, class string) string {
	return "/*\n * Copyright (c) 2026, the authors.\n */\npackage " + pkg + ";\n\n/** " + class + " does nothing. */\npublic final class " + class + " {\n    private " + class + "() {}\n}\n"
}

var zipTree = map[string]string{
	"java.base/java/util/List.java":      javaFile("java.util", "List"),
	"java.base/java/util/ArrayList.java": javaFile("java.util", "ArrayList"),
	"java.base/java/nio/ByteBuffer.java": "/* license */\n\n// -- This file was mechanically generated: Do not edit! -- //\n\n" + javaFile("java.nio", "ByteBuffer"),
	"java.base/java/bad/Latin.java":      javaFile("java.bad", "Latin") + "// caf\xe9\n",
	"java.base/module-info.java":         "/** The base module. */\nmodule java.base {\n    exports java.lang;\n    exports java.util;\n}\n",
	"java.base/notes.txt":                "not a candidate\n",
	"a/B.java":                           javaFile("a", "B"),
	"a.b/C.java":                         javaFile("a.b", "C"),
}

// writeZip writes files into a zip archive (entries in map order, directories included) and
// returns its path.
func writeZip(t *testing.T, files map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src.zip")
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	_, err = zw.Create("java.base/")
	require.NoError(t, err)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // the walk must sort them itself
	for _, n := range names {
		w, err := zw.Create(n)
		require.NoError(t, err)
		_, err = w.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return p
}

func TestWalkZip(t *testing.T) {
	zp := writeZip(t, zipTree)
	files, st := collect(t, []Root{{Language: Java, Path: zp, Zip: true, Prefix: "src.zip"}}, testOpts())
	want := []string{
		"java:src.zip!a/B.java",
		"java:src.zip!a.b/C.java", // component order, as filepath.WalkDir: "a" < "a.b"
		"java:src.zip!java.base/java/util/ArrayList.java",
		"java:src.zip!java.base/java/util/List.java",
		"java:src.zip!java.base/module-info.java",
	}
	require.Equal(t, want, paths(files))
	require.Equal(t, zp+"!a/B.java", files[0].Source)
	require.Equal(t, zipTree["a/B.java"], files[0].Content)
	require.Equal(t, map[SkipReason]int{SkipGenerated: 1, SkipNonUTF8: 1}, skipped(st, Java))

	// The same tree on disk walks in the same order.
	dir := t.TempDir()
	writeTree(t, dir, zipTree)
	dirFiles, _ := collect(t, []Root{{Language: Java, Path: dir, Prefix: "src.zip"}}, testOpts())
	var rel []string
	for _, f := range dirFiles {
		rel = append(rel, strings.TrimPrefix(f.Path, "java:src.zip/"))
	}
	var zrel []string
	for _, f := range files {
		zrel = append(zrel, strings.TrimPrefix(f.Path, "java:src.zip!"))
	}
	require.Equal(t, zrel, rel)

	_, err := Walk([]Root{{Language: Java, Path: filepath.Join(dir, "a/B.java"), Zip: true}}, testOpts(), func(File) error { return nil })
	require.ErrorContains(t, err, "B.java")
}

func TestComparePaths(t *testing.T) {
	ps := []string{"a.b/c", "a/b", "a/b.c", "ab", "a/a/z", "b"}
	sort.Slice(ps, func(i, j int) bool { return comparePaths(ps[i], ps[j]) < 0 })
	require.Equal(t, []string{"a/a/z", "a/b", "a/b.c", "a.b/c", "ab", "b"}, ps)
}

package datasets

import (
	"archive/zip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DiscoverRoots finds the source trees of this machine, one language family after another, and
// returns those that exist (a fresh machine may lack some; Languages tells which were found):
//
//   - Go: GOROOT/src, GOROOT from $GOROOT, `go env GOROOT`, the GOROOT this binary was built with,
//     /usr/local/go, /usr/lib/go. Prefix "src".
//   - Python: the standard library of the interpreter (`python3`, then `python`:
//     sysconfig.get_path("stdlib")), else /usr/lib/python3.*, /usr/local/lib/python3.*,
//     ~/.pyenv/versions/*/lib/python3.* (newest first). Prefix "stdlib"; site-packages and
//     dist-packages inside it are skipped as vendored.
//   - Java: lib/src.zip (or src.zip) of a JDK: $JAVA_HOME, the JDK of `java` on $PATH, then
//     /usr/lib/jvm/*, /usr/local/openjdk*, /opt/java/*, /opt/jdk* in name order; the first
//     archive that opens wins (Debian's JDKs often carry a dangling src.zip link). Prefix
//     "src.zip".
//   - C/C++: /usr/include and /usr/local/include, each a C root whose files are classified C or
//     C++ by extension and content. Prefix "include" for both (a header present in both keeps the
//     first, /usr/include).
//   - JavaScript/TypeScript: global node_modules directories (/usr/lib/node_modules,
//     /usr/local/lib/node_modules, the one beside `node` on $PATH), Prefix "node_modules", walked
//     with KeepVendored (see Root); then /usr/share/nodejs and /usr/share/javascript (Debian's
//     packaged libraries), Prefixes "nodejs" and "javascript".
//
// Go, Python and Java candidates are copies of one corpus in different versions, so only the
// first found is used; C and JavaScript candidates are distinct trees, so all are. Candidates are
// deduplicated by resolved real path (java-17-openjdk-amd64 and java-1.17.0-openjdk-amd64 are
// one JDK). Nothing is downloaded; the interpreters are run with a 10 s timeout.
func DiscoverRoots() []Root {
	var roots []Root
	seen := map[string]bool{}
	add := func(r Root) bool {
		real, err := filepath.EvalSymlinks(r.Path)
		if err != nil || seen[real] {
			return false
		}
		seen[real] = true
		roots = append(roots, r)
		return true
	}
	for _, dir := range goRoots() {
		if isDir(filepath.Join(dir, "src", "runtime")) && add(Root{Language: Go, Path: filepath.Join(dir, "src"), Prefix: "src"}) {
			break
		}
	}
	for _, dir := range pythonStdlibs() {
		if isFile(filepath.Join(dir, "os.py")) && add(Root{Language: Python, Path: dir, Prefix: "stdlib"}) {
			break
		}
	}
	for _, home := range javaHomes() {
		found := false
		for _, zp := range []string{filepath.Join(home, "lib", "src.zip"), filepath.Join(home, "src.zip")} {
			if opensAsZip(zp) && add(Root{Language: Java, Path: zp, Zip: true, Prefix: "src.zip"}) {
				found = true
				break
			}
		}
		if found {
			break
		}
	}
	for _, dir := range []string{"/usr/include", "/usr/local/include"} {
		if hasEntries(dir) {
			add(Root{Language: C, Path: dir, Prefix: "include"})
		}
	}
	for _, dir := range nodeModules() {
		if hasEntries(dir) {
			add(Root{Language: JavaScript, Path: dir, Prefix: "node_modules", KeepVendored: true})
		}
	}
	for _, p := range [][2]string{{"/usr/share/nodejs", "nodejs"}, {"/usr/share/javascript", "javascript"}} {
		if hasEntries(p[0]) {
			add(Root{Language: JavaScript, Path: p[0], Prefix: p[1]})
		}
	}
	return roots
}

// Languages lists, in AllLanguages order, the languages the roots may yield (their families).
func Languages(roots []Root) []Language {
	var out []Language
	for _, l := range AllLanguages {
		if slices.ContainsFunc(roots, func(r Root) bool { return slices.Contains(r.Language.Family(), l) }) {
			out = append(out, l)
		}
	}
	return out
}

// goRoots lists GOROOT candidates in preference order.
func goRoots() []string {
	var out []string
	if g := os.Getenv("GOROOT"); g != "" {
		out = append(out, g)
	}
	if g := command("go", "env", "GOROOT"); g != "" {
		out = append(out, g)
	}
	//lint:ignore SA1019 the build-time GOROOT is a fallback when no go command is on $PATH.
	if g := runtime.GOROOT(); g != "" {
		out = append(out, g)
	}
	return append(out, "/usr/local/go", "/usr/lib/go")
}

// pythonStdlibs lists standard-library directories in preference order.
func pythonStdlibs() []string {
	var out []string
	for _, py := range []string{"python3", "python"} {
		if d := command(py, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"); d != "" {
			out = append(out, d)
		}
	}
	var globbed []string
	pats := []string{"/usr/lib/python3.*", "/usr/local/lib/python3.*"}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		pats = append(pats, filepath.Join(h, ".pyenv/versions/*/lib/python3.*"))
	}
	for _, pat := range pats {
		m, _ := filepath.Glob(pat)
		globbed = append(globbed, m...)
	}
	// Newest minor version first, then path.
	slices.SortStableFunc(globbed, func(a, b string) int {
		if va, vb := pythonMinor(a), pythonMinor(b); va != vb {
			return vb - va
		}
		return strings.Compare(a, b)
	})
	return append(out, globbed...)
}

// pythonMinor returns N of a ".../python3.N" path, or -1.
func pythonMinor(dir string) int {
	base := filepath.Base(dir)
	n, err := strconv.Atoi(strings.TrimPrefix(base, "python3."))
	if err != nil || !strings.HasPrefix(base, "python3.") {
		return -1
	}
	return n
}

// javaHomes lists JDK home candidates in preference order.
func javaHomes() []string {
	var out []string
	if j := os.Getenv("JAVA_HOME"); j != "" {
		out = append(out, j)
	}
	if p, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			out = append(out, filepath.Dir(filepath.Dir(real)))
		}
	}
	for _, pat := range []string{"/usr/lib/jvm/*", "/usr/local/openjdk*", "/opt/java/*", "/opt/jdk*"} {
		m, _ := filepath.Glob(pat)
		out = append(out, m...)
	}
	return out
}

// nodeModules lists global node_modules directories.
func nodeModules() []string {
	out := []string{"/usr/lib/node_modules", "/usr/local/lib/node_modules"}
	if p, err := exec.LookPath("node"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			out = append(out, filepath.Join(filepath.Dir(filepath.Dir(real)), "lib", "node_modules"))
		}
	}
	return out
}

// command runs a program for one line of output, "" on any failure.
func command(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// hasEntries reports whether p is a directory with at least one entry.
func hasEntries(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

// opensAsZip reports whether p is a readable zip archive.
func opensAsZip(p string) bool {
	if !isFile(p) {
		return false
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return false
	}
	zr.Close()
	return true
}

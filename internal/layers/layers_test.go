package layers

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/pttrust/pttrust/"

// stages in data-flow order; a package's stage is its first path element.
var stages = []string{"datasets", "models", "states", "pretrain", "finetune", "eval", "experiments", "cmd"}

func stageOf(pkg string) int {
	top, _, _ := strings.Cut(pkg, "/")
	for i, s := range stages {
		if s == top {
			return i
		}
	}
	return -1 // internal/, scripts/, notebooks/, beam/: no stage of their own
}

// imports maps each package of the module (by its path under the module) to the module's
// packages its non-test Go files import.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "work" || name == "results" || name == "beam") {
				return filepath.SkipDir // beam/ is a module of its own
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		for _, im := range f.Imports {
			p, err := strconv.Unquote(im.Path.Value)
			if err != nil {
				return err
			}
			if dep, ok := strings.CutPrefix(p, module); ok {
				out[pkg] = append(out[pkg], dep)
			}
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// No package reaches, directly or through other packages, a package of a later stage.
func TestImportsFollowTheDataFlow(t *testing.T) {
	graph := imports(t, filepath.Join("..", ".."))
	if len(graph) < 20 {
		t.Fatalf("found only %d packages: run from internal/layers", len(graph))
	}
	var bad []string
	for pkg := range graph {
		s := stageOf(pkg)
		seen := map[string]string{pkg: ""} // package -> the package that imports it
		queue := []string{pkg}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, dep := range graph[p] {
				if _, ok := seen[dep]; ok {
					continue
				}
				seen[dep] = p
				queue = append(queue, dep)
				if s >= 0 && stageOf(dep) > s {
					chain := dep
					for q := p; q != ""; q = seen[q] {
						chain = q + " → " + chain
					}
					bad = append(bad, chain)
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("a later stage is imported: %s", b)
	}
}

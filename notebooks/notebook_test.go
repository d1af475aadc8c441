// Package notebooks holds the project's Go notebooks (gonb kernel). scripts/ci/notebook.sh
// executes them headless; they are committed with the outputs it renders. This test only checks
// their form, so it runs without Jupyter.
package notebooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type notebook struct {
	NBFormat int `json:"nbformat"`
	Metadata struct {
		KernelSpec struct {
			Name     string `json:"name"`
			Language string `json:"language"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	Cells []struct {
		CellType       string            `json:"cell_type"`
		Source         []string          `json:"source"`
		Outputs        []json.RawMessage `json:"outputs"`
		ExecutionCount *int              `json:"execution_count"`
	} `json:"cells"`
}

// setupCell is the first code cell of every notebook: it points gonb's module at this checkout.
const setupCell = `!*bash "$GONB_DIR/gonb_setup.sh"`

func TestNotebooksForm(t *testing.T) {
	paths, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 || !contains(paths, "quickstart.ipynb") {
		t.Fatalf("notebooks: %v, want quickstart.ipynb among them", paths)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var nb notebook
		if err := json.Unmarshal(data, &nb); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if nb.NBFormat != 4 || nb.Metadata.KernelSpec.Name != "gonb" || nb.Metadata.KernelSpec.Language != "go" {
			t.Errorf("%s: nbformat %d, kernel %q (%q), want 4, gonb (go)", p, nb.NBFormat,
				nb.Metadata.KernelSpec.Name, nb.Metadata.KernelSpec.Language)
		}
		var code []string
		for i, c := range nb.Cells {
			src := strings.Join(c.Source, "")
			switch c.CellType {
			case "code":
				code = append(code, src)
				// Committed as scripts/ci/notebook.sh renders them (a reader sees the results on
				// GitHub): executed in order, no error, nothing on stderr (the kernel's log).
				if c.ExecutionCount == nil || *c.ExecutionCount != len(code) {
					t.Errorf("%s: cell %d: execution count %v, want %d: commit the notebook as scripts/ci/notebook.sh renders it", p, i, c.ExecutionCount, len(code))
				}
				for _, o := range c.Outputs {
					var out struct {
						Type string `json:"output_type"`
						Name string `json:"name"`
					}
					if err := json.Unmarshal(o, &out); err != nil {
						t.Errorf("%s: cell %d: %v", p, i, err)
					}
					if out.Type == "error" || out.Name == "stderr" {
						t.Errorf("%s: cell %d holds an %s output: fix the cell (or quiet the log) and render again", p, i, out.Type+" "+out.Name)
					}
				}
				if strings.TrimSpace(src) == "" {
					t.Errorf("%s: cell %d is an empty code cell", p, i)
				}
			case "markdown":
			default:
				t.Errorf("%s: cell %d has type %q", p, i, c.CellType)
			}
		}
		if len(code) == 0 || strings.TrimSpace(code[0]) != setupCell {
			t.Errorf("%s: the first code cell must be %s", p, setupCell)
		}
	}
}

// TestGonbVersions: the notebooks' gonbui must be the version of the kernel the CI script builds.
func TestGonbVersions(t *testing.T) {
	setup := versionIn(t, "gonb_setup.sh", `(?m)^gonb_version=(v\S+)$`)
	ci := versionIn(t, "../scripts/ci/notebook.sh", `(?m)^GONB_VERSION=(v\S+)$`)
	if setup != ci {
		t.Errorf("gonb_setup.sh pins gonb %s, scripts/ci/notebook.sh builds %s", setup, ci)
	}
}

func versionIn(t *testing.T, path, pattern string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no match for %s", path, pattern)
	}
	return string(m[1])
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

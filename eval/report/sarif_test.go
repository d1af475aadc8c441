package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	sarifSchemaFile = "testdata/sarif-schema-2.1.0.json"
	// sarifSchemaSHA256 pins the committed schema (see testdata/README.md for its origin).
	sarifSchemaSHA256 = "2984d4af513581b937442fd05028302699ce1de8f8b48c187f7f4f1d9d662b4d"
)

// sarifSchema compiles the committed SARIF 2.1.0 schema, with format assertions on. Nothing is
// fetched: the draft-07 meta-schema is built into the validator.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(sarifSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sarifSchemaSHA256 {
		t.Fatalf("%s changed: sha256 %x, want %s", sarifSchemaFile, sum, sarifSchemaSHA256)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if m := doc.(map[string]any); m["title"] != "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema" {
		t.Fatalf("unexpected schema title %v", m["title"])
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "file:///testdata/sarif-schema-2.1.0.json"
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

func writeSARIF(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	data := writeSARIF(t, sampleReport())
	if err := validateSARIF(t, sch, data); err != nil {
		t.Fatalf("SARIF output fails the SARIF 2.1.0 schema:\n%v\n%s", err, data)
	}

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version, InformationURI string
					Rules                         []struct{ ID string }
				}
			}
			Artifacts []struct {
				Location struct {
					URI       string `json:"uri"`
					URIBaseID string `json:"uriBaseId"`
				}
				SourceLanguage string
			}
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct {
					Level   string
					Message struct{ Text string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI   string
							Index int
						}
						Region struct {
							StartLine int
							Snippet   struct{ Text string }
						}
					}
				}
				Properties map[string]any
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "pttrust" || d.Version != "v0.1.0-test" || d.InformationURI != InformationURI ||
		len(d.Rules) != 1 || d.Rules[0].ID != RuleID {
		t.Errorf("driver = %+v", d)
	}
	if len(run.Artifacts) != 3 {
		t.Fatalf("%d artifacts, want 3", len(run.Artifacts))
	}
	for i, want := range []string{"src/app.py", "cmd/main.go", "broken.rs"} {
		a := run.Artifacts[i]
		if a.Location.URI != want || a.Location.URIBaseID != "%SRCROOT%" {
			t.Errorf("artifact %d = %+v, want relative URI %q", i, a.Location, want)
		}
	}
	if run.Artifacts[0].SourceLanguage != "python" {
		t.Errorf("sourceLanguage = %q", run.Artifacts[0].SourceLanguage)
	}
	// One result per flagged line, in file order.
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2 (one per flagged line)", len(run.Results))
	}
	for i, want := range []struct {
		line, rank int
		score      float64
		text       string
		level      string // "warning" from a calibrated probability of 0.5, else "note"
		percent    string
	}{{4, 1, 0.9, "    os.system(cmd)", "warning", "62 %"}, {5, 2, 0.7, nastyCode, "note", "30 %"}} {
		res := run.Results[i]
		loc := res.Locations[0].PhysicalLocation
		if res.RuleID != RuleID || res.RuleIndex != 0 || res.Level != want.level ||
			loc.ArtifactLocation.URI != "src/app.py" || loc.ArtifactLocation.Index != 0 ||
			loc.Region.StartLine != want.line || loc.Region.Snippet.Text != want.text {
			t.Errorf("result %d = %+v", i, res)
		}
		if res.Properties["score"] != want.score || res.Properties["rank"] != float64(want.rank) {
			t.Errorf("result %d properties = %v", i, res.Properties)
		}
		if !strings.Contains(res.Message.Text, fmtScore(want.score)) || !strings.Contains(res.Message.Text, "rank ") ||
			!strings.Contains(res.Message.Text, want.percent) || !strings.Contains(res.Message.Text, "not a found bug") {
			t.Errorf("result %d message %q lacks score, rank, probability or what the number is not", i, res.Message.Text)
		}
	}
	if !strings.Contains(run.Results[0].Message.Text, "Top SAE latents: 37, 5.") {
		t.Errorf("message %q lacks the latents", run.Results[0].Message.Text)
	}
	inv := run.Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
		inv[0].ToolExecutionNotifications[0].Level != "error" ||
		!strings.Contains(inv[0].ToolExecutionNotifications[0].Message.Text, "permission denied") {
		t.Errorf("invocations = %+v", inv)
	}
}

// TestSARIFSchemaRejectsInvalid proves the validator really checks: documents that break the
// SARIF schema in different ways must fail.
func TestSARIFSchemaRejectsInvalid(t *testing.T) {
	sch := sarifSchema(t)
	valid := writeSARIF(t, sampleReport())
	mutations := map[string]func(m map[string]any){
		"wrong version":       func(m map[string]any) { m["version"] = "2.0.0" },
		"unknown top field":   func(m map[string]any) { m["bogus"] = true },
		"no runs":             func(m map[string]any) { delete(m, "runs") },
		"run without tool":    func(m map[string]any) { delete(run(m), "tool") },
		"driver without name": func(m map[string]any) { delete(run(m)["tool"].(map[string]any)["driver"].(map[string]any), "name") },
		"bad result level":    func(m map[string]any) { result(m)["level"] = "severe" },
		"result no message":   func(m map[string]any) { delete(result(m), "message") },
		"startLine 0": func(m map[string]any) {
			pl := result(m)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
			pl["region"].(map[string]any)["startLine"] = 0
		},
		"invalid informationUri": func(m map[string]any) {
			run(m)["tool"].(map[string]any)["driver"].(map[string]any)["informationUri"] = "::not a uri::"
		},
	}
	for name, mutate := range mutations {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateSARIF(t, sch, data); err == nil {
			t.Errorf("%s: invalid SARIF passed the schema", name)
		} else {
			t.Logf("%s: rejected as expected: %.120s", name, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
}

func run(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }

func result(m map[string]any) map[string]any { return run(m)["results"].([]any)[0].(map[string]any) }

func TestSARIFArtifactURIs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(wd), "..", "elsewhere", "x y.py")
	for _, c := range []struct {
		path, uri string
		rel       bool
	}{
		{"src/app.py", "src/app.py", true},
		{"./a/../b/c.go", "b/c.go", true},
		{"dir with space/q#1.py", "dir%20with%20space/q%231.py", true},
		{"a:b.py", "./a:b.py", true},
		{filepath.Join(wd, "sub", "f.py"), "sub/f.py", true},
		{filepath.Clean(outside), "file://" + filepath.ToSlash(filepath.Clean(outside)), false},
	} {
		uri, rel := artifactURI(c.path, wd)
		want := strings.ReplaceAll(c.uri, " ", "%20")
		if uri != want || rel != c.rel {
			t.Errorf("artifactURI(%q) = %q, %v; want %q, %v", c.path, uri, rel, want, c.rel)
		}
	}
	// Every kind of path still gives a valid log.
	r := sampleReport()
	r.Files[0].Path = filepath.Join(wd, "sub", "f.py")
	r.Files[1].Path = outside
	r.Files[2].Path = "dir with space/q#1.py"
	if err := validateSARIF(t, sarifSchema(t), writeSARIF(t, r)); err != nil {
		t.Fatalf("SARIF with absolute and odd paths fails the schema: %v", err)
	}
}

func TestSARIFNoFlagged(t *testing.T) {
	r := sampleReport()
	r.Files = r.Files[1:2]
	data := writeSARIF(t, r)
	if err := validateSARIF(t, sarifSchema(t), data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"results": []`)) {
		t.Errorf("a clean run must still hold an empty results array:\n%s", data)
	}
}

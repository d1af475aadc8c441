package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	want := sampleReport()
	var b bytes.Buffer
	if err := WriteJSON(&b, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, want)
	}
	// Code text is written as is (no \u003c escapes), so the JSON stays readable.
	if !strings.Contains(b.String(), `</script><b>bold</b>`) {
		t.Error("JSON escapes HTML characters in code")
	}
	// The field names are part of the format.
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tool", "version", "model", "assessor", "threshold", "files"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks top-level field %q", k)
		}
	}
	line := raw["files"].([]any)[0].(map[string]any)["lines"].([]any)[3].(map[string]any)
	for _, k := range []string{"number", "text", "scored", "score", "rank", "flagged", "latents"} {
		if _, ok := line[k]; !ok {
			t.Errorf("JSON line lacks field %q", k)
		}
	}
	ex := line["latents"].([]any)[0].(map[string]any)["examples"].([]any)[0].(map[string]any)
	if ex["snippet"] != "train-0012" || ex["line"] != 7.0 || ex["activation"] != 3.25 {
		t.Errorf("example = %v", ex)
	}
}

func TestJSONNilLists(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &Report{Tool: "pttrust", Threshold: 0.5, Files: []File{{Path: "a.py"}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"lines": []`) || strings.Contains(b.String(), "null") {
		t.Errorf("empty lists not written as []:\n%s", b.String())
	}
	if _, err := ReadJSON(strings.NewReader(`{"tool":"x","bogus":1}`)); err == nil {
		t.Error("ReadJSON accepted an unknown field")
	}
}

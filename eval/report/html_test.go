package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func writeHTML(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// textEscape escapes s the way an HTML serializer writes a text node.
func textEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\u00a0", "&nbsp;").Replace(s)
}

// flaggedRow matches the DOM marker of a flagged line and captures its line number.
var flaggedRow = regexp.MustCompile(`<tr id="f\d+-L(\d+)" class="line flagged" data-line="(\d+)"`)

func TestHTMLEscaping(t *testing.T) {
	out := writeHTML(t, sampleReport())
	if strings.Contains(out, "</script><b>") || strings.Contains(out, "<b>bold") {
		t.Error("code text reached the HTML unescaped")
	}
	if !strings.Contains(out, "&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;") {
		t.Error("the escaped code line is missing")
	}
	if strings.Contains(out, "<!-- x -->") {
		t.Error("a comment from the code reached the HTML")
	}
	if !strings.Contains(out, "train-&lt;9&gt;:1") || !strings.Contains(out, "x = &#39;&lt;/script&gt;&#39;") {
		t.Error("example snippet id or text not escaped")
	}
	if strings.Contains(out, "\x1b") {
		t.Error("a control character reached the HTML")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	out := writeHTML(t, sampleReport())
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "http://", "https://"} {
		if strings.Contains(lower, bad) {
			t.Errorf("report is not self-contained: holds %q", bad)
		}
	}
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "<style>") {
		t.Error("not a full HTML page with inline CSS")
	}
}

func TestHTMLStructure(t *testing.T) {
	r := sampleReport()
	out := writeHTML(t, r)
	// Each flagged line has its marker row, its heat and its panel; no other line is marked.
	var got []string
	for _, m := range flaggedRow.FindAllStringSubmatch(out, -1) {
		if m[1] != m[2] {
			t.Errorf("row id line %s != data-line %s", m[1], m[2])
		}
		got = append(got, m[2])
	}
	if strings.Join(got, ",") != "4,5" {
		t.Errorf("flagged rows %v, want [4 5]", got)
	}
	for _, want := range []string{
		`<tr id="f0-L4" class="line flagged" data-line="4" data-score="0.900" data-rank="1" data-heat="1.000" style="background-color:hsla(0,85%,50%,0.500)">`,
		`<tr id="f0-L2" class="line unscored" data-line="2"><td class="num">`,
		`<details class="flag" id="f0-L4-why" data-line="4" open>`,
		`<a href="#f0-L4-why"`,
		`<strong>latent 37</strong>`,
		`<strong>latent 88</strong>`,
		`train-0012:7`,
		`subprocess.call(x, shell=True)`,
		`<p class="error">not scored: cannot read: permission denied</p>`,
		`<section class="file" id="f1" data-path="cmd/main.go">`,
		`No line reaches the threshold.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Every line of code is in the page, escaped.
	for _, l := range r.Files[0].Lines {
		if !strings.Contains(out, fmt.Sprintf(`data-line="%d"`, l.Number)) {
			t.Errorf("line %d has no row", l.Number)
		}
	}
}

func TestHTMLEmpty(t *testing.T) {
	out := writeHTML(t, &Report{Threshold: 0.5})
	if !strings.Contains(out, "0 files, 0 flagged lines") {
		t.Error("empty report has no title")
	}
}

//go:build unix

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// measureScript writes, into the body's data-boxes attribute, the width of every example's
// table, id cell and code cell, whether the code cell's text shows (a non-empty box), and the
// box of its faulty / buggy / clean badge.
const measureScript = `<script>
addEventListener("load", () => {
  const out = [];
  for (const tr of document.querySelectorAll("table.ex tr")) {
    const t = tr.querySelector("td.t"), w = tr.querySelector("td.w"), k = tr.querySelector(".kind");
    const tb = tr.closest("table").getBoundingClientRect(), bt = t.getBoundingClientRect(), bw = w.getBoundingClientRect();
    const bk = k ? k.getBoundingClientRect() : {width: 0, height: 0};
    out.push({table: tb.width, id: bw.width, code: bt.width, codeHeight: bt.height, text: t.textContent,
      kind: k ? k.textContent : "", kindWidth: bk.width, kindHeight: bk.height});
  }
  document.body.setAttribute("data-boxes", JSON.stringify(out));
});
</script>`

// The "why" panel stays readable at common desktop widths: an example's long snippet id wraps
// instead of taking the panel, its code line keeps at least 40 % of the example table's width
// and is visible, and its badge (faulty line, line of a buggy snippet, clean line) shows
// (bounding boxes measured in Chromium).
func TestHTMLWhyPanelLayoutInChromium(t *testing.T) {
	bin, err := findChromium()
	if err != nil {
		if os.Getenv(envRequireBrowser) == "1" {
			t.Fatalf("%v, and %s=1 requires it", err, envRequireBrowser)
		}
		t.Skipf("skipping: %v", err)
	}
	r := sampleReport()
	longID := "java:src.zip!java.base/java/util/concurrent/ConcurrentHashMap.java#op:comparison_flip:3"
	f := &r.Files[0]
	n := 0
	for i := range f.Lines {
		for j := range f.Lines[i].Latents {
			for k := range f.Lines[i].Latents[j].Examples {
				ex := &f.Lines[i].Latents[j].Examples[k]
				ex.Snippet, ex.Language = longID, "java"
				ex.Role, ex.Faulty = []string{"buggy", "buggy", "original"}[n%3], n%3 == 0
				n++
			}
		}
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := strings.Replace(b.String(), "</body>", measureScript+"</body>", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	attr := regexp.MustCompile(`data-boxes="([^"]*)"`)
	for _, width := range []int{1280, 1920} {
		dom := string(runChromium(t, bin, filepath.Join(dir, fmt.Sprint("profile-", width)), pageURL,
			"--dump-dom", fmt.Sprintf("--window-size=%d,900", width), "--virtual-time-budget=2000"))
		m := attr.FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("width %d: no measurements in the DOM", width)
		}
		var boxes []struct {
			Table, ID, Code, CodeHeight float64
			Text, Kind                  string
			KindWidth, KindHeight       float64
		}
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &boxes); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		if len(boxes) < 3 {
			t.Fatalf("width %d: %d examples measured, want every example of the sample", width, len(boxes))
		}
		kinds := map[string]int{}
		for _, bx := range boxes {
			t.Logf("width %d: example table %.0f px, id %.0f px, code %.0f×%.0f px, badge %q %.0f×%.0f: %q", width, bx.Table, bx.ID, bx.Code, bx.CodeHeight, bx.Kind, bx.KindWidth, bx.KindHeight, bx.Text)
			if bx.Code < 0.4*bx.Table || bx.CodeHeight <= 0 || strings.TrimSpace(bx.Text) == "" {
				t.Errorf("width %d: the example %q gets %.0f of %.0f px (height %.0f)", width, bx.Text, bx.Code, bx.Table, bx.CodeHeight)
			}
			kinds[bx.Kind]++
			if bx.KindWidth <= 0 || bx.KindHeight <= 0 || bx.KindWidth > bx.ID {
				t.Errorf("width %d: the example %q's badge %q is %.0f×%.0f px in a %.0f px cell", width, bx.Text, bx.Kind, bx.KindWidth, bx.KindHeight, bx.ID)
			}
		}
		for _, k := range []string{"faulty line", "line of a buggy snippet", "clean line"} {
			if kinds[k] == 0 {
				t.Errorf("width %d: no example shows %q (badges %v)", width, k, kinds)
			}
		}
	}
}

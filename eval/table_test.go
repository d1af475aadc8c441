package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func goldenTable() Table {
	t := NewTable("Toy", []string{"hit@1", "auroc"})
	t.Add("PtTrust", Compute(toySnippets(), 0.5), map[string]Interval{"hit@1": {0.25, 0.75}, "auroc": {0.4, 0.5}})
	t.Add("random|const", Metrics{AUROC: 0.5}, nil) // no CI, hit@1 missing from the map → NaN
	return *t
}

func TestTableMarkdownGolden(t *testing.T) {
	var b strings.Builder
	if err := goldenTable().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "### Toy\n\n" +
		"| method | hit@1 | auroc |\n" +
		"|---|---:|---:|\n" +
		"| PtTrust | 0.500 [0.250, 0.750] | 0.444 [0.400, 0.500] |\n" +
		"| random\\|const | – | 0.500 |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestTableCSVGolden(t *testing.T) {
	var b strings.Builder
	if err := goldenTable().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "method,metric,value,lo,hi\n" +
		"PtTrust,hit@1,0.5,0.25,0.75\n" +
		"PtTrust,auroc,0.4444444444444444,0.4,0.5\n" +
		"random|const,hit@1,,,\n" +
		"random|const,auroc,0.5,,\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func goldenMatrix(t *testing.T) Matrix {
	m := NewMatrix("", "auroc", []string{"go", "py"}, []string{"go", "py", "js"})
	if err := m.Set("go", "py", Cell{0.75, Interval{0.7, 0.8}}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetMetrics("py", "js", Metrics{AUROC: 0.6}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("rust", "py", Cell{}); err == nil {
		t.Error("unknown train source: want error")
	}
	return *m
}

func TestMatrixGolden(t *testing.T) {
	m := goldenMatrix(t)
	var md, cs strings.Builder
	if err := m.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	wantMD := "| train \\ test (auroc) | go | py | js |\n" +
		"|---|---:|---:|---:|\n" +
		"| go | – | 0.750 [0.700, 0.800] | – |\n" +
		"| py | – | – | 0.600 |\n"
	wantCSV := "train,test,metric,value,lo,hi\n" +
		"go,go,auroc,,,\n" +
		"go,py,auroc,0.75,0.7,0.8\n" +
		"go,js,auroc,,,\n" +
		"py,go,auroc,,,\n" +
		"py,py,auroc,,,\n" +
		"py,js,auroc,0.6,,\n"
	if md.String() != wantMD {
		t.Errorf("markdown: got\n%s\nwant\n%s", md.String(), wantMD)
	}
	if cs.String() != wantCSV {
		t.Errorf("csv: got\n%s\nwant\n%s", cs.String(), wantCSV)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	tb := goldenTable()
	for _, name := range []string{"t.md", "t.csv"} {
		if err := tb.Save(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "t.csv"))
	if !strings.HasPrefix(string(b), "method,metric,value,lo,hi\n") {
		t.Errorf("csv file: %q", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "t.md"))
	if !strings.HasPrefix(string(b), "### Toy") {
		t.Errorf("md file: %q", b)
	}
	if _, ok := tb.Cell("PtTrust", "auroc"); !ok {
		t.Error("Cell lookup failed")
	}
}

func TestTableTextGolden(t *testing.T) {
	var b strings.Builder
	if err := goldenTable().WriteText(&b, []string{"auroc", "hit@1", "auprc"}); err != nil {
		t.Fatal(err)
	}
	want := "Toy\n" +
		"  method                       auroc                 hit@1  auprc\n" +
		"  PtTrust       0.444 [0.400, 0.500]  0.500 [0.250, 0.750]      –\n" +
		"  random|const                 0.500                     –      –\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

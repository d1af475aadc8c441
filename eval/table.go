package eval

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pttrust/pttrust/internal/atomicfile"
)

// Cell is one reported value with its confidence interval (NoCI when there is none).
type Cell struct {
	Value float64
	CI    Interval
}

// CellOf picks metric name out of a point estimate and its intervals (ci may be nil).
func CellOf(point Metrics, ci map[string]Interval, name string) Cell {
	iv, ok := ci[name]
	if !ok {
		iv = NoCI
	}
	return Cell{Value: point.Value(name), CI: iv}
}

// Row is one method's line of a Table: metric name → cell.
type Row struct {
	Method string
	Cells  map[string]Cell
}

// Table is a result table: one row per method (PtTrust, baselines), one column per metric.
type Table struct {
	Title   string // optional; written as a Markdown heading
	Metrics []string
	Rows    []Row
}

// NewTable returns an empty table with the given metric columns (MetricNames when nil).
func NewTable(title string, metrics []string) *Table {
	if metrics == nil {
		metrics = MetricNames()
	}
	return &Table{Title: title, Metrics: append([]string(nil), metrics...)}
}

// Add appends a row for method with the table's metrics taken from point and ci (ci may be nil).
func (t *Table) Add(method string, point Metrics, ci map[string]Interval) {
	r := Row{Method: method, Cells: make(map[string]Cell, len(t.Metrics))}
	for _, name := range t.Metrics {
		r.Cells[name] = CellOf(point, ci, name)
	}
	t.Rows = append(t.Rows, r)
}

// Cell returns the cell of method and metric; ok is false when absent.
func (t Table) Cell(method, metric string) (c Cell, ok bool) {
	for _, r := range t.Rows {
		if r.Method == method {
			c, ok = r.Cells[metric]
			return c, ok
		}
	}
	return Cell{}, false
}

func (t Table) cell(r Row, metric string) Cell {
	if c, ok := r.Cells[metric]; ok {
		return c
	}
	return Cell{Value: math.NaN(), CI: NoCI}
}

// mdCell formats a cell for Markdown: "0.612 [0.580, 0.640]", "0.612" without CI, "–" for NaN.
func mdCell(c Cell) string {
	if math.IsNaN(c.Value) {
		return "–"
	}
	s := fmt.Sprintf("%.3f", c.Value)
	if !math.IsNaN(c.CI.Lo) && !math.IsNaN(c.CI.Hi) {
		s += fmt.Sprintf(" [%.3f, %.3f]", c.CI.Lo, c.CI.Hi)
	}
	return s
}

// csvNum formats a number for CSV at full precision; NaN is the empty field.
func csvNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteMarkdown writes the table as GitHub Markdown, values to 3 decimals with "[lo, hi]" 95 %
// intervals.
func (t Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", t.Title)
	}
	b.WriteString("| method |")
	for _, m := range t.Metrics {
		fmt.Fprintf(&b, " %s |", mdEscape(m))
	}
	b.WriteString("\n|---|")
	for range t.Metrics {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s |", mdEscape(r.Method))
		for _, m := range t.Metrics {
			fmt.Fprintf(&b, " %s |", mdCell(t.cell(r, m)))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the table in long form: header "method,metric,value,lo,hi", then one record per
// cell in row and column order; NaN is an empty field.
func (t Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"method", "metric", "value", "lo", "hi"})
	for _, r := range t.Rows {
		for _, m := range t.Metrics {
			c := t.cell(r, m)
			cw.Write([]string{r.Method, m, csvNum(c.Value), csvNum(c.CI.Lo), csvNum(c.CI.Hi)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// Save writes the table atomically to path: CSV when path ends in ".csv", Markdown otherwise.
func (t Table) Save(path string) error {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return atomicfile.Write(path, t.WriteCSV)
	}
	return atomicfile.Write(path, t.WriteMarkdown)
}

// Matrix is a generalization matrix (cross-language or cross-task): Cells[i][j] is Metric when
// training on Train[i] and testing on Test[j].
type Matrix struct {
	Title  string // optional
	Metric string
	Train  []string
	Test   []string
	Cells  [][]Cell
	// TestN is each test source's number of test snippets (optional; nil: unknown). The heat
	// map prints it under the column.
	TestN []int
}

// NewMatrix returns a matrix whose cells are all NaN without CI.
func NewMatrix(title, metric string, train, test []string) *Matrix {
	m := &Matrix{Title: title, Metric: metric, Train: append([]string(nil), train...), Test: append([]string(nil), test...)}
	m.Cells = make([][]Cell, len(train))
	for i := range m.Cells {
		m.Cells[i] = make([]Cell, len(test))
		for j := range m.Cells[i] {
			m.Cells[i][j] = Cell{Value: math.NaN(), CI: NoCI}
		}
	}
	return m
}

func index(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// Set stores the cell for (train, test); an unknown source is an error.
func (m *Matrix) Set(train, test string, c Cell) error {
	i, j := index(m.Train, train), index(m.Test, test)
	if i < 0 || j < 0 {
		return fmt.Errorf("eval: matrix: unknown pair (%q, %q)", train, test)
	}
	m.Cells[i][j] = c
	return nil
}

// SetMetrics stores m.Metric taken from point and ci for (train, test).
func (m *Matrix) SetMetrics(train, test string, point Metrics, ci map[string]Interval) error {
	return m.Set(train, test, CellOf(point, ci, m.Metric))
}

// WriteMarkdown writes the matrix as a Markdown table: rows train sources, columns test sources.
func (m Matrix) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	if m.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", m.Title)
	}
	fmt.Fprintf(&b, "| train \\ test (%s) |", mdEscape(m.Metric))
	for _, c := range m.Test {
		fmt.Fprintf(&b, " %s |", mdEscape(c))
	}
	b.WriteString("\n|---|")
	for range m.Test {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for i, r := range m.Train {
		fmt.Fprintf(&b, "| %s |", mdEscape(r))
		for j := range m.Test {
			fmt.Fprintf(&b, " %s |", mdCell(m.Cells[i][j]))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the matrix in long form: header "train,test,metric,value,lo,hi", one record per
// cell, row-major; NaN is an empty field.
func (m Matrix) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"train", "test", "metric", "value", "lo", "hi"})
	for i, r := range m.Train {
		for j, c := range m.Test {
			x := m.Cells[i][j]
			cw.Write([]string{r, c, m.Metric, csvNum(x.Value), csvNum(x.CI.Lo), csvNum(x.CI.Hi)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// Save writes the matrix atomically to path: CSV when path ends in ".csv", Markdown otherwise.
func (m Matrix) Save(path string) error {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return atomicfile.Write(path, m.WriteCSV)
	}
	return atomicfile.Write(path, m.WriteMarkdown)
}

// WriteText writes a compact plain-text view of the table for a terminal: the title, then one
// aligned line per method with the given metrics ("0.244 [0.207, 0.287]"; "–" for NaN).
func (t Table) WriteText(w io.Writer, metrics []string) error {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	rows := [][]string{append([]string{"method"}, metrics...)}
	for _, r := range t.Rows {
		line := []string{r.Method}
		for _, m := range metrics {
			c, ok := r.Cells[m]
			if !ok {
				c = Cell{Value: math.NaN(), CI: NoCI}
			}
			line = append(line, mdCell(c))
		}
		rows = append(rows, line)
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, s := range r {
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	for _, r := range rows {
		for i, s := range r {
			pad := width[i] - utf8.RuneCountInString(s)
			if i == 0 {
				b.WriteString("  " + s + strings.Repeat(" ", pad))
			} else {
				b.WriteString("  " + strings.Repeat(" ", pad) + s)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

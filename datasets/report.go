package datasets

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Problem is one input the mutation engine or an importer left out, with why.
type Problem struct {
	// Where names the input: a file path, "file:line" of a JSON Lines record, "file#record N".
	Where string
	// Reason is a short stable key ("non_utf8", "empty", "line_too_long", "unknown_language",
	// "malformed", "no_difference", ...): the summary counts by it.
	Reason string
	// Detail is the human-readable message.
	Detail string
}

func (p Problem) String() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s: %s", p.Where, p.Reason)
	}
	return fmt.Sprintf("%s: %s (%s)", p.Where, p.Detail, p.Reason)
}

// maxProblems caps the problems a Report keeps one by one (all are counted).
const maxProblems = 10000

// Report summarizes a mutation or import run: snippets written per language and task, and every
// input left out with its reason.
type Report struct {
	// Written counts the snippets written, per language and task.
	Written map[Language]map[string]int
	// Problems lists the inputs left out, in order (the first 10000).
	Problems []Problem
	// ProblemCounts counts all inputs left out, per reason.
	ProblemCounts map[string]int
}

func newReport() *Report {
	return &Report{Written: map[Language]map[string]int{}, ProblemCounts: map[string]int{}}
}

// problem records an input left out.
func (r *Report) problem(where, reason, format string, args ...any) {
	r.ProblemCounts[reason]++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, Problem{Where: where, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
}

// wrote counts a snippet written.
func (r *Report) wrote(s *Snippet) {
	m := r.Written[s.Language]
	if m == nil {
		m = map[string]int{}
		r.Written[s.Language] = m
	}
	m[s.Task]++
}

// Total returns the number of snippets written.
func (r *Report) Total() int {
	n := 0
	for _, m := range r.Written {
		for _, v := range m {
			n += v
		}
	}
	return n
}

// Skipped returns the number of inputs left out.
func (r *Report) Skipped() int {
	n := 0
	for _, v := range r.ProblemCounts {
		n += v
	}
	return n
}

// String renders the summary: one row per language and task, then the left-out inputs per
// reason.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %-36s %8s\n", "language", "task", "snippets")
	for _, l := range AllLanguages {
		m := r.Written[l]
		for _, task := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "%-11s %-36s %8d\n", l, task, m[task])
		}
	}
	fmt.Fprintf(&b, "%-11s %-36s %8d\n", "total", "", r.Total())
	if n := r.Skipped(); n > 0 {
		fmt.Fprintf(&b, "left out: %d", n)
		for _, reason := range slices.Sorted(maps.Keys(r.ProblemCounts)) {
			fmt.Fprintf(&b, "  %s %d", reason, r.ProblemCounts[reason])
		}
		b.WriteString("\n")
	}
	return b.String()
}

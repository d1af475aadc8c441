package experiments

import (
	"fmt"
	"os"
	"strings"

	"github.com/pttrust/pttrust/datasets"
)

// ExpandPaths replaces each directory among paths by the source files below it, found the way
// the corpus walker finds them (datasets.Walk: the languages pttrust reads; vendored, testdata,
// generated, minified, duplicate and oversized files left out), in walk order. Other paths are
// kept as given, missing ones included (Score reports them). notes says, per directory, how many
// files it gave and why others were left out.
func ExpandPaths(paths []string, maxFileBytes int) (out, notes []string, err error) {
	for _, p := range paths {
		fi, statErr := os.Stat(p)
		if statErr != nil || !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var roots []datasets.Root
		seen := map[datasets.Language]bool{}
		for _, l := range datasets.AllLanguages {
			head := l.Family()[0]
			if !seen[head] {
				seen[head] = true
				roots = append(roots, datasets.Root{Language: head, Path: p})
			}
		}
		opts := datasets.DefaultWalkOptions()
		opts.MaxFileBytes, opts.MinFileBytes = maxFileBytes, 0
		var files []string
		stats, err := datasets.Walk(roots, opts, func(f datasets.File) error {
			files = append(files, f.Source)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("score: %s: %w", p, err)
		}
		out = append(out, files...)
		notes = append(notes, fmt.Sprintf("%s: %d source files to score%s", p, len(files), leftOut(stats)))
	}
	return out, notes, nil
}

// leftOut names the walk's skip counts by reason (", 3 left out: vendored 2, generated 1"), or "".
func leftOut(s *datasets.Stats) string {
	total := map[datasets.SkipReason]int{}
	n := 0
	for _, ls := range s.Languages {
		for r, c := range ls.Skipped {
			total[r] += c
			n += c
		}
	}
	if n == 0 {
		return ""
	}
	var parts []string
	for _, r := range datasets.SkipReasons {
		if total[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, total[r]))
		}
	}
	return fmt.Sprintf(", %d left out: %s", n, strings.Join(parts, ", "))
}

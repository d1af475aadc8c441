package experiments

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// warnOtherTrees warns (on the progress and in results.md) when the work folder holds mutation
// data that this experiment made from other source trees than those found now: the data and
// every stage after it are rebuilt, and the results will differ from the earlier run's. The
// usual cause is another Go toolchain (GOTOOLCHAIN not exported) or another Python.
func (r *runner) warnOtherTrees(name string, trees []string) {
	if trees == nil {
		return
	}
	done, _ := filepath.Glob(filepath.Join(r.cfg.WorkDir, "data-*", DoneName))
	for _, p := range done {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var d struct {
			Info struct {
				MadeBy string   `json:"made_by"`
				Trees  []string `json:"source_trees"`
			} `json:"info"`
		}
		if json.Unmarshal(data, &d) != nil || d.Info.MadeBy != r.cfg.Name || d.Info.Trees == nil || slices.Equal(d.Info.Trees, trees) {
			continue
		}
		msg := fmt.Sprintf("warning: %s: the source trees found differ from those of %s, which this experiment made earlier (%s); "+
			"the data and every later stage are rebuilt and the results will differ. Export GOTOOLCHAIN as the README says, "+
			"or pin the data ([data] pinned)", name, filepath.Dir(p), treesDiff(d.Info.Trees, trees))
		fmt.Fprintln(r.progress, msg)
		r.note("%s", msg)
		return
	}
}

// treesDiff says which trees are new and which are gone.
func treesDiff(before, now []string) string {
	var parts []string
	for _, t := range now {
		if !slices.Contains(before, t) {
			parts = append(parts, "now "+t)
		}
	}
	for _, t := range before {
		if !slices.Contains(now, t) {
			parts = append(parts, "before "+t)
		}
	}
	return strings.Join(parts, "; ")
}

package datasets

import (
	"fmt"
	"path"
	"strings"
)

// humanEvalPrefixes maps HumanEvalPack task id prefixes to languages.
var humanEvalPrefixes = map[string]Language{"python": Python, "javascript": JavaScript, "js": JavaScript,
	"java": Java, "go": Go, "cpp": CPP, "c++": CPP, "c": C, "typescript": TypeScript, "ts": TypeScript, "rust": Rust}

// humanEvalPack parses one HumanEvalPack record.
func (im *importer) humanEvalPack(rel string, n int, pos map[string]any, raw []byte) error {
	w := where(pos)
	m, ok := im.decodeRecord(pos, raw)
	if !ok {
		return nil
	}
	var vals [5]string
	var has [5]bool
	for i, name := range []string{"task_id", "prompt", "buggy_solution", "canonical_solution", "bug_type"} {
		var okType bool
		vals[i], has[i], okType = im.field(w, m, name)
		if !okType {
			return nil
		}
	}
	taskID, prompt, buggy, canonical, bugType := vals[0], vals[1], vals[2], vals[3], vals[4]
	switch {
	case !has[2]:
		im.rep.problem(w, "malformed", "no buggy_solution field")
		return nil
	case !has[3]:
		im.rep.problem(w, "malformed", "no canonical_solution field")
		return nil
	case buggy == "" || canonical == "":
		im.rep.problem(w, "empty", "empty buggy_solution or canonical_solution")
		return nil
	}
	var l Language
	prefix, number, found := strings.Cut(taskID, "/")
	if found {
		l = humanEvalPrefixes[strings.ToLower(prefix)]
	}
	if dir := path.Dir(rel); l == "" && !found && dir != "." {
		// No language in the task id: the folder of the layout (cpp/humanevalpack.jsonl) says it.
		l = humanEvalPrefixes[strings.ToLower(path.Base(dir))]
	}
	if l == "" {
		if im.opts.Language == "" {
			what := strings.ToLower(prefix)
			if !found {
				what = ""
			}
			im.rep.problem(w, "unknown_language", "unknown language %q in task_id %q (known: %v; or pass a language)", what, taskID, AllLanguages)
			return nil
		}
		l = im.opts.Language
	}
	if bugType == "" {
		bugType = "unknown"
	}
	id := taskID
	if id == "" {
		id = fmt.Sprintf("%s#%d", rel, recordIndex(pos, n))
	}
	// The task number is the problem: Python/12 and CPP/12 are the same program.
	group := strings.TrimSpace(number)
	if !found {
		group = strings.TrimSpace(taskID)
	}
	return im.check(im.pair(record{where: w, pairID: im.opts.Source + ":" + id, lang: l, task: bugType, group: group,
		buggy: prompt + buggy, fixed: prompt + canonical, fields: map[string]any{"task_id": taskID}, position: pos}))
}

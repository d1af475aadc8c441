package datasets

import (
	"fmt"
	"path"
	"strings"
)

// DebugBench's bug subtypes and the authors' four major categories (Tian et al. 2024, table 1).
var debugBenchCategories = map[string]string{
	"illegal comment": "syntax", "illegal indentation": "syntax", "illegal keywords": "syntax",
	"illegal separation": "syntax", "missing colons": "syntax", "unclosed parentheses": "syntax",
	"unclosed string": "syntax",
	"faulty indexing": "reference", "undefined methods": "reference", "undefined objects": "reference",
	"condition error": "logic", "misused == or =": "logic", "operation error": "logic",
	"other error": "logic", "variable error": "logic",
	"double": "multiple", "triple": "multiple", "quadruple": "multiple",
}

// DebugBenchCategory returns the major category (syntax, reference, logic, multiple) of a
// DebugBench bug subtype ("faulty indexing" is reference), and whether the subtype is known.
func DebugBenchCategory(subtype string) (string, bool) {
	c, ok := debugBenchCategories[strings.ToLower(strings.TrimSpace(subtype))]
	return c, ok
}

// normalizeCategory maps a category field ("logic error", "Syntax Error", "multiple") to its
// short form.
func normalizeCategory(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimSpace(strings.TrimSuffix(s, " error"))
}

// debugBenchFileName reads the language and subtype from a file of the GitHub layout,
// "<language>_<subtype>.json" ("python3_missing colons.json"); ok is false for other names.
func debugBenchFileName(rel string) (lang Language, subtype string, ok bool) {
	base := path.Base(rel)
	base = strings.TrimSuffix(base, path.Ext(base))
	l, sub, found := strings.Cut(base, "_")
	if !found || sub == "" {
		return "", "", false
	}
	lang = recordLanguage(l)
	if !lang.Valid() {
		return "", "", false
	}
	return lang, sub, true
}

// debugBench parses one DebugBench record. Record fields (the Hugging Face form) win over what
// the file name says (the GitHub form).
func (im *importer) debugBench(rel string, n int, pos map[string]any, raw []byte) error {
	w := where(pos)
	m, ok := im.decodeRecord(pos, raw)
	if !ok {
		return nil
	}
	var vals [6]string
	var has [6]bool
	for i, names := range [][]string{{"buggy_code"}, {"oracle_code", "solution"}, {"language"}, {"category"}, {"subtype"}, {"slug"}} {
		var okType bool
		vals[i], has[i], okType = im.field(w, m, names...)
		if !okType {
			return nil
		}
	}
	buggy, fixed, lang, category, subtype, slug := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	fileLang, fileSubtype, fromName := debugBenchFileName(rel)
	l := recordLanguage(lang)
	switch {
	case has[2]:
	case fromName:
		l = fileLang
	case im.opts.Language != "":
		l = im.opts.Language
	}
	switch {
	case !has[0]:
		im.rep.problem(w, "malformed", "no buggy_code field")
		return nil
	case !has[1]:
		im.rep.problem(w, "malformed", "no oracle_code (or solution) field")
		return nil
	case !has[2] && !fromName && im.opts.Language == "":
		im.rep.problem(w, "unknown_language", "no language field, and the file name %q is not <language>_<subtype>.json", path.Base(rel))
		return nil
	}
	if subtype == "" && fromName {
		subtype = fileSubtype
	}
	subtype = strings.ToLower(strings.TrimSpace(subtype))
	category = normalizeCategory(category)
	if category == "" {
		category, _ = DebugBenchCategory(subtype)
	}
	task := subtype
	if task == "" {
		task = category
	}
	if task == "" {
		task = "unknown"
	}
	fields := map[string]any{}
	if slug != "" {
		fields["slug"] = slug
	}
	if lang != "" {
		fields["language"] = lang
	}
	return im.check(im.pair(record{where: w, pairID: fmt.Sprintf("%s:%s#%d", im.opts.Source, rel, recordIndex(pos, n)),
		lang: l, task: task, category: category, group: strings.TrimSpace(slug), buggy: buggy, fixed: fixed, fields: fields, position: pos}))
}

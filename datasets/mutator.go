package datasets

// The mutation engine over files and corpora: donor pools, mutants per file, discards, and
// the corpus run that writes a snippets file.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"
)

// donorPool is a per-language seeded reservoir of eligible lines of the programs seen so far.
type donorPool struct {
	lines []DonorLine
	seen  int
}

func (d *donorPool) add(p *Program, capacity int, r *rand.Rand) {
	for _, i := range p.eligible {
		dl := DonorLine{Text: p.lines[i].text, Origin: fmt.Sprintf("%s:%d", p.Path, i+1)}
		d.seen++
		if len(d.lines) < capacity {
			d.lines = append(d.lines, dl)
		} else if j := intn(r, d.seen); j < capacity {
			d.lines[j] = dl
		}
	}
}

// Mutator runs the mutation engine over files, one after another; the donor pools carry over
// from file to file, so files must be given in a deterministic order (Walk's).
type Mutator struct {
	opts     MutateOptions
	pools    map[Language]*donorPool
	poolRand *rand.Rand
	report   *Report
	allowed  map[Language]bool
}

// NewMutator validates opts and returns an engine with empty donor pools.
func NewMutator(opts MutateOptions) (*Mutator, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	m := &Mutator{opts: opts, pools: map[Language]*donorPool{}, report: newReport(), allowed: map[Language]bool{},
		poolRand: rand.New(rand.NewPCG(opts.Seed, 0x706f6f6c))} // "pool"
	langs := opts.Languages
	if len(langs) == 0 {
		langs = AllLanguages
	}
	for _, l := range langs {
		m.allowed[l] = true
	}
	return m, nil
}

// Report returns the running summary (snippets emitted, programs and mutants left out).
func (m *Mutator) Report() *Report { return m.report }

// mutateProvenance is the Provenance of a mutation row.
type mutateProvenance struct {
	Generator string  `json:"generator"`
	Seed      uint64  `json:"seed"`
	Path      string  `json:"path"`
	SHA256    string  `json:"sha256"`
	Operator  string  `json:"operator,omitempty"`
	LineRate  float64 `json:"line_rate,omitempty"`
	Edits     []Edit  `json:"edits,omitempty"`
}

// marshalJSON encodes v without HTML escaping (code is full of < and &).
func marshalJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// fileSeed derives the per-file stream of the generator from the stable path.
func fileSeed(path string) uint64 {
	sum := sha256.Sum256([]byte(path))
	return binary.BigEndian.Uint64(sum[:8])
}

// File mutates one file: it emits the original program (Role clean, Task "original", all labels
// 0), then its line mutants and its operator mutants (Role buggy), all with PairID
// Source + ":" + f.Path. Programs that cannot be mutated, and mutants that leave the text
// unchanged (after NormalizeLine, line by line) or repeat an earlier mutant, are recorded in the
// Report and skipped. Only an error of emit is returned.
func (m *Mutator) File(f File, emit func(Snippet) error) error {
	rep := m.report
	switch {
	case !f.Language.Valid():
		rep.problem(f.Path, "unknown_language", "unknown language %q", f.Language)
		return nil
	case !m.allowed[f.Language]:
		return nil
	}
	if f.SHA256 == "" {
		sum := sha256.Sum256([]byte(f.Content))
		f.SHA256 = fmt.Sprintf("%x", sum)
	}
	if f.Split == "" {
		f.Split = SplitOf(f.Path, DefaultValFraction, DefaultTestFraction)
	}
	p, err := NewProgram(f.Language, f.Path, f.Content)
	if err != nil {
		reason := "invalid"
		switch {
		case f.Content == "":
			reason = "empty"
		case !utf8.ValidString(f.Content):
			reason = "non_utf8"
		}
		rep.problem(f.Path, reason, "%v", err)
		return nil
	}
	for i, l := range p.lines {
		if len(l.text) > m.opts.MaxLineBytes {
			rep.problem(f.Path, "line_too_long", "line %d is %d bytes (max %d)", i+1, len(l.text), m.opts.MaxLineBytes)
			return nil
		}
	}
	if len(p.eligible) < m.opts.MinEligibleLines {
		rep.problem(f.Path, "too_few_lines", "%d eligible lines (min %d)", len(p.eligible), m.opts.MinEligibleLines)
		return nil
	}
	pairID := m.opts.Source + ":" + f.Path
	prov := mutateProvenance{Generator: "pttrust datasets mutate", Seed: m.opts.Seed, Path: f.Path, SHA256: f.SHA256}
	row := func(id, task string, role Role, code string, labels, orig []int32, pv mutateProvenance) error {
		js, err := marshalJSON(pv)
		if err != nil {
			return err
		}
		s := Snippet{ID: id, PairID: pairID, Language: f.Language, Source: m.opts.Source, Task: task, Role: role,
			Split: f.Split, Code: code, Labels: labels, OriginalLine: orig, Provenance: js}
		if err := emit(s); err != nil {
			return err
		}
		rep.wrote(&s)
		return nil
	}
	n := len(p.lines)
	zeros, ident := make([]int32, n), make([]int32, n)
	for i := range ident {
		ident[i] = int32(i)
	}
	if err := row(pairID+"#"+TaskOriginal, TaskOriginal, RoleClean, f.Content, zeros, ident, prov); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(m.opts.Seed, fileSeed(f.Path)))
	origNorm := normalizedLines(f.Language, f.Content)
	seen := map[string]bool{}
	counter := map[string]int{}
	keep := func(mu Mutant, pv mutateProvenance) error {
		if reason := discardReason(f.Language, f.Content, origNorm, mu, seen); reason != "" {
			rep.problem(f.Path, reason, "a %s mutant was discarded", mu.Task)
			return nil
		}
		seen[mu.Code] = true
		pv.Operator, pv.Edits = mu.Task, mu.Edits
		id := fmt.Sprintf("%s#%s.%d", pairID, mu.Task, counter[mu.Task])
		counter[mu.Task]++
		return row(id, mu.Task, RoleBuggy, mu.Code, mu.Labels, mu.OriginalLine, pv)
	}
	pool := m.pools[f.Language]
	if pool == nil {
		pool = &donorPool{}
		m.pools[f.Language] = pool
	}
	for i := range m.opts.LineMutantsPerFile {
		ops := m.opts.LineOps
		if !m.opts.MixLineOperators {
			ops = []Operator{ops[i%len(ops)]}
		}
		rate := m.opts.MinLineRate + (m.opts.MaxLineRate-m.opts.MinLineRate)*unit(r)
		rate = math.Round(rate*1e4) / 1e4
		mu, err := p.LineMutant(ops, rate, pool.lines, r)
		if err != nil {
			why := "no line to edit"
			if len(ops) == 1 && ops[0] == OpInsertLine && len(pool.lines) == 0 {
				why = "no donor program of this language seen yet"
			}
			rep.problem(f.Path, "no_site", "%s: %s", taskOf(ops), why)
			continue
		}
		pv := prov
		pv.LineRate = rate
		if err := keep(mu, pv); err != nil {
			return err
		}
	}
	if m.opts.OperatorMutantsPerFile > 0 {
		ops := m.opts.TokenOps
		sites := make(map[Operator][]site, len(ops))
		for _, op := range ops {
			s := p.sites(op)
			// Seeded shuffle; mutants then take sites from the front, never one twice.
			for i := len(s) - 1; i > 0; i-- {
				j := intn(r, i+1)
				s[i], s[j] = s[j], s[i]
			}
			sites[op] = s
		}
		next := intn(r, len(ops))
		for range m.opts.OperatorMutantsPerFile {
			var op Operator
			for range ops {
				if c := ops[next%len(ops)]; len(sites[c]) > 0 {
					op = c
				}
				next++
				if op != "" {
					break
				}
			}
			if op == "" {
				rep.problem(f.Path, "no_site", "no site left for the operator mutants %v", ops)
				break
			}
			s := sites[op][0]
			sites[op] = sites[op][1:]
			if err := keep(p.applySite(op, s), prov); err != nil {
				return err
			}
		}
	}
	pool.add(p, m.opts.DonorPoolLines, m.poolRand)
	return nil
}

// discardReason says why a mutant is not kept: "unchanged" when its text is the original's,
// or differs only in what DiffLabels ignores (whitespace, blank lines); "duplicate_mutant" when
// an earlier mutant of the program (in seen) has the same text; "" to keep it.
func discardReason(lang Language, original string, origNorm []string, mu Mutant, seen map[string]bool) string {
	switch {
	case mu.Code == original || slices.Equal(normalizedLines(lang, mu.Code), origNorm):
		return "unchanged"
	case seen[mu.Code]:
		return "duplicate_mutant"
	}
	return ""
}

func taskOf(ops []Operator) string {
	if len(ops) == 1 {
		return string(ops[0])
	}
	return TaskLineMixed
}

// normalizedLines returns the non-blank lines of code as DiffLabels compares them.
func normalizedLines(lang Language, code string) []string {
	var out []string
	for _, l := range CodeLines(code) {
		if n := normalizeFor(lang, l); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// DirRoots returns the roots that walk dir for languages (every family when empty): one Root per
// language family, without prefix, so stable paths read "go:pkg/file.go".
func DirRoots(dir string, languages []Language) []Root {
	var roots []Root
	seen := map[Language]bool{}
	langs := languages
	if len(langs) == 0 {
		langs = AllLanguages
	}
	for _, l := range langs {
		head := l.Family()[0]
		if !seen[head] {
			seen[head] = true
			roots = append(roots, Root{Language: head, Path: dir})
		}
	}
	return roots
}

// MutateCorpus walks roots (see Walk), keeps the files of splits (all when empty), runs the
// mutation engine on each and writes the rows to out atomically (WriteSnippets). The walk's
// languages default to opts.Languages. Files the walker leaves out are reported one by one
// under "walk_<reason>" (walk.OnSkip, if set, is still called). It returns the summary, the
// walk's stats, and an error only when the walk or the write fails.
func MutateCorpus(roots []Root, walk WalkOptions, splits []Split, opts MutateOptions, out string) (*Report, *Stats, error) {
	m, err := NewMutator(opts)
	if err != nil {
		return nil, nil, err
	}
	if len(walk.Languages) == 0 {
		walk.Languages = opts.Languages
	}
	onSkip := walk.OnSkip
	walk.OnSkip = func(source string, l Language, reason SkipReason) {
		m.report.problem(source, "walk_"+string(reason), "left out by the walker: %s", reason)
		if onSkip != nil {
			onSkip(source, l, reason)
		}
	}
	var stats *Stats
	_, err = WriteSnippets(out, func(write func(Snippet) error) error {
		var werr error
		stats, werr = Walk(roots, walk, func(f File) error {
			if len(splits) > 0 && !slices.Contains(splits, f.Split) {
				return nil
			}
			return m.File(f, write)
		})
		return werr
	})
	return m.report, stats, err
}

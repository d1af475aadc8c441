package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"
)

// Operator names a mutation operator. Its value is the Snippet.Task of the mutants it makes.
type Operator string

// The paper's three line operators (DESIGN.md, stage 1).
const (
	// OpReplaceLine replaces a line with another line of the same program (re-indented to the
	// replaced line's indentation, and different from it after NormalizeLine).
	OpReplaceLine Operator = "replace_line"
	// OpInsertLine inserts, before a line, a line taken from another program of the same
	// language (re-indented to the line it precedes).
	OpInsertLine Operator = "insert_line"
	// OpDeleteLine deletes a line.
	OpDeleteLine Operator = "delete_line"
)

// The operator mutants: one token-level edit on one line, outside comments and strings.
const (
	// OpComparisonFlip negates a comparison: < to >=, <= to >, == to !=, === to !==, and back.
	OpComparisonFlip Operator = "comparison_flip"
	// OpOffByOne moves a bound by one: < to <=, > to >= and back, or an integer literal in a
	// bound (after a comparison, in an index, in range(...), added to or subtracted from a bound)
	// to its neighbour.
	OpOffByOne Operator = "off_by_one"
	// OpArithmeticSwap swaps a binary + with -, * with /, += with -=, *= with /=, ++ with --.
	OpArithmeticSwap Operator = "arithmetic_swap"
	// OpBooleanNegation swaps true and false, drops a negation (!x to x, not x to x), or negates
	// the condition of an if or while.
	OpBooleanNegation Operator = "boolean_negation"
	// OpSwapArguments swaps two adjacent arguments of a call written on one line.
	OpSwapArguments Operator = "swap_arguments"
	// OpWrongVariable replaces a variable with another variable used within 15 lines.
	OpWrongVariable Operator = "wrong_variable"
)

// TaskLineMixed is the Task of line mutants that mix the line operators (MixLineOperators).
const TaskLineMixed = "line_mixed"

// TaskOriginal is the Task of the clean original program emitted beside its mutants.
const TaskOriginal = "original"

// LineOperators and TokenOperators list the operators in their fixed order.
var (
	LineOperators  = []Operator{OpReplaceLine, OpInsertLine, OpDeleteLine}
	TokenOperators = []Operator{OpComparisonFlip, OpOffByOne, OpArithmeticSwap, OpBooleanNegation, OpSwapArguments, OpWrongVariable}
)

// ParseOperator returns the operator named s.
func ParseOperator(s string) (Operator, error) {
	for _, op := range append(slices.Clone(LineOperators), TokenOperators...) {
		if Operator(s) == op {
			return op, nil
		}
	}
	return "", fmt.Errorf("datasets: unknown mutation operator %q (known: %v %v)", s, LineOperators, TokenOperators)
}

func (op Operator) isLine() bool { return slices.Contains(LineOperators, op) }

// MutateOptions configures the mutation engine. Start from DefaultMutateOptions.
type MutateOptions struct {
	// Seed makes the run deterministic: the same files, options and seed give the same rows.
	// Each file's mutants are drawn from a generator seeded by Seed and the file's stable path,
	// so they do not depend on the other files (except for the donor lines of insert_line).
	Seed uint64
	// Languages restricts the engine to these languages; empty means every known language.
	Languages []Language
	// MinLineRate and MaxLineRate bound the share of a program's eligible lines (code lines
	// that are scorable, see Scorable) that one line mutant edits; the rate is drawn uniformly
	// per mutant. At least one line is edited.
	MinLineRate, MaxLineRate float64
	// LineMutantsPerFile line mutants are made from each program. Without MixLineOperators,
	// mutant i uses LineOps[i % len(LineOps)] alone (its Task is the operator); with it, each
	// edit draws its operator (Task "line_mixed").
	LineMutantsPerFile int
	LineOps            []Operator
	MixLineOperators   bool
	// OperatorMutantsPerFile operator mutants are made from each program, cycling through
	// TokenOps from a seeded start and skipping operators with no site left in the program.
	OperatorMutantsPerFile int
	TokenOps               []Operator
	// MinEligibleLines skips programs with fewer eligible lines ("too_few_lines").
	MinEligibleLines int
	// MaxLineBytes skips programs with a longer line ("line_too_long").
	MaxLineBytes int
	// DonorPoolLines caps the per-language pool of lines insert_line draws from (a seeded
	// reservoir over the programs seen before the current one).
	DonorPoolLines int
	// Source is the Snippet.Source of the rows ("mutation" by default).
	Source string
}

// DefaultMutateOptions: seed 1, all languages, 15-25 % of lines, one mutant per line operator
// and six operator mutants per program, 5 eligible lines at least, lines up to 1000 bytes, a
// pool of 4096 donor lines per language.
func DefaultMutateOptions() MutateOptions {
	return MutateOptions{
		Seed:                   1,
		MinLineRate:            0.15,
		MaxLineRate:            0.25,
		LineMutantsPerFile:     3,
		LineOps:                slices.Clone(LineOperators),
		OperatorMutantsPerFile: 6,
		TokenOps:               slices.Clone(TokenOperators),
		MinEligibleLines:       5,
		MaxLineBytes:           1000,
		DonorPoolLines:         4096,
		Source:                 "mutation",
	}
}

// Validate reports the first invalid field, by name.
func (o MutateOptions) Validate() error {
	switch {
	case !(o.MinLineRate > 0 && o.MinLineRate <= o.MaxLineRate && o.MaxLineRate <= 1):
		return fmt.Errorf("datasets: MutateOptions: need 0 < MinLineRate <= MaxLineRate <= 1, got %v and %v", o.MinLineRate, o.MaxLineRate)
	case o.LineMutantsPerFile < 0:
		return fmt.Errorf("datasets: MutateOptions.LineMutantsPerFile must not be negative, got %d", o.LineMutantsPerFile)
	case o.OperatorMutantsPerFile < 0:
		return fmt.Errorf("datasets: MutateOptions.OperatorMutantsPerFile must not be negative, got %d", o.OperatorMutantsPerFile)
	case o.LineMutantsPerFile > 0 && len(o.LineOps) == 0:
		return errors.New("datasets: MutateOptions.LineOps is empty but LineMutantsPerFile > 0")
	case o.OperatorMutantsPerFile > 0 && len(o.TokenOps) == 0:
		return errors.New("datasets: MutateOptions.TokenOps is empty but OperatorMutantsPerFile > 0")
	case o.MinEligibleLines < 1:
		return fmt.Errorf("datasets: MutateOptions.MinEligibleLines must be at least 1, got %d", o.MinEligibleLines)
	case o.MaxLineBytes <= 0:
		return fmt.Errorf("datasets: MutateOptions.MaxLineBytes must be positive, got %d", o.MaxLineBytes)
	case o.DonorPoolLines <= 0:
		return fmt.Errorf("datasets: MutateOptions.DonorPoolLines must be positive, got %d", o.DonorPoolLines)
	case o.Source == "":
		return errors.New("datasets: MutateOptions.Source is empty")
	}
	for _, op := range o.LineOps {
		if !op.isLine() {
			return fmt.Errorf("datasets: MutateOptions.LineOps: %q is not a line operator (%v)", op, LineOperators)
		}
	}
	for _, op := range o.TokenOps {
		if !slices.Contains(TokenOperators, op) {
			return fmt.Errorf("datasets: MutateOptions.TokenOps: %q is not an operator mutant (%v)", op, TokenOperators)
		}
	}
	for _, l := range o.Languages {
		if !l.Valid() {
			return fmt.Errorf("datasets: MutateOptions.Languages: unknown language %q (known: %v)", l, AllLanguages)
		}
	}
	return nil
}

// Program is one source file prepared for mutation.
type Program struct {
	Language Language
	// Path names the program in provenance and donor references (a stable path).
	Path string
	Code string

	lines    []rawLine
	toks     []token
	lineToks [][]int // per line, the indexes of the tokens that start on it
	eligible []int   // lines the line operators may touch, ascending
}

// NewProgram prepares code for mutation. It fails on an unknown language, empty code or code
// that is not UTF-8.
func NewProgram(lang Language, path, code string) (*Program, error) {
	switch {
	case !lang.Valid():
		return nil, fmt.Errorf("unknown language %q (known: %v)", lang, AllLanguages)
	case code == "":
		return nil, errors.New("empty program")
	case !utf8.ValidString(code):
		return nil, errors.New("not valid UTF-8")
	}
	p := &Program{Language: lang, Path: path, Code: code, lines: splitRaw(code)}
	p.toks = lex(lang, code)
	p.lineToks = make([][]int, len(p.lines))
	hasCode := make([]bool, len(p.lines))
	for i, t := range p.toks {
		if t.line < len(p.lines) {
			p.lineToks[t.line] = append(p.lineToks[t.line], i)
			hasCode[t.line] = true
		}
	}
	for i, l := range p.lines {
		if hasCode[i] && Scorable(l.text) {
			p.eligible = append(p.eligible, i)
		}
	}
	return p, nil
}

// EligibleLines returns the lines the line operators may edit: lines where a token of code
// starts (not inside a comment or a multi-line string) that are scorable.
func (p *Program) EligibleLines() []int { return slices.Clone(p.eligible) }

// Mutant is one mutated copy of a Program.
type Mutant struct {
	// Task is the operator, or TaskLineMixed.
	Task string
	Code string
	// Labels and OriginalLine have one element per line of Code (see Snippet).
	Labels       []int32
	OriginalLine []int32
	// Edits lists what was changed, for provenance.
	Edits []Edit
}

// Edit is one change of a mutant.
type Edit struct {
	Op Operator `json:"op"`
	// Orig is the line of the original program edited (for insert_line, the line the new line
	// was put before).
	Orig int `json:"orig"`
	// From and To are the replaced text and its replacement (whole lines for the line
	// operators, tokens for the operator mutants).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Col is the byte column of an operator mutant's edit.
	Col int `json:"col,omitempty"`
	// Donor names the origin of an inserted line ("path:line").
	Donor string `json:"donor,omitempty"`
}

// DonorLine is a line another program gives to insert_line.
type DonorLine struct {
	Text   string
	Origin string // "path:line" (1-based line)
}

// ErrNoSite is returned when an operator finds nothing to mutate in a program.
var ErrNoSite = errors.New("no site for this operator")

// intn returns a number in [0, n) from r's raw 64-bit output (the derived methods of
// math/rand/v2 are not promised to stay the same across Go versions; PCG's output is).
func intn(r *rand.Rand, n int) int { return int(r.Uint64() % uint64(n)) }

// unit returns a number in [0, 1) from r's raw output.
func unit(r *rand.Rand) float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// lineEdit is one planned line operation on the original line target.
type lineEdit struct {
	op     Operator
	target int
	text   string // the new line (replace, insert), re-indented
	donor  string
}

// LineMutant makes one mutant with the line operators ops: it edits
// max(1, round(rate × eligible lines)) distinct eligible lines, each with an operator drawn from
// ops (always ops[0] when ops has one element). replace_line takes a line of p different from
// the edited one after NormalizeLine; insert_line takes a line of donors, put before the edited
// line. Replaced and inserted lines take the indentation of the line they replace or precede.
//
// Labels: replaced and inserted lines are 1. A deletion labels the non-blank line just before
// the deletion point (the first non-blank line of the mutant when the deletion is at the start)
// — the rule DiffLabels applies to a fix that is a pure insertion, so a deletion mutant gets the
// labels the pair (mutant, original) would get from the diff. OriginalLine maps each line to its
// line of p, -1 for inserted lines; a replaced line maps to the line it replaced.
//
// Targets for which no replacement or donor exists are left alone; ErrNoSite is returned when
// none is left.
func (p *Program) LineMutant(ops []Operator, rate float64, donors []DonorLine, r *rand.Rand) (Mutant, error) {
	if len(ops) == 0 {
		return Mutant{}, errors.New("no line operator")
	}
	for _, op := range ops {
		if !op.isLine() {
			return Mutant{}, fmt.Errorf("%q is not a line operator", op)
		}
	}
	if len(p.eligible) == 0 {
		return Mutant{}, ErrNoSite
	}
	k := max(1, int(math.Round(rate*float64(len(p.eligible)))))
	k = min(k, len(p.eligible))
	// Partial Fisher-Yates: the first k of a seeded shuffle of the eligible lines.
	pick := slices.Clone(p.eligible)
	for i := range k {
		j := i + intn(r, len(pick)-i)
		pick[i], pick[j] = pick[j], pick[i]
	}
	targets := pick[:k]
	slices.Sort(targets)
	var edits []lineEdit
	for _, t := range targets {
		op := ops[0]
		if len(ops) > 1 {
			op = ops[intn(r, len(ops))]
		}
		e := lineEdit{op: op, target: t}
		indent := indentOf(p.lines[t].text)
		switch op {
		case OpReplaceLine:
			j, ok := p.replacementFor(t, r)
			if !ok {
				continue
			}
			e.text = indent + strings.TrimSpace(p.lines[j].text)
			e.donor = fmt.Sprintf("%s:%d", p.Path, j+1)
		case OpInsertLine:
			if len(donors) == 0 {
				continue
			}
			d := donors[intn(r, len(donors))]
			e.text = indent + strings.TrimSpace(d.Text)
			e.donor = d.Origin
		}
		edits = append(edits, e)
	}
	if len(edits) == 0 {
		return Mutant{}, ErrNoSite
	}
	task := string(ops[0])
	if len(ops) > 1 {
		task = TaskLineMixed
	}
	return p.applyLineEdits(task, edits), nil
}

// replacementFor draws a line of p to replace line t with: an eligible line whose normalized
// text differs from t's. It tries 16 random lines, then scans from a random start.
func (p *Program) replacementFor(t int, r *rand.Rand) (int, bool) {
	want := NormalizeLine(p.lines[t].text)
	ok := func(j int) bool { return j != t && NormalizeLine(p.lines[j].text) != want }
	for range 16 {
		if j := p.eligible[intn(r, len(p.eligible))]; ok(j) {
			return j, true
		}
	}
	start := intn(r, len(p.eligible))
	for i := range p.eligible {
		if j := p.eligible[(start+i)%len(p.eligible)]; ok(j) {
			return j, true
		}
	}
	return 0, false
}

// applyLineEdits builds the mutant from edits on distinct lines, in line order.
func (p *Program) applyLineEdits(task string, edits []lineEdit) Mutant {
	byLine := map[int]lineEdit{}
	for _, e := range edits {
		byLine[e.target] = e
	}
	term := "\n"
	for _, l := range p.lines {
		if l.term != "" {
			term = l.term
			break
		}
	}
	var out []rawLine
	var labels, orig []int32
	markNext := false // a deletion at the start waits for the first non-blank line
	push := func(l rawLine, label int32, o int) {
		if markNext && !IsBlank(l.text) {
			label, markNext = 1, false
		}
		out = append(out, l)
		labels = append(labels, label)
		orig = append(orig, int32(o))
	}
	m := Mutant{Task: task}
	for i, l := range p.lines {
		e, ok := byLine[i]
		if !ok {
			push(l, 0, i)
			continue
		}
		switch e.op {
		case OpReplaceLine:
			push(rawLine{text: e.text, term: l.term}, 1, i)
			m.Edits = append(m.Edits, Edit{Op: e.op, Orig: i, From: l.text, To: e.text, Donor: e.donor})
		case OpInsertLine:
			t := l.term
			if t == "" {
				t = term
			}
			push(rawLine{text: e.text, term: t}, 1, -1)
			push(l, 0, i)
			m.Edits = append(m.Edits, Edit{Op: e.op, Orig: i, To: e.text, Donor: e.donor})
		case OpDeleteLine:
			m.Edits = append(m.Edits, Edit{Op: e.op, Orig: i, From: l.text})
			j := len(out) - 1
			for j >= 0 && IsBlank(out[j].text) {
				j--
			}
			if j >= 0 {
				labels[j] = 1
			} else {
				markNext = true
			}
		}
	}
	if markNext { // everything after the deletion was blank: mark the last non-blank line
		for j := len(out) - 1; j >= 0; j-- {
			if !IsBlank(out[j].text) {
				labels[j] = 1
				break
			}
		}
	}
	m.Code = joinRaw(out)
	m.Labels, m.OriginalLine = labels, orig
	return m
}

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

package datasets

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
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

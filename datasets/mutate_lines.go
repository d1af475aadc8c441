package datasets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Line mutants: the paper's three line operators (a line replaced by another of the program, a
// donor line from another program inserted, a line deleted), applied at a rate, with the labels
// of the lines they leave.

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

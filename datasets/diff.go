package datasets

import (
	"errors"
	"fmt"
)

// DefaultMaxDiffDistance caps the edit distance (deleted plus inserted normalized lines) that
// DiffLabels computes: Myers' algorithm keeps O(D²) state, and a "fix" that rewrites thousands
// of lines is no line-level bug label anyway.
const DefaultMaxDiffDistance = 4000

// ErrNoDifference is returned by DiffLabels when the two versions differ only in whitespace or
// blank lines: the pair has no buggy line.
var ErrNoDifference = errors.New("the versions differ only in whitespace or blank lines")

// ErrTooDifferent is returned by DiffLabels when the edit distance exceeds the cap.
var ErrTooDifferent = errors.New("the versions differ in too many lines")

// DiffLabels derives the line labels of a buggy version from its fix (DESIGN.md, "Labeled
// sources"). Lines are compared after NormalizeLine, and blank lines take no part, so
// whitespace-only differences and added or removed blank lines are not changes — except inside
// string literals (a one-space string is not an empty one), and in
// Python the indentation width of a line counts (indentation is syntax there: a statement moved
// out of a loop is a bug fix, DebugBench even has an "illegal indentation" bug type). On the
// non-blank lines a minimal line diff (Myers) is computed; then
//
//   - every buggy line the fix changes or removes is labeled 1;
//   - a pure insertion in the fix (fixed lines added where no buggy line is removed) labels the
//     non-blank buggy line just before the insertion point, or the first non-blank buggy line
//     when the insertion is at the start;
//   - every other line, blank lines included, is 0.
//
// aligned gives for each buggy line the index of its counterpart in fixed: the matched line for
// unchanged lines; within a hunk that replaces lines, the k-th removed line is paired with the
// k-th added one; -1 for blank lines and removed lines without a counterpart. Both slices have
// CodeLines(buggy) elements.
//
// maxDistance caps the edit distance (DefaultMaxDiffDistance when 0 or negative); beyond it the
// error wraps ErrTooDifferent. A pair whose versions are the same after normalization gives
// ErrNoDifference; a buggy version without a non-blank line is an error.
func DiffLabels(lang Language, buggy, fixed string, maxDistance int) (labels, aligned []int32, err error) {
	if maxDistance <= 0 {
		maxDistance = DefaultMaxDiffDistance
	}
	bl, fl := CodeLines(buggy), CodeLines(fixed)
	intern := map[string]int{}
	norm := func(lines []string) (ids, idx []int) {
		for i, l := range lines {
			n := normalizeFor(lang, l)
			if n == "" {
				continue
			}
			id, ok := intern[n]
			if !ok {
				id = len(intern)
				intern[n] = id
			}
			ids = append(ids, id)
			idx = append(idx, i)
		}
		return ids, idx
	}
	a, aIdx := norm(bl)
	b, bIdx := norm(fl)
	if len(a) == 0 {
		return nil, nil, errors.New("the buggy version has no non-blank line")
	}
	pairs, ok := lcsPairs(a, b, maxDistance)
	if !ok {
		return nil, nil, fmt.Errorf("%w (more than %d lines removed or added)", ErrTooDifferent, maxDistance)
	}
	labels = make([]int32, len(bl))
	aligned = make([]int32, len(bl))
	for i := range aligned {
		aligned[i] = -1
	}
	changed := false
	prevA, prevB := -1, -1
	for _, p := range append(pairs, [2]int{len(a), len(b)}) {
		gapA, gapB := p[0]-prevA-1, p[1]-prevB-1
		switch {
		case gapA > 0:
			changed = true
			for k := range gapA {
				i := aIdx[prevA+1+k]
				labels[i] = 1
				if k < gapB {
					aligned[i] = int32(bIdx[prevB+1+k])
				}
			}
		case gapB > 0:
			changed = true
			at := 0
			if prevA >= 0 {
				at = prevA
			}
			labels[aIdx[at]] = 1
		}
		if p[0] < len(a) {
			aligned[aIdx[p[0]]] = int32(bIdx[p[1]])
		}
		prevA, prevB = p[0], p[1]
	}
	if !changed {
		return nil, nil, ErrNoDifference
	}
	return labels, aligned, nil
}

// lcsPairs returns the index pairs (i, j), increasing in both, of a longest common subsequence
// of a and b, found by Myers' O((N+M)D) algorithm after stripping the common prefix and suffix.
// It reports false when the edit distance exceeds maxD.
func lcsPairs(a, b []int, maxD int) ([][2]int, bool) {
	var pairs [][2]int
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pairs = append(pairs, [2]int{pre, pre})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	mid, ok := myers(a[pre:len(a)-suf], b[pre:len(b)-suf], maxD)
	if !ok {
		return nil, false
	}
	for _, p := range mid {
		pairs = append(pairs, [2]int{p[0] + pre, p[1] + pre})
	}
	for k := suf; k > 0; k-- {
		pairs = append(pairs, [2]int{len(a) - k, len(b) - k})
	}
	return pairs, true
}

// myers returns the matched pairs of a shortest edit script from a to b, or false when it
// needs more than maxD insertions and deletions. For each d it keeps the furthest x reached on
// every diagonal k = x - y (k = -d, -d+2, ..., d) and the move that got there; moves never
// leave the grid, so the recorded moves give the path back.
func myers(a, b []int, maxD int) ([][2]int, bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil, n+m <= maxD
	}
	type cell struct {
		x    int  // furthest x, -1 when the diagonal is unreachable with d edits
		down bool // reached by an insertion (from k+1) rather than a deletion (from k-1)
	}
	var rows [][]cell
	at := func(d, k int) cell {
		if k < -d || k > d {
			return cell{x: -1}
		}
		return rows[d][(k+d)/2]
	}
	final := -1
	for d := 0; d <= maxD && d <= n+m && final < 0; d++ {
		row := make([]cell, d+1)
		for k := -d; k <= d; k += 2 {
			c := cell{x: -1}
			if d == 0 {
				c.x = 0
			} else {
				if up := at(d-1, k+1); up.x >= 0 && up.x-(k+1) < m {
					c = cell{x: up.x, down: true}
				}
				if left := at(d-1, k-1); left.x >= 0 && left.x < n && left.x+1 > c.x {
					c = cell{x: left.x + 1}
				}
			}
			if c.x >= 0 {
				x, y := c.x, c.x-k
				for x < n && y < m && a[x] == b[y] {
					x++
					y++
				}
				c.x = x
				if x == n && y == m {
					final = d
				}
			}
			row[(k+d)/2] = c
		}
		rows = append(rows, row)
	}
	if final < 0 {
		return nil, false
	}
	var rev [][2]int
	x, y := n, m
	for d := final; d > 0; d-- {
		k := x - y
		c := at(d, k)
		prevK := k - 1
		if c.down {
			prevK = k + 1
		}
		prevX := at(d-1, prevK).x
		prevY := prevX - prevK
		midX, midY := prevX+1, prevY
		if c.down {
			midX, midY = prevX, prevY+1
		}
		for x > midX && y > midY {
			x--
			y--
			rev = append(rev, [2]int{x, y})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, [2]int{x, y})
	}
	out := make([][2]int, len(rev))
	for i, p := range rev {
		out[len(rev)-1-i] = p
	}
	return out, true
}

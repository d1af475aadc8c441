package tokenizer

import "strings"

// splitBehavior says what happens to the delimiters (pattern matches) when splitting.
type splitBehavior int

const (
	behaviorRemoved splitBehavior = iota
	behaviorIsolated
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

// parseBehavior maps tokenizer.json names ("Isolated", "MergedWithPrevious", ...) to behaviors.
func parseBehavior(s string) (splitBehavior, bool) {
	switch strings.ToLower(s) {
	case "removed":
		return behaviorRemoved, true
	case "isolated":
		return behaviorIsolated, true
	case "mergedwithprevious", "merged_with_previous":
		return behaviorMergedWithPrevious, true
	case "mergedwithnext", "merged_with_next":
		return behaviorMergedWithNext, true
	case "contiguous":
		return behaviorContiguous, true
	}
	return 0, false
}

// piece is a range of a string and whether it is a delimiter (a match).
type piece struct {
	a, b    int
	isMatch bool
}

// splitRanges partitions [0, n) by the match ranges ms (as the reference's find_matches does)
// and applies the behavior, returning the ranges to keep, empty ones dropped.
func splitRanges(n int, ms [][2]int, invert bool, beh splitBehavior) [][2]int {
	parts := make([]piece, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		if m[0] > prev {
			parts = append(parts, piece{prev, m[0], invert})
		}
		parts = append(parts, piece{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev < n {
		parts = append(parts, piece{prev, n, invert})
	}

	var out [][2]int
	switch beh {
	case behaviorRemoved:
		for _, p := range parts {
			if !p.isMatch {
				out = append(out, [2]int{p.a, p.b})
			}
		}
	case behaviorIsolated:
		for _, p := range parts {
			out = append(out, [2]int{p.a, p.b})
		}
	case behaviorMergedWithPrevious:
		prevMatch := false
		for _, p := range parts {
			if p.isMatch && !prevMatch && len(out) > 0 {
				out[len(out)-1][1] = p.b
			} else {
				out = append(out, [2]int{p.a, p.b})
			}
			prevMatch = p.isMatch
		}
	case behaviorMergedWithNext:
		prevMatch := false
		for i := len(parts) - 1; i >= 0; i-- {
			p := parts[i]
			if p.isMatch && !prevMatch && len(out) > 0 {
				out[len(out)-1][0] = p.a
			} else {
				out = append(out, [2]int{p.a, p.b})
			}
			prevMatch = p.isMatch
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case behaviorContiguous:
		prevMatch := false
		for _, p := range parts {
			if p.isMatch == prevMatch && len(out) > 0 {
				out[len(out)-1][1] = p.b
			} else {
				out = append(out, [2]int{p.a, p.b})
			}
			prevMatch = p.isMatch
		}
	}
	kept := out[:0]
	for _, r := range out {
		if r[1] > r[0] {
			kept = append(kept, r)
		}
	}
	return kept
}

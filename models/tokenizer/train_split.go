package tokenizer

// A hand-written matcher for TrainSplitPattern, registered with the other fast matchers so
// that both Trainer.Add and the loader (for tokenizer.json files that use the pattern) run
// it instead of regexp2. TestFastSplitMatchesRegexp2 and TestTrainSplitMatchesRegexp2 check
// that it returns exactly what regexp2 returns.

func init() {
	fastMatchers[TrainSplitPattern] = matchTrain
}

// matchTrain matches TrainSplitPattern at byte i of s and returns the end of the match.
func matchTrain(s string, i int) int {
	if e := contraction(s, i, true); e > i {
		return e
	}
	r, c, size := at(s, i)
	switch c {
	case clsLetter:
		return runOf(s, i, clsLetter)
	case clsNumber:
		return digitRun(s, i+size, 2) // \p{N}{1,3}
	case clsOther:
		// [^\r\n\p{L}\p{N}]?\p{L}+, else [^\s\p{L}\p{N}]+ (nothing after it).
		if _, c2, _ := at(s, i+size); c2 == clsLetter {
			return runOf(s, i+size, clsLetter)
		}
		return runOf(s, i, clsOther)
	}
	// Whitespace: \r?\n|\r first.
	switch r {
	case '\n':
		return i + 1
	case '\r':
		if i+1 < len(s) && s[i+1] == '\n' {
			return i + 2
		}
		return i + 1
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+ with a leading whitespace character.
	if _, c2, _ := at(s, i+size); c2 == clsLetter {
		return runOf(s, i+size, clsLetter)
	}
	//  ?[^\s\p{L}\p{N}]+
	if r == ' ' {
		if _, c2, _ := at(s, i+1); c2 == clsOther {
			return runOf(s, i+1, clsOther)
		}
	}
	return horizontalSpaces(s, i)
}

// horizontalSpaces matches [^\S\r\n]+(?!\S)|[^\S\r\n]+ at byte i, where a whitespace
// character other than \r and \n starts.
func horizontalSpaces(s string, i int) int {
	w, lastStart := i, i
	for {
		r, c, size := at(s, w)
		if size == 0 || c != clsSpace || r == '\r' || r == '\n' {
			break
		}
		lastStart = w
		w += size
	}
	if _, c, size := at(s, w); size == 0 || c == clsSpace {
		return w // end of text or a line break: (?!\S) holds after the whole run
	}
	if lastStart == i {
		return w // a single character before a non-space: the plain run
	}
	return lastStart // leave the last character to the following word
}

package extract

import (
	"fmt"
	"math"
	"slices"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
	"github.com/pttrust/pttrust/states"
)

// window is one forward pass over ids[start:end] of a snippet.
type window struct{ start, end int }

// snippetWork is one snippet on its way to rows.
type snippetWork struct {
	index   int // row of the input file
	snip    datasets.Snippet
	ids     []int32
	tokLine []int
	ranges  []states.TokenRange
	lineWin []int // per line: index into wins, or -1 (dropped or unscored)
	wins    []window
	rows    []Row // one per scored line, in line order
	rowOf   []int // per line: index into rows, or -1
	tokens  int   // tokens of the snippet
	dropped int   // blank or punctuation-only lines
	probs   []Problem
}

// Problem is an input snippet, or one of its lines, that gave no row.
type Problem struct {
	// Snippet is the row of the input file, ID its id.
	Snippet int    `json:"snippet"`
	ID      string `json:"id"`
	// Line is the 0-based line, or -1 when the whole snippet was skipped.
	Line int `json:"line"`
	// Reason says why.
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Line < 0 {
		return fmt.Sprintf("snippet %d (id %q): skipped: %s", p.Snippet, p.ID, p.Reason)
	}
	return fmt.Sprintf("snippet %d (id %q): line %d not scored: %s", p.Snippet, p.ID, p.Line, p.Reason)
}

// tokenize encodes a snippet as models.ScoreText does: with the model's template (e.g. a BOS)
// when the tokenizer has one.
func tokenize(tok *tokenizer.Tokenizer, code string, withTemplate bool) ([]tokenizer.Token, error) {
	tokens, err := tok.EncodeChecked(code)
	if err != nil {
		return nil, err
	}
	if withTemplate && len(tokens) > 0 {
		tokens = tok.EncodeWithSpecial(code)
	}
	return tokens, nil
}

// prepare validates, tokenizes and plans one snippet. A nil result means the snippet was skipped
// (its problem is in probs).
func prepare(r *resolved, tok *tokenizer.Tokenizer, withTemplate bool, index int, s datasets.Snippet) (*snippetWork, []Problem) {
	skip := func(reason string) (*snippetWork, []Problem) {
		return nil, []Problem{{Snippet: index, ID: s.ID, Line: -1, Reason: reason}}
	}
	if err := s.Validate(); err != nil {
		return skip(err.Error())
	}
	tokens, err := tokenize(tok, s.Code, withTemplate)
	if err != nil {
		return skip(err.Error())
	}
	w := &snippetWork{index: index, snip: s, tokens: len(tokens)}
	lines := states.SplitLines(s.Code)
	w.tokLine = states.TokenLines(lines, tokens)
	w.ranges = states.LineTokens(w.tokLine, len(lines))
	w.ids = make([]int32, len(tokens))
	for i, t := range tokens {
		w.ids[i] = int32(t.ID)
	}
	scorable := datasets.ScorableLines(s.Language, s.Code) // one per line of lines (the same split)
	for i := range lines {
		if !scorable[i] {
			w.dropped++
			continue
		}
		switch rg := w.ranges[i]; {
		case rg.Empty():
			w.probs = append(w.probs, Problem{Snippet: index, ID: s.ID, Line: i,
				Reason: "no token starts on this line (a token starting on an earlier line spans it)"})
			scorable[i] = false
		case rg.Last-rg.First+1 > r.window:
			w.probs = append(w.probs, Problem{Snippet: index, ID: s.ID, Line: i,
				Reason: fmt.Sprintf("the line spans %d tokens, more than the window of %d", rg.Last-rg.First+1, r.window)})
			scorable[i] = false
		}
	}
	w.wins, w.lineWin = planWindows(w.ranges, scorable, r.window)
	w.rowOf = make([]int, len(lines))
	for i := range lines {
		w.rowOf[i] = -1
		if w.lineWin[i] < 0 {
			continue
		}
		w.rowOf[i] = len(w.rows)
		w.rows = append(w.rows, Row{
			SnippetID: s.ID, PairID: s.PairID, Language: string(s.Language), Source: s.Source, Task: s.Task,
			Role: string(s.Role), Split: string(s.Split), Line: int32(i), Label: s.Labels[i],
			OriginalLine: s.OriginalLine[i], TokenCount: int32(w.ranges[i].Count),
		})
	}
	if len(w.rows) == 0 && len(w.probs) > 0 {
		// Nothing of the snippet can be scored: say so once for the snippet too.
		w.probs = append(w.probs, Problem{Snippet: index, ID: s.ID, Line: -1, Reason: "no line could be scored"})
	}
	probs := w.probs
	w.probs = nil
	if len(w.rows) == 0 {
		return nil, probs
	}
	return w, probs
}

// planWindows assigns every scorable line to the window it is scored in and returns the windows
// that score at least one line, by start. Windows are the grid ids[k*stride : k*stride+W]
// (stride = W/2) of models.ScoreText; a line goes to the first grid window that holds all its
// tokens (the first window when the line lies in it: exactly a single pass), which is the one
// giving it the most context: there its last token has at least W - stride tokens before it.
// A line that no grid window holds (only possible for lines longer than W - stride + 1 tokens)
// gets a window ending at its last token. A window runs only up to the last token of the lines it
// scores: attention is causal, so later tokens change nothing.
func planWindows(ranges []states.TokenRange, scorable []bool, W int) ([]window, []int) {
	stride := max(1, W/2)
	lineWin := make([]int, len(ranges))
	ends := map[int]int{} // window start -> end
	starts := make([]int, len(ranges))
	for l, rg := range ranges {
		lineWin[l] = -1
		starts[l] = -1
		if !scorable[l] || rg.Empty() || rg.Last-rg.First+1 > W {
			continue
		}
		s := 0
		if rg.Last >= W {
			s = ((rg.Last-W)/stride + 1) * stride
			if s > rg.First {
				s = rg.Last + 1 - W
			}
		}
		starts[l] = s
		ends[s] = max(ends[s], rg.Last+1)
	}
	keys := make([]int, 0, len(ends))
	for s := range ends {
		keys = append(keys, s)
	}
	slices.Sort(keys)
	wins := make([]window, len(keys))
	for i, s := range keys {
		wins[i] = window{start: s, end: ends[s]}
	}
	for l, s := range starts {
		if s >= 0 {
			lineWin[l], _ = slices.BinarySearch(keys, s)
		}
	}
	return wins, lineWin
}

// lookbackStart gives the lookback boundary of every token of window wi, in window coordinates:
// the position of the first token of the token's line (0 for tokens of no line, and for lines
// starting before the window, which are not scored there).
func (w *snippetWork) lookbackStart(wi int) []int32 {
	win := w.wins[wi]
	out := make([]int32, win.end-win.start)
	for t := win.start; t < win.end; t++ {
		if l := w.tokLine[t]; l >= 0 {
			out[t-win.start] = int32(max(0, w.ranges[l].First-win.start))
		}
	}
	return out
}

// statePositions lists, in line order, the last-token positions (in window coordinates) of the
// lines scored in window wi: the positions whose states a pass keeps (models.Request.Positions).
func (w *snippetWork) statePositions(wi int) []int32 {
	var out []int32
	for l, lw := range w.lineWin {
		if lw == wi {
			out = append(out, int32(w.ranges[l].Last-w.wins[wi].start))
		}
	}
	return out
}

// fill computes the rows of the lines scored in window wi from one batch row b of the results;
// the state hooks hold the statePositions(wi) of that row, in order.
func (w *snippetWork) fill(r *resolved, wi int, res map[string]*models.Array, b int) {
	win := w.wins[wi]
	lp, ent := res[models.HookTokenLogProb], res[models.HookTokenEntropy]
	var look *models.Array // per token: the attention mass before the token's line, mean over heads
	if r.attnLayer >= 0 {
		look = res[models.AttnLookback(r.attnLayer)]
	}
	k := -1 // index of the line among statePositions(wi)
	for l, lw := range w.lineWin {
		if lw != wi {
			continue
		}
		k++
		row := &w.rows[w.rowOf[l]]
		rg := w.ranges[l]
		var sumLP, sumEnt, sumLook float64
		minLP := math.Inf(1)
		nLP, nTok := 0, 0
		for t := rg.First; t <= rg.Last; t++ {
			if w.tokLine[t] != l {
				continue
			}
			p := t - win.start
			nTok++
			if lp != nil { // nil when no token statistics are asked for
				if v := float64(lp.At(b, p)); !math.IsNaN(v) {
					sumLP += v
					minLP = math.Min(minLP, v)
					sumEnt += float64(ent.At(b, p))
					nLP++
				}
			}
			if look != nil {
				sumLook += float64(look.At(b, p))
			}
		}
		row.MeanLogProb, row.MinLogProb, row.MeanEntropy = float32(math.NaN()), float32(math.NaN()), float32(math.NaN())
		if nLP > 0 {
			row.MeanLogProb = float32(sumLP / float64(nLP))
			row.MinLogProb = float32(minLP)
			row.MeanEntropy = float32(sumEnt / float64(nLP))
		}
		row.LookbackRatio = float32(math.NaN())
		if look != nil {
			row.LookbackRatio = float32(sumLook / float64(nTok))
		}
		row.ContextTokens = int32(rg.Last - win.start)
		row.States = make([][]float32, len(r.Hooks))
		for i, h := range r.Hooks {
			row.States[i] = slices.Clone(res[h].Row(b, k))
		}
	}
}

package models

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/pttrust/pttrust/internal/srclines"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// TokenScores are per-token statistics of a text under a model.
type TokenScores struct {
	// Tokens as encoded (special tokens such as a BOS included).
	Tokens []tokenizer.Token
	// LogProb[t] = log p(token t | tokens < t); NaN for a token with no prediction (the first).
	LogProb []float32
	// Entropy[t] is the entropy (nats) of the distribution token t was drawn from; NaN likewise.
	Entropy []float32
}

// ScoreText tokenizes text and scores every token. Texts longer than the window are processed in
// windows of window tokens with a stride of window/2; every token after the first window is scored
// in a window where it has at least window/2 tokens of context. window <= 0 picks
// min(MaxPositions, 1024).
func ScoreText(m *Model, tok *tokenizer.Tokenizer, text string, window int) (*TokenScores, error) {
	if !utf8.ValidString(text) {
		_, err := tok.EncodeChecked(text) // names the offset of the first bad byte
		return nil, err
	}
	if text == "" {
		return nil, fmt.Errorf("empty input: no tokens")
	}
	tokens := tok.EncodeWithSpecial(text) // with the model's own template (e.g. a BOS) if it has one
	if len(tokens) == 0 {
		return nil, fmt.Errorf("empty input: no tokens")
	}
	if window <= 0 {
		window = min(m.Config.MaxPositions, 1024)
	}
	if window < 2 {
		return nil, fmt.Errorf("window must be >= 2, got %d", window)
	}
	ids := make([]int32, len(tokens))
	for i, t := range tokens {
		ids[i] = int32(t.ID)
	}
	s := &TokenScores{Tokens: tokens, LogProb: make([]float32, len(ids)), Entropy: make([]float32, len(ids))}
	stride := window / 2
	for start := 0; ; start += stride {
		end := min(start+window, len(ids))
		res, err := m.Run([][]int32{ids[start:end]}, Request{Hooks: []string{HookTokenLogProb, HookTokenEntropy}})
		if err != nil {
			return nil, err
		}
		lp, ent := res[HookTokenLogProb].Data, res[HookTokenEntropy].Data
		from := 0
		if start > 0 {
			from = window - stride // positions already scored with more context are skipped
		}
		for i := from; i < end-start; i++ {
			s.LogProb[start+i], s.Entropy[start+i] = lp[i], ent[i]
		}
		if end == len(ids) {
			break
		}
	}
	return s, nil
}

// LineScore summarises the tokens that start on one source line.
type LineScore struct {
	// Line is the 0-based line number; Text its content.
	Line int
	Text string
	// Tokens is the number of tokens starting on the line (special tokens excluded).
	Tokens int
	// MeanLogProb, MinLogProb and MeanEntropy over those tokens (NaN when none has a prediction).
	MeanLogProb, MinLogProb, MeanEntropy float64
}

// LineScores groups token scores by the source line each token starts on.
func LineScores(text string, s *TokenScores) []LineScore {
	ls := srclines.Split(text)
	out := make([]LineScore, len(ls))
	sumLP, sumEnt, n := make([]float64, len(ls)), make([]float64, len(ls)), make([]int, len(ls))
	for i := range out {
		out[i] = LineScore{Line: i, Text: ls[i].Text(text), MinLogProb: math.Inf(1)}
	}
	for t, tk := range s.Tokens {
		if tk.Special || len(ls) == 0 {
			continue
		}
		l := srclines.Of(ls, tk.Start)
		out[l].Tokens++
		if lp := float64(s.LogProb[t]); !math.IsNaN(lp) {
			sumLP[l] += lp
			sumEnt[l] += float64(s.Entropy[t])
			n[l]++
			out[l].MinLogProb = math.Min(out[l].MinLogProb, lp)
		}
	}
	for i := range out {
		if n[i] == 0 {
			out[i].MeanLogProb, out[i].MinLogProb, out[i].MeanEntropy = math.NaN(), math.NaN(), math.NaN()
			continue
		}
		out[i].MeanLogProb = sumLP[i] / float64(n[i])
		out[i].MeanEntropy = sumEnt[i] / float64(n[i])
	}
	return out
}

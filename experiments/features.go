package experiments

import (
	"math"

	"github.com/pttrust/pttrust/states/extract"
)

// FeaturesConfig says what the binding reads for each line besides the state features (SAE
// latents for PtTrust, raw states for the probe). The paper's binding reads the latents alone
// (both false).
type FeaturesConfig struct {
	// TokenStats appends the line's own token statistics: mean and min token log-prob and mean
	// entropy, plus a flag for lines without them (a snippet's first token has no prediction;
	// those values are then 0). The binding standardises every feature on its training lines.
	TokenStats bool `toml:"token_stats" json:"token_stats"`
	// Context appends the state features of the previous and of the next scored line of the
	// same snippet (zeros past either end), so each line is judged beside its neighbours.
	Context bool `toml:"context" json:"context"`
}

// dim is the binding's input width for d state features.
func (f FeaturesConfig) dim(d int) int {
	n := d
	if f.Context {
		n += 2 * d
	}
	if f.TokenStats {
		n += 4
	}
	return n
}

// Any reports whether anything is appended.
func (f FeaturesConfig) Any() bool { return f.TokenStats || f.Context }

// String names the recipe in cache keys and tables: "latents", "+stats", "+context",
// "+stats+context".
func (f FeaturesConfig) String() string {
	s := ""
	if f.TokenStats {
		s += "+stats"
	}
	if f.Context {
		s += "+context"
	}
	return s
}

// span is one snippet's rows: rows[start:end], in line order.
type span struct{ start, end int }

// composeFeatures builds the binding's input of every row: base[i] (the state features), then
// the neighbours' base features (Context), then the token statistics (TokenStats). spans cover
// the rows snippet by snippet.
func composeFeatures(f FeaturesConfig, base [][]float32, rows []extract.Row, spans []span) [][]float32 {
	if !f.Any() {
		return base
	}
	out := make([][]float32, len(base))
	for _, sp := range spans {
		for i := sp.start; i < sp.end; i++ {
			d := len(base[i])
			v := make([]float32, 0, 3*d+4)
			v = append(v, base[i]...)
			if f.Context {
				v = appendOrZeros(v, base, i-1, sp, d)
				v = appendOrZeros(v, base, i+1, sp, d)
			}
			if f.TokenStats {
				r := rows[i]
				if math.IsNaN(float64(r.MeanLogProb)) {
					v = append(v, 0, 0, 0, 1)
				} else {
					v = append(v, r.MeanLogProb, r.MinLogProb, r.MeanEntropy, 0)
				}
			}
			out[i] = v
		}
	}
	return out
}

// appendOrZeros appends base[j] when j is a row of sp, else d zeros.
func appendOrZeros(v []float32, base [][]float32, j int, sp span, d int) []float32 {
	if j < sp.start || j >= sp.end {
		return append(v, make([]float32, d)...)
	}
	return append(v, base[j]...)
}

// spans lists the snippets' row ranges of a line set.
func (ls *lineSet) spans() []span {
	out := make([]span, len(ls.snippets))
	for i, s := range ls.snippets {
		out[i] = span{s.start, s.end}
	}
	return out
}

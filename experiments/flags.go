package experiments

import (
	"fmt"
	"math"
	"sort"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
)

// FlagsConfig says which lines `pttrust score` flags with the experiment's assessor. The rule is
// chosen on the validation split of [data], for precision: a developer should rarely be sent to
// a correct line.
type FlagsConfig struct {
	// MaxFlagRate caps the share of correct lines flagged on validation: the lines of clean
	// snippets (the unmutated programs of mutation data), or the non-buggy lines when the data
	// has no clean snippet. The threshold flags at most this share of them.
	MaxFlagRate float64 `toml:"max_flag_rate"`
	// TargetPrecision, when a threshold at or above the cap's reaches it on validation (over at
	// least MinFlags flagged lines), raises nothing but is recorded as met; when none does, the
	// cap alone decides and the bundle says the target was not met.
	TargetPrecision float64 `toml:"target_precision"`
	// MinFlags is the least number of flagged validation lines a precision is trusted on.
	MinFlags int `toml:"min_flags"`
}

// FlagRule is what an assessor bundle records about its flags: the calibration of the binding's
// score to a probability, the flagging threshold, and how the rule did on validation.
type FlagRule struct {
	// Platt maps the binding's score to the probability that the line is buggy, fitted on the
	// validation lines of the buggy snippets (where the base rate is that of a snippet known to
	// hold a bug: a line of code nobody suspects is less likely buggy than that).
	Platt eval.Platt `json:"platt"`
	// Threshold is the score from which a line is flagged.
	Threshold float64 `json:"threshold"`
	// MaxFlagRate and TargetPrecision are the configured rule.
	MaxFlagRate     float64 `json:"max_flag_rate"`
	TargetPrecision float64 `json:"target_precision"`
	// PrecisionMet says whether validation precision at Threshold reached TargetPrecision.
	PrecisionMet bool `json:"precision_met"`
	// Validation: the share of correct lines flagged, and the precision (0 when nothing is
	// flagged) and recall of the flags on the buggy snippets' lines.
	ValCleanRate float64 `json:"val_clean_rate"`
	ValPrecision float64 `json:"val_precision"`
	ValRecall    float64 `json:"val_recall"`
}

// validate checks the configuration; errors name the field.
func (f FlagsConfig) validate(add func(string, ...any)) {
	if !(f.MaxFlagRate > 0 && f.MaxFlagRate < 1) {
		add("flags.max_flag_rate: %g; want a share in (0, 1)", f.MaxFlagRate)
	}
	if !(f.TargetPrecision > 0 && f.TargetPrecision <= 1) {
		add("flags.target_precision: %g; want a share in (0, 1]", f.TargetPrecision)
	}
	if f.MinFlags < 1 {
		add("flags.min_flags: %d; want at least 1", f.MinFlags)
	}
}

// flagLines are the scores and labels of the lines a flag rule is chosen or checked on.
type flagLines struct {
	buggyScores []float64 // lines of buggy snippets
	buggyLabels []int
	cleanScores []float64 // correct lines (see FlagsConfig.MaxFlagRate)
}

// flagLinesOf collects a split's lines scored by s.
func flagLinesOf(ls *lineSet, split datasets.Split, s rowScores) flagLines {
	var f flagLines
	hasClean := false
	for i := range ls.snippets {
		if sn := &ls.snippets[i]; sn.split == string(split) && !sn.buggy {
			hasClean = true
			break
		}
	}
	for i := range ls.snippets {
		sn := &ls.snippets[i]
		if sn.split != string(split) {
			continue
		}
		for j := sn.start; j < sn.end; j++ {
			lab := int(ls.rows[j].Label)
			if sn.buggy {
				f.buggyScores = append(f.buggyScores, s[j])
				f.buggyLabels = append(f.buggyLabels, lab)
			}
			if (hasClean && !sn.buggy) || (!hasClean && lab == 0) {
				f.cleanScores = append(f.cleanScores, s[j])
			}
		}
	}
	return f
}

// chooseFlags fits the calibration and picks the threshold on validation lines.
func chooseFlags(cfg FlagsConfig, val flagLines) FlagRule {
	rule := FlagRule{Platt: eval.FitPlatt(val.buggyScores, val.buggyLabels), MaxFlagRate: cfg.MaxFlagRate, TargetPrecision: cfg.TargetPrecision}
	clean := append([]float64(nil), val.cleanScores...)
	sort.Sort(sort.Reverse(sort.Float64Slice(clean)))
	k := int(math.Floor(cfg.MaxFlagRate * float64(len(clean)))) // flag at most the top k
	switch {
	case len(clean) == 0:
		rule.Threshold = math.MaxFloat64 // nothing to cap the rate on: flag nothing (finite for JSON)
	case k >= len(clean):
		rule.Threshold = clean[len(clean)-1]
	default:
		rule.Threshold = math.Nextafter(clean[k], math.Inf(1)) // strictly above the (k+1)-th
	}
	rule.ValCleanRate, rule.ValPrecision, rule.ValRecall = flagStats(rule.Threshold, val)
	if math.IsNaN(rule.ValPrecision) { // nothing flagged (JSON has no NaN)
		rule.ValPrecision = 0
	}
	n := 0
	for _, s := range val.buggyScores {
		if s >= rule.Threshold {
			n++
		}
	}
	rule.PrecisionMet = n >= cfg.MinFlags && rule.ValPrecision >= cfg.TargetPrecision
	return rule
}

// flagStats is the share of correct lines flagged at threshold t, and the precision and recall
// of the flags on the buggy snippets' lines (NaN precision when nothing is flagged).
func flagStats(t float64, f flagLines) (cleanRate, precision, recall float64) {
	fl := 0
	for _, s := range f.cleanScores {
		if s >= t {
			fl++
		}
	}
	cleanRate = float64(fl) / math.Max(1, float64(len(f.cleanScores)))
	tp, flagged, pos := 0, 0, 0
	for i, s := range f.buggyScores {
		if f.buggyLabels[i] == 1 {
			pos++
		}
		if s >= t {
			flagged++
			if f.buggyLabels[i] == 1 {
				tp++
			}
		}
	}
	precision = math.NaN()
	if flagged > 0 {
		precision = float64(tp) / float64(flagged)
	}
	recall = float64(tp) / math.Max(1, float64(pos))
	return
}

// flagReport describes a rule and how it does on the test split, for results.md.
func flagReport(rule FlagRule, test flagLines) string {
	rate, prec, rec := flagStats(rule.Threshold, test)
	probs := make([]float64, len(test.buggyScores))
	for i, s := range test.buggyScores {
		probs[i] = rule.Platt.Prob(s)
	}
	cal := eval.CalibrationOf(probs, test.buggyLabels, 10)
	met := "not met on validation: the cap alone decides"
	if rule.PrecisionMet {
		met = "met on validation"
	}
	return fmt.Sprintf("flags of the shipped assessor: score ≥ %.4g, so that at most %.1f %% of correct validation lines are flagged (validation: %.2f %% flagged, precision %.3f, recall %.3f; target precision %.2f %s). "+
		"Test split: %.2f %% of correct lines flagged, precision %.3f, recall %.3f. Calibrated probability (Platt on validation) on the test lines of buggy snippets: Brier %.4f, ECE %.4f (10 bins)",
		rule.Threshold, 100*rule.MaxFlagRate, 100*rule.ValCleanRate, rule.ValPrecision, rule.ValRecall, rule.TargetPrecision, met,
		100*rate, prec, rec, cal.Brier, cal.ECE)
}

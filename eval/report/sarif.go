package report

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// SARIF identifiers.
const (
	RuleID      = "pttrust/risky-line"
	ruleName    = "RiskyLine"
	srcRootBase = "%SRCROOT%"
)

// WriteSARIF writes r as a SARIF 2.1.0 log with one run: the tool driver (name, version,
// informationUri, the single rule RuleID), one artifact per input file, one result per flagged line
// (level "warning", region startLine, a message with the line's score and rank, properties with
// the score, rank, threshold and top latents), and one error notification per file that could not
// be scored. Relative paths become URIs relative to %SRCROOT% (the working directory); absolute
// paths inside the working directory are made relative to it, others become file:// URIs.
func WriteSARIF(w io.Writer, r *Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("report: SARIF: %w", err)
	}
	tool := r.Tool
	if tool == "" {
		tool = "pttrust"
	}
	run := sarif.NewRunWithInformationURI(tool, InformationURI)
	if r.Version != "" {
		run.Tool.Driver.WithVersion(r.Version)
	}
	run.Tool.Driver.WithFullName("PtTrust per-line risk assessment (arXiv 2504.14640)")
	run.AddRule(RuleID).
		WithName(ruleName).
		WithShortDescription(sarif.NewMultiformatMessageString("Line the code LLM's internal states mark as risky")).
		WithFullDescription(sarif.NewMultiformatMessageString(
			"PtTrust scores each line of code from a code LLM's hidden state at the line's end, " +
				"encoded by a sparse autoencoder and mapped to a risk score by a learned assessor. " +
				"Lines whose score reaches the assessor's threshold are reported.")).
		WithHelp(sarif.NewMultiformatMessageString(
			"The line is more likely than the rest of the file to be wrong, insecure or unreliable. " +
				"Review it, and check the SAE latents and nearest training lines in the HTML report.").
			WithMarkdown("The line is more likely than the rest of the file to be wrong, insecure or unreliable. " +
				"Review it; `pttrust score --format html` shows its top SAE latents and the training lines that fire them.")).
		WithHelpURI(InformationURI).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("warning")).
		WithProperties(sarif.Properties{
			"tags":             []string{"reliability", "correctness", "llm"},
			"precision":        "medium",
			"problem.severity": "warning",
		})

	wd, _ := os.Getwd()
	usesRoot := false
	var notes []*sarif.Notification
	for i := range r.Files {
		f := &r.Files[i]
		uri, rel := artifactURI(f.Path, wd)
		usesRoot = usesRoot || rel
		loc := func() *sarif.ArtifactLocation {
			l := sarif.NewSimpleArtifactLocation(uri).WithIndex(i)
			if rel {
				l.WithUriBaseId(srcRootBase)
			}
			return l
		}
		art := run.AddArtifact().WithLocation(loc())
		if f.Language != "" {
			art.WithSourceLanguage(strings.ToLower(f.Language))
		}
		if f.Error != "" {
			notes = append(notes, sarif.NewNotification().
				WithLevel("error").
				WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s: not scored: %s", f.Path, f.Error))).
				WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(
					sarif.NewPhysicalLocation().WithArtifactLocation(loc()))}))
			continue
		}
		n := scoredCount(f)
		for j := range f.Lines {
			l := &f.Lines[j]
			if !l.Flagged {
				continue
			}
			msg, level := sarifMessage(l, r.Threshold, n)
			props := sarif.Properties{
				"score":       l.Score,
				"rank":        l.Rank,
				"threshold":   r.Threshold,
				"scoredLines": n,
			}
			if l.Probability > 0 {
				props["probability"] = l.Probability
			}
			if len(l.Latents) > 0 {
				idx := make([]string, len(l.Latents))
				lats := make([]map[string]any, len(l.Latents))
				for k, lat := range l.Latents {
					idx[k] = fmt.Sprint(lat.Index)
					lats[k] = map[string]any{"index": lat.Index, "activation": lat.Activation}
				}
				msg += " Top SAE latents: " + strings.Join(idx, ", ") + "."
				props["latents"] = lats
			}
			region := sarif.NewRegion().WithStartLine(l.Number)
			if l.Text != "" {
				region.WithSnippet(sarif.NewArtifactContent().WithText(l.Text))
			}
			res := run.CreateResultForRule(RuleID).
				WithRuleIndex(0).
				WithLevel(level).
				WithMessage(sarif.NewTextMessage(msg)).
				WithLocations([]*sarif.Location{sarif.NewLocationWithPhysicalLocation(
					sarif.NewPhysicalLocation().WithArtifactLocation(loc()).WithRegion(region))})
			res.PropertyBag.Properties = props
		}
	}
	inv := run.AddInvocation(len(notes) == 0)
	if len(notes) > 0 {
		inv.WithToolExecutionNotifications(notes)
	}
	if usesRoot && wd != "" {
		run.WithOriginalUriBaseIds(map[string]*sarif.ArtifactLocation{
			srcRootBase: sarif.NewSimpleArtifactLocation(fileURI(wd, true)),
		})
	}
	log.AddRun(run)
	if err := log.PrettyWrite(w); err != nil {
		return fmt.Errorf("report: writing SARIF: %w", err)
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// artifactURI turns a file path into a SARIF artifact URI; rel says it is relative to %SRCROOT%.
func artifactURI(path, wd string) (uri string, rel bool) {
	p := filepath.Clean(path)
	if filepath.IsAbs(p) && wd != "" {
		if r, err := filepath.Rel(wd, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			p = r
		}
	}
	if filepath.IsAbs(p) {
		return fileURI(p, false), false
	}
	u := url.URL{Path: filepath.ToSlash(p)}
	return u.String(), true
}

// fileURI is the file:// URI of an absolute path; dir adds the trailing slash a base URI needs.
func fileURI(abs string, dir bool) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive paths: file:///C:/...
	}
	if dir && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u := url.URL{Scheme: "file", Path: p}
	return u.String()
}

// WarningProbability is the calibrated probability from which a flagged line is a SARIF
// "warning"; below it (or without a calibration) it is a "note".
const WarningProbability = 0.5

// sarifMessage says what a flagged line's number is and is not, and its SARIF level.
func sarifMessage(l *Line, threshold float64, scored int) (msg, level string) {
	where := fmt.Sprintf("rank %d of %d scored lines in this file", l.Rank, scored)
	if l.Probability <= 0 {
		return fmt.Sprintf("Possibly faulty line: risk score %s (flagged from %s), %s. The score ranks lines by the code LM's hidden states; it is not a probability, and a flag is a hint to look, not a found bug.",
			fmtScore(l.Score), fmtScore(threshold), where), "note"
	}
	level = "note"
	if l.Probability >= WarningProbability {
		level = "warning"
	}
	return fmt.Sprintf("Possibly faulty line: estimated %.0f %% chance that this line is where a bug is, %s (risk score %s). The estimate is calibrated on the validation bugs of the assessor's experiment, inside code known to hold a bug; in code nobody suspects it overstates the risk. A hint to look, not a found bug.",
		100*l.Probability, where, fmtScore(l.Score)), level
}

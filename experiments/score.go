package experiments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval/report"
	"github.com/pttrust/pttrust/experiments/defaultassessor"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/internal/smollm2"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tinycoder"
	"github.com/pttrust/pttrust/models/tokenizer"
	"github.com/pttrust/pttrust/states"
	"github.com/pttrust/pttrust/states/extract"
)

// ScoreOptions configures Score.
type ScoreOptions struct {
	// ModelDir is the LM ("" = the embedded tinycoder model). It must be the model the
	// assessor was trained on.
	ModelDir string
	// AssessorDir is an assessor bundle ("" = the shipped default assessor, trained by the
	// default experiment).
	AssessorDir string
	// Backend is the GoMLX backend spec ("" = $GOMLX_BACKEND or pure Go).
	Backend string
	// TopLatents is the number of latents listed per flagged line.
	TopLatents int
	// Progress, when set, receives a progress line with an ETA while several files are scored
	// (redrawn on a terminal, every 10 s elsewhere).
	Progress io.Writer
	// ExplainTop also lists latents for this many of each file's riskiest lines, flagged or
	// not (0 = flagged lines only): the flag rule may flag nothing in a short file.
	ExplainTop int
	// MaxFileBytes skips larger files.
	MaxFileBytes int
}

// DefaultScoreOptions: the shipped model and assessor, 3 latents per flagged line, files up to
// 1 MB.
func DefaultScoreOptions() ScoreOptions {
	return ScoreOptions{TopLatents: 3, MaxFileBytes: 1 << 20}
}

// ErrUnreadable marks a report holding a file that could not be read at all (missing, a
// directory, no permission): the caller's exit code should say so. Files skipped for their
// content (binary, not UTF-8, unknown language, too large, empty) are reported, not errors.
var ErrUnreadable = errors.New("some files could not be read")

// Scorer scores source files with a loaded LM and assessor.
type Scorer struct {
	opts     ScoreOptions
	assessor *Assessor
	model    *models.Model
	tok      *tokenizer.Tokenizer
	modelDir string
}

// NewScorer loads the LM and the assessor.
func NewScorer(opts ScoreOptions) (*Scorer, error) {
	if opts.TopLatents < 0 || opts.MaxFileBytes <= 0 || opts.ExplainTop < 0 {
		return nil, fmt.Errorf("score: TopLatents and ExplainTop must be >= 0 and MaxFileBytes > 0")
	}
	adir := opts.AssessorDir
	if adir == "" {
		var err error
		if adir, err = DefaultAssessorDir(); err != nil {
			return nil, err
		}
	}
	a, err := LoadAssessor(adir)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	mdir, err := smollm2.Resolve(opts.ModelDir) // "smollm2": the cached GGUF
	if err != nil {
		return nil, err
	}
	if mdir == "" {
		if mdir, err = tinycoder.Dir(); err != nil {
			return nil, err
		}
	}
	id, err := modelIdentity(mdir)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	if id != a.Info.ModelID {
		return nil, fmt.Errorf("score: the assessor %s was trained on model %s (id %s), not on %s (id %s); pass --model with that model or an assessor trained on this one",
			adir, a.Info.Model, a.Info.ModelID, mdir, id)
	}
	backend, err := models.NewBackend(opts.Backend)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	m, tok, err := models.LoadWithTokenizer(mdir, backend)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	s := &Scorer{opts: opts, assessor: a, model: m, tok: tok, modelDir: mdir}
	// The assessor must be readable from this model before any file is tried: a bad hook (say,
	// a layer the model does not have) would otherwise fail every file and score nothing.
	if _, _, err := extract.Lines(context.Background(), m, tok, s.extractConfig(), nil); err != nil {
		return nil, fmt.Errorf("score: the assessor %s reads hook %q of %s, which this model cannot give: %w", adir, a.Info.Hook, mdir, err)
	}
	if parts := len(models.HookParts(a.Info.Hook)); a.SAE.Config.DIn != parts*m.Config.DModel {
		return nil, fmt.Errorf("score: the assessor %s's SAE reads %d-dim states, but %s's hook %q gives %d", adir, a.SAE.Config.DIn, mdir, a.Info.Hook, parts*m.Config.DModel)
	}
	return s, nil
}

// scoreHeapBase is the heap score needs besides the model's weights: one file's pass (activations
// of up to BatchTokens tokens, its compiled graphs) and the report so far.
const scoreHeapBase = 768 << 20

// MemoryBudget is a soft memory limit under which scoring runs at full speed: the float32
// weights twice (the store's tensors and their backend buffers) plus scoreHeapBase. With it, 300
// files through tinycoder peak at 0.93 GB RSS (2.0 GB without: GOGC=400 lets the heap grow 5x
// past what is live between collections).
func (s *Scorer) MemoryBudget() int64 {
	return scoreHeapBase + 2*4*s.model.Config.NumParams()
}

// extractConfig is how a file's line states are extracted for the assessor.
func (s *Scorer) extractConfig() extract.Config {
	ec := extract.DefaultConfig()
	ec.Hooks = models.HookParts(s.assessor.Info.Hook)
	ec.NoLookback = true
	return ec
}

// Score scores the files and returns the report; err wraps ErrUnreadable when some file could
// not be read (the report still holds every other file).
func (s *Scorer) Score(ctx context.Context, paths []string) (*report.Report, error) {
	a := s.assessor
	rep := &report.Report{Tool: "pttrust", Version: buildinfo.Get().Version, Model: a.Info.Model,
		Assessor: s.assessorName(), Threshold: a.flagThreshold()}
	var unreadable []string
	prog := newScoreProgress(s.opts.Progress, paths)
	for i, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, readErr := s.scoreFile(ctx, p)
		if readErr != nil {
			unreadable = append(unreadable, p)
		}
		rep.Files = append(rep.Files, f)
		prog.done(i, f.Summary().Scored)
	}
	if len(unreadable) > 0 {
		return rep, fmt.Errorf("%w: %v", ErrUnreadable, unreadable)
	}
	return rep, nil
}

func (s *Scorer) assessorName() string {
	if s.opts.AssessorDir == "" {
		return "default (" + s.assessor.Info.Experiment + ")"
	}
	return s.opts.AssessorDir
}

// scoreFile scores one file; the error is non-nil only when the file could not be read.
func (s *Scorer) scoreFile(ctx context.Context, path string) (report.File, error) {
	f := report.File{Path: path}
	info, err := os.Stat(path)
	switch {
	case err != nil:
		f.Error = err.Error()
		return f, err
	case info.IsDir():
		f.Error = "is a directory"
		return f, errors.New(f.Error)
	case info.Size() > int64(s.opts.MaxFileBytes):
		f.Error = fmt.Sprintf("too large: %d bytes (limit %d)", info.Size(), s.opts.MaxFileBytes)
		return f, nil
	}
	lang, ok := datasets.LanguageOfName(filepath.Base(path))
	if !ok {
		f.Error = fmt.Sprintf("unsupported file type %q (supported: %s)", filepath.Ext(path), supportedExtensions())
		return f, nil
	}
	f.Language = string(lang)
	data, err := os.ReadFile(path)
	if err != nil {
		f.Error = err.Error()
		return f, err
	}
	if err := datasets.CheckText(data); err != nil {
		f.Error = err.Error()
		return f, nil
	}
	code := string(data)
	lines := states.SplitLines(code)
	n := len(lines)
	snip := datasets.Snippet{ID: path, PairID: path, Language: lang, Source: "score", Task: "score",
		Role: datasets.RoleClean, Split: datasets.Test, Code: code, Labels: make([]int32, n), OriginalLine: make([]int32, n), Provenance: "{}"}
	for i := range snip.OriginalLine {
		snip.OriginalLine[i] = int32(i)
	}
	rows, problems, err := extract.Lines(ctx, s.model, s.tok, s.extractConfig(), []datasets.Snippet{snip})
	if err != nil {
		f.Error = err.Error()
		return f, nil
	}
	if len(problems) > 0 && len(rows) == 0 {
		f.Error = problems[0].String()
		return f, nil
	}
	// Risk per scored line.
	statesIn := make([][]float32, len(rows))
	for i, r := range rows {
		statesIn[i] = models.ConcatStates(r.States)
	}
	z := s.assessor.SAE.EncodeBatch(statesIn)
	scores := s.assessor.Binding.Score(composeFeatures(s.assessor.Info.Features, z, rows, []span{{0, len(rows)}}))
	f.Lines = make([]report.Line, n)
	for i, l := range lines {
		f.Lines[i] = report.Line{Number: i + 1, Text: code[l.Start:l.End]}
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	for rank, i := range order {
		ln := &f.Lines[rows[i].Line]
		ln.Scored, ln.Score, ln.Rank = true, scores[i], rank+1
		ln.Flagged = scores[i] >= s.assessor.flagThreshold()
		if fr := s.assessor.Info.Flags; fr != nil {
			ln.Probability = fr.Platt.Prob(scores[i])
		}
		if ln.Flagged || rank < s.opts.ExplainTop {
			ln.Latents = s.topLatents(z[i], string(f.Language))
		}
	}
	return f, nil
}

// topLatents lists the most active latents of a line with their nearest training examples:
// those in the file's language first, at most examplesPerLatent.
func (s *Scorer) topLatents(z []float32, lang string) []report.Latent {
	idx := make([]int, 0, len(z))
	for j, v := range z {
		if v > 0 {
			idx = append(idx, j)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(z[b], z[a]) })
	if len(idx) > s.opts.TopLatents {
		idx = idx[:s.opts.TopLatents]
	}
	out := make([]report.Latent, len(idx))
	for k, j := range idx {
		out[k] = report.Latent{Index: j, Activation: z[j]}
		if j < len(s.assessor.Examples) {
			out[k].Examples = examplesFor(s.assessor.Examples[j], lang)
		}
	}
	return out
}

// examplesFor orders a latent's examples for a file in lang: the same language first (by
// activation, as stored), then the others, at most examplesPerLatent.
func examplesFor(ex []report.Example, lang string) []report.Example {
	out := make([]report.Example, 0, min(len(ex), examplesPerLatent))
	for _, same := range []bool{true, false} {
		for _, e := range ex {
			if len(out) < examplesPerLatent && (e.Language == lang) == same {
				out = append(out, e)
			}
		}
	}
	return out
}

// supportedExtensions lists the file extensions score accepts.
func supportedExtensions() string {
	var out []string
	for _, l := range datasets.AllLanguages {
		out = append(out, datasets.Extensions(l)...)
	}
	return fmt.Sprint(out)
}

// DefaultAssessorDir returns the shipped default assessor, extracted to the user cache.
func DefaultAssessorDir() (string, error) { return defaultassessor.Dir() }

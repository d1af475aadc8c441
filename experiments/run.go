package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tinycoder"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

// Result is what a run produced.
type Result struct {
	// OutDir holds results.md, the CSV tables, the plots and the assessor.
	OutDir string
	// Main holds the main tables (PtTrust and every baseline), one per test set.
	Main []*eval.Table
	// CrossLanguage and CrossTask are the generalization matrices (nil when not computed).
	CrossLanguage, CrossTask *eval.Matrix
	// Markdown is results.md.
	Markdown string
	// Stages lists each stage with its time and whether it came from the cache.
	Stages []StageTime
	// Notes are facts about the run worth reading beside the tables.
	Notes []string
	// Snippets is the labeled snippets file (in the work directory).
	Snippets string
}

// StageTime is one stage of a run.
type StageTime struct {
	Name string
	// Cached says the stage's output was found in the work directory.
	Cached bool
	// Time is what the stage took in this run; Computed what it took when it was computed
	// (Time for a stage that was not cached; 0 when unknown).
	Time, Computed time.Duration
}

// runner carries a run's state between stages.
type runner struct {
	cfg      Config
	progress io.Writer
	modelDir string
	hook     string
	ls       *lineSet
	feat     features

	statesKey, saeKey string
	snippetsPath      string // the labeled snippets file
	saeDir            string
	sae               *pretrain.SAE
	res               *Result
	mainFiles         []string // file name (without extension) of each main table
}

// Run runs every stage of the experiment that is not already in cfg.WorkDir and writes the
// results to cfg.OutDir. progress receives stage lines and the stages' progress bars (nil:
// quiet). Cancelling ctx stops the run; the finished stages stay cached and the extraction and
// SAE training resume where they stopped.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	if progress == nil {
		progress = io.Discard
	}
	r := &runner{cfg: cfg, progress: progress, res: &Result{OutDir: cfg.OutDir}}
	if err := r.run(ctx); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", cfg.Name, err)
	}
	return r.res, nil
}

func (r *runner) run(ctx context.Context) error {
	if err := os.MkdirAll(r.cfg.WorkDir, 0o755); err != nil {
		return err
	}
	r.modelDir = r.cfg.Model.Dir
	if r.modelDir == "" {
		dir, err := tinycoder.Dir()
		if err != nil {
			return err
		}
		r.modelDir = dir
	}
	mc, err := models.LoadConfig(r.modelDir)
	if err != nil {
		return err
	}
	r.hook = r.cfg.States.Hook
	if r.hook == "" {
		r.hook = extract.DefaultHook(mc.NumLayers)
	}
	modelID, err := modelIdentity(r.modelDir)
	if err != nil {
		return err
	}

	// Stage 0: labeled data (and stage 1's data when the labeled data is a benchmark).
	snippets, dataKey, err := r.data(ctx, "data", r.cfg.Data)
	if err != nil {
		return err
	}
	r.snippetsPath = snippets
	r.res.Snippets = snippets
	statesDir, statesKey, err := r.states(ctx, "states", snippets, dataKey, modelID)
	if err != nil {
		return err
	}
	r.statesKey = statesKey
	preStates, preKey := statesDir, statesKey
	if r.cfg.Data.Format != "mutation" {
		pre, preDataKey, err := r.data(ctx, "pretrain-data", r.cfg.PretrainData)
		if err != nil {
			return err
		}
		if preStates, preKey, err = r.states(ctx, "pretrain-states", pre, preDataKey, modelID); err != nil {
			return err
		}
	}
	// Stage 1: the SAE.
	if err := r.pretrain(ctx, preStates, preKey); err != nil {
		return err
	}
	// Stage 2 and the evaluation.
	start := time.Now()
	if r.ls, err = loadLines(statesDir, r.hook); err != nil {
		return err
	}
	r.feat.raw = make([][]float32, len(r.ls.rows))
	for i := range r.ls.rows {
		r.feat.raw[i] = r.ls.rows[i].States[0]
	}
	r.feat.sae = r.sae.EncodeBatch(r.feat.raw)
	r.stage("load lines + encode", "", start)
	return r.evaluateAll(ctx)
}

// stage records a finished stage; cachedDir names the stage folder it was found in ("" when
// it ran).
func (r *runner) stage(name, cachedDir string, start time.Time) {
	d := time.Since(start)
	st := StageTime{Name: name, Cached: cachedDir != "", Time: d, Computed: d}
	if st.Cached {
		st.Computed = doneTime(cachedDir)
	}
	r.res.Stages = append(r.res.Stages, st)
	how := d.Round(time.Millisecond).String()
	if st.Cached {
		how = "cached"
	}
	fmt.Fprintf(r.progress, "== %s: %s\n", name, how)
}

// note records a fact for results.md.
func (r *runner) note(format string, a ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, a...))
}

// stageDir is WorkDir/<name>-<key>.
func (r *runner) stageDir(name, key string) string {
	return filepath.Join(r.cfg.WorkDir, name+"-"+key)
}

// data makes (or finds) the snippets file of d and returns its path and key.
func (r *runner) data(ctx context.Context, name string, d DataConfig) (string, string, error) {
	start := time.Now()
	var roots []datasets.Root
	var rootNames []string
	if d.Format == "mutation" {
		roots, rootNames = sourceRoots()
		r.note("%s: source trees %s", name, strings.Join(rootNames, "; "))
	}
	key := hashOf(d, r.cfg.Seed, datasets.SnippetSchemaVersion, rootNames)
	dir := r.stageDir(name, key)
	path := filepath.Join(dir, "snippets.parquet")
	if isDone(dir) {
		r.stage(name, dir, start)
		return path, key, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	fmt.Fprintf(r.progress, "== %s: building %s snippets\n", name, d.Format)
	rep, err := buildData(ctx, d, roots, r.cfg.Seed, path, r.progress)
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(r.progress, "%s\n", strings.TrimSpace(rep.String()))
	if err := markDone(dir, start, map[string]any{"snippets": rep.Total(), "skipped": rep.ProblemCounts}); err != nil {
		return "", "", err
	}
	r.stage(name, "", start)
	return path, key, nil
}

// states extracts (or finds, or resumes) the line states of a snippets file.
func (r *runner) states(ctx context.Context, name, snippets, dataKey, modelID string) (string, string, error) {
	start := time.Now()
	sc := r.cfg.States
	key := hashOf(dataKey, modelID, r.hook, sc.Window, sc.BatchTokens, extract.SchemaVersion)
	dir := r.stageDir(name, key)
	if isDone(dir) {
		r.stage(name, dir, start)
		return dir, key, nil
	}
	cfg := extract.DefaultConfig()
	cfg.ModelDir, cfg.DataPath, cfg.OutDir = r.modelDir, snippets, dir
	cfg.Hooks = []string{r.hook}
	cfg.Window, cfg.BatchTokens = sc.Window, sc.BatchTokens
	cfg.Backend = r.cfg.Model.Backend
	res, err := extract.Extract(ctx, cfg, r.progress)
	if err != nil {
		return "", "", err
	}
	if err := markDone(dir, start, map[string]any{"rows": res.Manifest.Rows, "tokens": res.Manifest.Tokens, "problems": res.Manifest.Problems}); err != nil {
		return "", "", err
	}
	r.stage(name, "", start)
	return dir, key, nil
}

// pretrain trains (or finds, or resumes) the SAE on the train split of a states directory.
func (r *runner) pretrain(ctx context.Context, statesDir, statesKey string) error {
	start := time.Now()
	pc := r.cfg.Pretrain
	pc.Seed = r.cfg.Seed
	pc.Hook = r.hook
	pc.Split = string(datasets.Train)
	pc.Backend = r.cfg.Model.Backend
	pc.StatesDir, pc.OutDir, pc.WorkDir = "", "", ""
	r.saeKey = hashOf(statesKey, pc)
	dir := r.stageDir("sae", r.saeKey)
	r.saeDir = dir
	cached := isDone(dir)
	if !cached {
		pc.StatesDir = statesDir
		pc.OutDir = dir
		pc.WorkDir = filepath.Join(dir, "work")
		if _, err := pretrain.Train(ctx, pc, r.progress); err != nil {
			return err
		}
		if err := markDone(dir, start, nil); err != nil {
			return err
		}
	}
	sae, err := pretrain.Load(dir)
	if err != nil {
		return err
	}
	r.sae = sae
	cachedDir := ""
	if cached {
		cachedDir = dir
	}
	r.stage("sae", cachedDir, start)
	return nil
}

// snippetIDs lists the ids of a selection (part of the binding's cache key).
func (ls *lineSet) snippetIDs(sel selection) string {
	h := sha256.New()
	for _, i := range sel {
		io.WriteString(h, ls.snippets[i].id)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// modelIdentity hashes what identifies a checkpoint directory: config.json, tokenizer.json and
// the names and sizes of the weight files.
func modelIdentity(dir string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"config.json", "tokenizer.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("model %s: %w", dir, err)
		}
		h.Write(data)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return "", err
	}
	slices.Sort(files)
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s:%d;", filepath.Base(f), info.Size())
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

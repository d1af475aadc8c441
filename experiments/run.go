package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/atomicfile"
	"github.com/pttrust/pttrust/internal/filelock"
	status "github.com/pttrust/pttrust/internal/progress"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/pretrain"
	"github.com/pttrust/pttrust/states/extract"
)

// Result is what a run produced.
type Result struct {
	// OutDir holds results.md, the CSV tables, the plots and the assessor.
	OutDir string
	// Main holds the main tables (PtTrust and every baseline), one per test set.
	Main []*eval.Table
	// Transfer holds one table per [[transfer]] set: the methods trained on [data], tested on
	// that set.
	Transfer []*eval.Table
	// Cross holds the cross matrices in Eval.Cross order (a field without values has none).
	Cross []CrossMatrix
	// CrossLanguage and CrossTask are the language and task matrices of Cross (nil when not
	// computed).
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

// CrossMatrix is a generalization matrix over one snippet field.
type CrossMatrix struct {
	// Field is "language", "task" or "category".
	Field  string
	Matrix *eval.Matrix
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

// labeledSet is a labeled data set the run reads: [data] or a [[transfer]] set, with its line
// states and the features of the learned methods.
type labeledSet struct {
	name      string // "data" or the transfer's name
	snippets  string // the snippets file
	statesDir string
	statesKey string
	ls        *lineSet
	feat      features
}

// runner carries a run's state between stages.
type runner struct {
	cfg      Config
	progress io.Writer
	status   *status.Line // the status line of the evaluation (bindings, cross matrices)
	modelDir string
	modelID  string
	hook     string
	// hooks are every hook extracted (hook and the extra hooks), shallowest first.
	hooks []string
	// flags is the shipped assessor's flag rule (chosen on validation).
	flags FlagRule

	main     *labeledSet
	transfer []*labeledSet

	saeKey string
	saeDir string
	sae    *pretrain.SAE
	pca    *finetune.PCA

	res       *Result
	mainFiles []string // file name (without extension) of each main table
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
	lock, err := lockOut(cfg)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", cfg.Name, err)
	}
	defer lock.Unlock()
	r := &runner{cfg: cfg, progress: progress, status: status.New(progress), res: &Result{OutDir: cfg.OutDir}}
	if err := r.run(ctx); err != nil {
		return nil, fmt.Errorf("experiment %s: %w", cfg.Name, err)
	}
	return r.res, nil
}

// lockOut takes the lock of the results folder for the whole run (a hidden ".<name>.lock" beside
// it, dropped by the kernel if the run is killed): a second run into the same folder is refused
// at once, with the holder's pid and experiment, instead of mixing its files in. It then removes
// the temporary folders that killed runs left beside it.
func lockOut(cfg Config) (*filelock.Lock, error) {
	out := filepath.Clean(cfg.OutDir)
	base := filepath.Base(out)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return nil, fmt.Errorf("results folder %q: name a folder of its own (it is replaced as a whole)", cfg.OutDir)
	}
	lock, err := filelock.TryAcquire(filepath.Join(filepath.Dir(out), "."+base+".lock"), "experiment "+cfg.Name)
	if errors.Is(err, filelock.ErrBusy) {
		return nil, fmt.Errorf("results folder %s is %w; wait for it to finish or choose another --out", cfg.OutDir, err)
	}
	if err != nil {
		return nil, err
	}
	if err := atomicfile.RemoveStale(out); err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("results folder %s: removing what a killed run left: %w", cfg.OutDir, err)
	}
	return lock, nil
}

func (r *runner) run(ctx context.Context) error {
	if err := r.checkInputs(); err != nil {
		return err
	}
	if err := os.MkdirAll(r.cfg.WorkDir, 0o755); err != nil {
		return err
	}
	var err error
	var mc *models.Config
	if r.modelDir, mc, err = modelOf(r.cfg); err != nil {
		return err
	}
	r.hook = r.cfg.States.Hook
	if r.hook == "" {
		r.hook = extract.DefaultHook(mc.NumLayers)
	}
	// Every hook extracted, by layer: the set (not which one this experiment reads) keys the
	// states folder, and the first (shallowest) gives the lookback ratio's attention layer, so
	// experiments of a layer sweep share one extraction.
	r.hooks = nil
	for _, h := range append(models.HookParts(r.hook), r.cfg.States.ExtraHooks...) {
		if !slices.Contains(r.hooks, h) {
			r.hooks = append(r.hooks, h)
		}
	}
	layerOf := func(h string) int {
		p, err := models.ParseHook(h, mc.NumLayers)
		if err != nil {
			return -1
		}
		return p.Layer
	}
	slices.SortFunc(r.hooks, func(a, b string) int {
		if la, lb := layerOf(a), layerOf(b); la != lb {
			return la - lb
		}
		return strings.Compare(a, b)
	})
	if r.modelID, err = modelIdentity(r.modelDir); err != nil {
		return err
	}

	// Stage 0: labeled data and its states (and stage 1's when the labeled data is a benchmark).
	if r.main, err = r.labeled(ctx, "data", "", r.cfg.Data, true); err != nil {
		return err
	}
	r.res.Snippets = r.main.snippets
	preStates, preKey := r.main.statesDir, r.main.statesKey
	var pre *labeledSet // [pretrain_data], when it is not [data]
	if r.cfg.Data.Format != "mutation" {
		// Bindings that also train on it need its token statistics.
		pre, err = r.labeled(ctx, "pretrain-data", "pretrain-", r.cfg.PretrainData, r.cfg.Eval.TrainWithPretrainData)
		if err != nil {
			return err
		}
		preStates, preKey = pre.statesDir, pre.statesKey
	}
	// Stage 1: the SAE.
	if err := r.pretrain(ctx, preStates, preKey); err != nil {
		return err
	}
	// The sets the methods are tested on besides [data].
	for _, t := range r.cfg.Transfer {
		set, err := r.labeled(ctx, t.Name, "transfer-"+t.Name+"-", t.Data, true)
		if err != nil {
			return err
		}
		r.transfer = append(r.transfer, set)
	}
	// Stage 2 and the evaluation.
	start := time.Now()
	for _, set := range append([]*labeledSet{r.main}, r.transfer...) {
		if err := r.load(set); err != nil {
			return err
		}
	}
	if f := r.cfg.Eval.TrainFraction; f > 0 && f < 1 {
		before := len(r.main.ls.pick(datasets.Train, nil))
		r.main = withTrainShare(r.main, f, r.cfg.Seed)
		kept := r.main.ls.pick(datasets.Train, nil)
		r.note("train_fraction %g: bindings train on %d of the %d buggy train snippets (%d lines), whole groups", f, len(kept), before, r.main.ls.lines(kept))
	}
	if r.cfg.Eval.TrainWithPretrainData {
		if err := r.load(pre); err != nil {
			return err
		}
		r.main = withTrainOf(r.main, pre)
		added := pre.ls.pick(datasets.Train, nil)
		r.note("bindings also train on [pretrain_data]'s train split: %d buggy snippets (%d lines)", len(added), pre.ls.lines(added))
	}
	r.stage("load lines + encode", "", start)
	return r.evaluateAll(ctx)
}

// checkInputs fails early, naming the field, when an importer's input is missing.
func (r *runner) checkInputs() error {
	check := func(field string, d DataConfig) error {
		if d.Format == "mutation" {
			return nil
		}
		if _, err := os.Stat(d.Path); err != nil {
			return fmt.Errorf("%s.path: %s does not exist: the %s benchmark is read from local files (see the README's public-benchmark section)", field, d.Path, d.Format)
		}
		return nil
	}
	if err := check("data", r.cfg.Data); err != nil {
		return err
	}
	for i, t := range r.cfg.Transfer {
		if err := check(fmt.Sprintf("transfer[%d] (%s).data", i, t.Name), t.Data); err != nil {
			return err
		}
	}
	return nil
}

// labeled makes (or finds) the snippets of d and their line states; stats says whether the
// token statistics are needed (not for stage 1's own data: the pass then stops at the deepest
// hook). prefix starts the stage names shown ("pretrain-", "transfer-x-").
func (r *runner) labeled(ctx context.Context, name, prefix string, d DataConfig, stats bool) (*labeledSet, error) {
	snippets, dataKey, err := r.data(ctx, prefix+"data", d)
	if err != nil {
		return nil, err
	}
	dir, key, err := r.states(ctx, prefix+"states", snippets, dataKey, stats)
	if err != nil {
		return nil, err
	}
	return &labeledSet{name: name, snippets: snippets, statesDir: dir, statesKey: key}, nil
}

// load reads a set's lines and computes its raw and SAE features.
func (r *runner) load(set *labeledSet) error {
	ls, err := loadLines(set.statesDir, r.hook, set.snippets)
	if err != nil {
		return err
	}
	set.ls = ls
	set.feat.raw = make([][]float32, len(ls.rows))
	for i := range ls.rows {
		set.feat.raw[i] = ls.rows[i].States[0]
	}
	set.feat.sae = r.sae.EncodeBatch(set.feat.raw)
	set.feat.pt = composeFeatures(r.cfg.Features, set.feat.sae, ls.rows, ls.spans())
	set.feat.rawPlus = composeFeatures(r.cfg.Features, set.feat.raw, ls.rows, ls.spans())
	return nil
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
	r.status.Done()
	fmt.Fprintf(r.progress, "== %s: %s\n", name, how)
}

// note records a fact for results.md.
func (r *runner) note(format string, a ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, a...))
}

// data makes (or finds) the snippets file of d and returns its path and key.
func (r *runner) data(ctx context.Context, name string, d DataConfig) (string, string, error) {
	start := time.Now()
	var roots []datasets.Root
	var rootNames []string
	switch {
	case d.Format == "mutation" && d.Pinned != "":
		r.note("%s: pinned snippets %s (sha256 %s)", name, d.Pinned, strings.ToLower(d.PinnedSHA256))
	case d.Format == "mutation":
		roots, rootNames = sourceRoots()
		r.note("%s: source trees %s", name, strings.Join(rootNames, "; "))
	}
	key, err := dataKey(d, r.cfg.Seed, rootNames)
	if err != nil {
		return "", "", err
	}
	dir := r.stageDir("data", key)
	path := filepath.Join(dir, "snippets.parquet")
	lock, err := r.lockStage(dir)
	if err != nil {
		return "", "", err
	}
	defer lock.Unlock()
	if isDone(dir) {
		r.stage(name, dir, start)
		return path, key, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if d.Format == "mutation" && d.Pinned != "" {
		n, err := writePinned(d, path)
		if err != nil {
			return "", "", err
		}
		if err := markDone(dir, start, map[string]any{"made_by": r.cfg.Name, "snippets": n, "pinned": d.Pinned}); err != nil {
			return "", "", err
		}
		r.stage(name, "", start)
		return path, key, nil
	}
	r.warnOtherTrees(name, rootNames)
	fmt.Fprintf(r.progress, "== %s: building %s snippets\n", name, d.Format)
	rep, err := buildData(ctx, d, roots, r.cfg.Seed, path, r.progress)
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(r.progress, "%s\n", strings.TrimSpace(rep.String()))
	info := map[string]any{"made_by": r.cfg.Name, "snippets": rep.Total(), "skipped": rep.ProblemCounts}
	if rootNames != nil {
		info["source_trees"] = rootNames
	}
	if err := markDone(dir, start, info); err != nil {
		return "", "", err
	}
	r.stage(name, "", start)
	return path, key, nil
}

// states extracts (or finds, or resumes) the line states of a snippets file, for every hook of
// the experiment; without stats, the token statistics are skipped unless a finished extraction
// with them exists.
func (r *runner) states(ctx context.Context, name, snippets, dataKey string, stats bool) (string, string, error) {
	start := time.Now()
	sc := r.cfg.States
	key := hashOf(dataKey, r.modelID, r.hooks, sc.Window, sc.BatchTokens, extract.SchemaVersion)
	if sc.ShardSnippets > 0 { // the rows are the same; the folder's layout is not
		key = hashOf(key, "shards", sc.ShardSnippets)
	}
	if !stats {
		if full := r.stageDir("states", key); isDone(full) {
			r.stage(name, full, start)
			return full, key, nil
		}
		key = hashOf(key, "no_token_stats")
	}
	dir := r.stageDir("states", key)
	lock, err := r.lockStage(dir)
	if err != nil {
		return "", "", err
	}
	defer lock.Unlock()
	if isDone(dir) {
		r.stage(name, dir, start)
		return dir, key, nil
	}
	cfg := extract.DefaultConfig()
	cfg.ModelDir, cfg.DataPath, cfg.OutDir = r.modelDir, snippets, dir
	cfg.Hooks = r.hooks
	cfg.ShardSnippets = sc.ShardSnippets
	cfg.NoTokenStats = !stats
	cfg.Window, cfg.BatchTokens, cfg.Workers = sc.Window, sc.BatchTokens, sc.Workers
	cfg.Backend = r.cfg.Model.Backend
	res, err := extract.Extract(ctx, cfg, r.progress)
	if err != nil {
		return "", "", err
	}
	if err := markDone(dir, start, map[string]any{"made_by": r.cfg.Name, "rows": res.Manifest.Rows, "tokens": res.Manifest.Tokens, "problems": res.Manifest.Problems}); err != nil {
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
	lock, err := r.lockStage(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	cached := isDone(dir)
	if !cached {
		pc.StatesDir = statesDir
		pc.OutDir = dir
		pc.WorkDir = filepath.Join(dir, "work")
		if _, err := pretrain.Train(ctx, pc, r.progress); err != nil {
			return err
		}
		if err := markDone(dir, start, map[string]any{"made_by": r.cfg.Name}); err != nil {
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

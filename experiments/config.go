package experiments

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/eval"
	"github.com/pttrust/pttrust/finetune"
	"github.com/pttrust/pttrust/internal/tomlconf"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/pretrain"
)

// Config is one experiment: where the labeled data comes from, which model reads it, the two
// stages' settings and what the evaluation reports. It is read from a TOML file
// (experiments/<name>.toml) over Default(); unknown keys are errors.
type Config struct {
	// Base is another experiment file (a path relative to this one) whose settings this file
	// starts from; its keys then override them (a layer sweep is a few short files).
	Base string `toml:"base"`
	// Name names the experiment; results go to results/<name> unless OutDir says otherwise.
	Name string `toml:"name"`
	// Seed seeds every random choice of the run (data sampling, mutations, both stages,
	// bootstrap); the stages' own seed fields are overridden by it.
	Seed uint64 `toml:"seed"`
	// OutDir receives the result tables, CSV and plots ("" = results/<name>).
	OutDir string `toml:"out_dir"`
	// WorkDir holds the cached stage artifacts, each in a folder named by the hash of its inputs
	// and settings (data-<key>, states-<key>, sae-<key>, binding-<key>), so a rerun skips finished
	// stages and experiments on the same model, hook and data share them: every experiment uses
	// one work folder by default ("" = work/stages). Runs sharing it at once are safe: a stage is
	// computed by one run while the others wait for it (a lock per stage folder).
	WorkDir string `toml:"work_dir"`
	// Model is the code LM whose states are read.
	Model ModelConfig `toml:"model"`
	// Data is the labeled data: binding is trained on its train split, thresholds are chosen on
	// its validation split and every table is computed on its test split.
	Data DataConfig `toml:"data"`
	// PretrainData is the unlabeled data of stage 1 when Data is an imported benchmark (the SAE
	// is pre-trained on mutations of local code, as in the paper); ignored for mutation data,
	// where stage 1 uses Data's train split.
	PretrainData DataConfig `toml:"pretrain_data"`
	// States selects the hook and the extraction batching.
	States StatesConfig `toml:"states"`
	// Pretrain is stage 1's configuration; its paths, hook and seed are set by the runner.
	Pretrain pretrain.Config `toml:"pretrain"`
	// Binding is stage 2's configuration (also used for the probe baselines); its seed is set by
	// the runner.
	Binding finetune.Config `toml:"binding"`
	// Features says what PtTrust's binding reads besides the SAE latents (token statistics, the
	// neighbouring lines); the paper's recipe is the latents alone (the default).
	Features FeaturesConfig `toml:"features"`
	// Flags is the rule the shipped assessor flags lines by (chosen on validation).
	Flags FlagsConfig `toml:"flags"`
	// Eval says what is reported.
	Eval EvalConfig `toml:"eval"`
	// Transfer lists other labeled data sets (benchmarks) the experiment's methods are tested
	// on without training on them: one cross-benchmark table each.
	Transfer []TransferConfig `toml:"transfer"`

	// path is the file the configuration was read from ("" for the embedded default).
	path string
}

// ModelConfig names the LM.
type ModelConfig struct {
	// Dir is the model: a Hugging Face checkpoint directory (or a single model file where the
	// models package reads one); "" is the embedded tinycoder model. `pttrust experiment run
	// --model` overrides it, so one experiment file serves every model.
	Dir string `toml:"dir"`
	// Backend is the GoMLX backend spec ("" = $GOMLX_BACKEND or the pure-Go backend).
	Backend string `toml:"backend"`
}

// DataConfig makes a snippets file.
type DataConfig struct {
	// Format is "mutation" (mutants of the source trees found on this machine: GOROOT, the
	// Python stdlib, a JDK's src.zip, /usr/include, node_modules), or an importer:
	// "debugbench", "humanevalpack", "pairs" (see pttrust datasets import).
	Format string `toml:"format"`
	// Path is the importer's input (a file or directory the user downloaded), relative to the
	// working directory (the repository root for the shipped files, which point at
	// ../shared/benchmarks). Its content, not its name, goes into the cache key.
	Path string `toml:"path"`
	// Languages keeps these languages ([] = every language found).
	Languages []string `toml:"languages"`
	// FilesPerLanguage is the number of source files taken per language (mutation): the files
	// with the smallest hash of their stable path, so the sample spreads over the whole tree and
	// is the same on every machine with the same trees.
	FilesPerLanguage int `toml:"files_per_language"`
	// MaxFileBytes and MinFileBytes bound the size of a source file (mutation).
	MaxFileBytes int `toml:"max_file_bytes"`
	MinFileBytes int `toml:"min_file_bytes"`
	// LMHeldOut keeps only files outside the train split of the shipped LM's corpus
	// (datasets.SplitOf with 5 % + 5 %), so the LM never saw the programs (mutation).
	LMHeldOut bool `toml:"lm_held_out"`
	// ValFraction and TestFraction split the data into the experiment's train, validation and
	// test parts: mutation data by a hash of the file's path salted with the seed (a program
	// and its mutants never straddle parts), imported data by a hash of the problem (the group:
	// a DebugBench slug, a HumanEvalPack task number, across languages), not salted, so two
	// experiments with the same fractions split a benchmark alike.
	ValFraction  float64 `toml:"val_fraction"`
	TestFraction float64 `toml:"test_fraction"`
	// LineMutantsPerFile and OperatorMutantsPerFile are the mutants made per program (mutation).
	LineMutantsPerFile     int `toml:"line_mutants_per_file"`
	OperatorMutantsPerFile int `toml:"operator_mutants_per_file"`
	// MaxCodeBytes skips longer imported snippets (importers; 0 = 16000).
	MaxCodeBytes int `toml:"max_code_bytes"`
	// ProblemFraction keeps the snippets of this share of the problems (importers; 0 = 1, all):
	// the problems (DebugBench slugs, HumanEvalPack tasks) with the smallest salted hash of their
	// id, in every language alike, so a large benchmark fits a slow model's time budget. The
	// split of each kept problem is the one it has in the whole benchmark.
	ProblemFraction float64 `toml:"problem_fraction"`
	// Pinned (mutation) reads the snippets from a file made once instead of building them from
	// the source trees found on this machine, whose versions differ between machines (and with
	// GOTOOLCHAIN): "embedded:default" is the default study's snippets, embedded in the binary
	// (experiments/defaultdata/snippets.parquet, made with the settings above); any other value
	// is a snippets Parquet file written by pttrust (relative to the working directory). The
	// sampling and mutation settings above then only document how the file was made.
	Pinned string `toml:"pinned" json:"pinned,omitempty"`
	// PinnedSHA256 is the pinned file's SHA-256 (64 hex digits), checked before it is used.
	PinnedSHA256 string `toml:"pinned_sha256" json:"pinned_sha256,omitempty"`
}

// TransferConfig is a labeled data set the experiment's methods are tested on, trained
// elsewhere: the binding and probes trained on [data]'s train split, the training-free
// baselines, and the assessors of Eval.Assessors, each with the flagging threshold it has for
// [data] (chosen on its validation split).
type TransferConfig struct {
	// Name names the table and its files (transfer_<name>.csv): letters, digits, '-' and '_'.
	Name string `toml:"name"`
	// Data is the set: an importer's format and path, and the same val_fraction and
	// test_fraction as the experiment that trains on it, so that only its test split is used
	// and the numbers sit beside that experiment's own. The same [data] settings share its
	// cached snippets and states.
	Data DataConfig `toml:"data"`
	// Split is the part of the set tested: "test" (default) or "all".
	Split string `toml:"split"`
	// Languages keeps only these languages of the set ([] = all). It filters the tested
	// snippets, not the import, so the states are shared with the set's own experiment.
	Languages []string `toml:"languages"`
}

// StatesConfig is the extraction's part of the experiment.
type StatesConfig struct {
	// Hook is the hook whose line states feed the SAE ("" = blocks.{L}.resid_post with
	// L = layers/4, the paper's early layer). Hooks joined by "+" ("blocks.7.resid_post+
	// blocks.15.resid_post") concatenate the layers' states into one (stage 1, bindings, score).
	Hook string `toml:"hook"`
	// ExtraHooks are more hooks extracted in the same pass and kept in the same states folder,
	// so experiments that differ only in Hook (a layer sweep) share one extraction. The pass
	// runs to the deepest hook (all layers anyway when token statistics are computed).
	ExtraHooks []string `toml:"extra_hooks"`
	// Window is the window of long snippets (0 = min(context, 1024)).
	Window int `toml:"window"`
	// BatchTokens bounds the padded tokens of one forward pass (0 = the extractor's default).
	BatchTokens int `toml:"batch_tokens"`
	// ShardSnippets is the number of snippets per states shard (0 = the extractor's 1024). A
	// killed extraction resumes from its last whole shard: a slow model wants small shards.
	ShardSnippets int `toml:"shard_snippets"`
	// Workers is how many forward passes run at once (0 = the extractor's default: 2 when the
	// process may use 2 cores). The rows do not depend on it, so it is not part of the cache key.
	Workers int `toml:"workers"`
}

// EvalConfig says what the tables report.
type EvalConfig struct {
	// Bootstrap is the number of snippet resamples of the 95 % confidence intervals.
	Bootstrap int `toml:"bootstrap"`
	// RandomRepeats is the number of random rankings averaged by the random baseline.
	RandomRepeats int `toml:"random_repeats"`
	// TrainTasks are the tasks (mutation operators or bug types) the main binding is trained on
	// ([] = all); the main table is reported on the test split's snippets of these tasks
	// ("held-out files") and of every other task ("held-out tasks").
	TrainTasks []string `toml:"train_tasks"`
	// TrainWithPretrainData adds the train split of [pretrain_data] (mutants of local code) to
	// the training data of every binding (PtTrust, the paper's binding, the probes, the PCA, the
	// cross-matrix rows), beside the train split of [data]; validation, flags and every test stay
	// [data]'s. Only with a benchmark [data]: mutation [data] is stage 1's data already.
	TrainWithPretrainData bool `toml:"train_with_pretrain_data"`
	// TrainFraction keeps this share of [data]'s train split for every binding (a learning
	// curve): whole groups (a problem with all its languages, a source file with its mutants),
	// drawn by a hash of the seed and the group. 0 means 1: all of it. Validation, flags and
	// every test stay whole; [pretrain_data]'s mutants (TrainWithPretrainData) are not thinned.
	TrainFraction float64 `toml:"train_fraction"`
	// TaskGroups name groups of tasks for the cross-task matrix: a binding is trained on each
	// group and tested on each group. Empty: one group per task.
	TaskGroups map[string][]string `toml:"task_groups"`
	// MatrixMetric is the metric shown in the cross matrices ("hit@1", "auroc", ...).
	MatrixMetric string `toml:"matrix_metric"`
	// MinTrainSnippets skips matrix rows whose train group has fewer buggy snippets.
	MinTrainSnippets int `toml:"min_train_snippets"`
	// Baselines lists the baselines beside PtTrust: random, logprob_mean, logprob_min, entropy,
	// probe_raw, probe_pca, lookback. [] = all.
	Baselines []string `toml:"baselines"`
	// Cross lists the snippet fields that get a cross matrix (a binding trained on each value's
	// train split, tested on each value's test split): "language", "task" (grouped by
	// TaskGroups; the bug subtype of DebugBench) and "category" (DebugBench's syntax,
	// reference, logic, multiple). [] = language and task.
	Cross []string `toml:"cross"`
	// Assessors are assessor bundles trained elsewhere, tested beside PtTrust on the same lines
	// (main and transfer tables) with their own flagging threshold: "default" is the shipped one
	// (trained on mutants of local code, experiments/default.toml); anything else is the path of
	// a bundle folder (results/<name>/assessor). A bundle made for another model or hook is
	// skipped with a note.
	Assessors []string `toml:"assessors"`
}

// CrossFields are the fields Eval.Cross may name, in report order.
var CrossFields = []string{"language", "task", "category"}

// DefaultWorkDir is the work folder every experiment shares unless work_dir says otherwise.
var DefaultWorkDir = filepath.Join("work", "stages")

// AllBaselines is every baseline, in table order.
var AllBaselines = []string{"random", "logprob_mean", "logprob_min", "entropy", "lookback", "probe_raw", "probe_pca"}

//go:embed default.toml
var defaultTOML []byte

// defaultPath is where default.toml lives in the repository.
const defaultPath = "experiments/default.toml"

// Default returns the embedded default experiment (experiments/default.toml over the built-in
// values): the shipped tinycoder model on mutants of local code.
func Default() Config {
	cfg, err := parse(defaultTOML, defaultPath)
	if err != nil {
		panic("experiments: embedded default.toml: " + err.Error())
	}
	return cfg
}

// base holds the values every configuration starts from.
func base() Config {
	return Config{
		Seed: 1,
		Data: DataConfig{
			Format: "mutation", FilesPerLanguage: 40, MaxFileBytes: 4000, MinFileBytes: 300, LMHeldOut: true,
			ValFraction: 0.15, TestFraction: 0.3, LineMutantsPerFile: 3, OperatorMutantsPerFile: 6,
			MaxCodeBytes: 16000,
		},
		PretrainData: DataConfig{
			Format: "mutation", FilesPerLanguage: 40, MaxFileBytes: 4000, MinFileBytes: 300, LMHeldOut: true,
			ValFraction: 0.15, TestFraction: 0.3, LineMutantsPerFile: 3, OperatorMutantsPerFile: 6,
		},
		Pretrain: pretrain.DefaultConfig(),
		Flags:    FlagsConfig{MaxFlagRate: 0.02, TargetPrecision: 0.5, MinFlags: 10},
		Binding:  finetune.DefaultConfig(),
		Eval: EvalConfig{
			Bootstrap: 1000, RandomRepeats: 10, MatrixMetric: "hit@1",
			MinTrainSnippets: 20,
		},
	}
}

// Load reads an experiment file over the built-in values. Unknown keys are errors naming the
// file and the key.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("experiment: %w", err)
	}
	return parse(data, path)
}

func parse(data []byte, path string) (Config, error) {
	cfg := base()
	if err := decodeOver(&cfg, data, path, 0); err != nil {
		return cfg, err
	}
	cfg.Base = ""
	cfg.path = path
	if cfg.Name == "" {
		cfg.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if cfg.OutDir == "" {
		cfg.OutDir = filepath.Join("results", cfg.Name)
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = DefaultWorkDir
	}
	for i := range cfg.Transfer {
		if cfg.Transfer[i].Data.MaxCodeBytes == 0 {
			cfg.Transfer[i].Data.MaxCodeBytes = base().Data.MaxCodeBytes
		}
		if cfg.Transfer[i].Split == "" {
			cfg.Transfer[i].Split = string(datasets.Test)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("experiment %s: %w", path, err)
	}
	return cfg, nil
}

// maxBaseDepth bounds chains of base files (a cycle is an error, not a hang).
const maxBaseDepth = 8

// decodeOver decodes a configuration file over cfg: first the file its base key names (a path
// relative to the file; itself decoded over its own base), then the file's own keys, so an
// experiment can be a short list of overrides of another.
func decodeOver(cfg *Config, data []byte, path string, depth int) error {
	var head struct {
		Base string `toml:"base"`
	}
	if _, err := toml.Decode(string(data), &head); err != nil {
		return fmt.Errorf("experiment: %s: %w", path, err)
	}
	if head.Base != "" {
		if depth >= maxBaseDepth {
			return fmt.Errorf("experiment: %s: base files nest deeper than %d (a cycle?)", path, maxBaseDepth)
		}
		bp := head.Base
		if !filepath.IsAbs(bp) {
			bp = filepath.Join(filepath.Dir(path), bp)
		}
		bdata, err := os.ReadFile(bp)
		if err != nil {
			return fmt.Errorf("experiment: %s: base: %w", path, err)
		}
		if err := decodeOver(cfg, bdata, bp, depth+1); err != nil {
			return err
		}
		cfg.Name, cfg.OutDir = "", "" // named after the file that extends it, unless it says otherwise
	}
	if err := tomlconf.Decode(data, path, cfg); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	return nil
}

// Validate checks every field it can without touching the disk; errors name the field.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Name == "" {
		add("name: empty")
	}
	c.Flags.validate(add)
	if c.States.Workers < 0 {
		add("states.workers: %d is negative", c.States.Workers)
	}
	if c.States.ShardSnippets < 0 {
		add("states.shard_snippets: %d is negative", c.States.ShardSnippets)
	}
	for i, h := range append([]string{c.States.Hook}, c.States.ExtraHooks...) {
		if h == "" {
			continue
		}
		if i > 0 && strings.Contains(h, models.HookSep) {
			add("states.extra_hooks: %q; concatenated hooks (a+b) go in states.hook, extra_hooks list single hooks", h)
			continue
		}
		for _, p := range models.HookParts(h) {
			if _, err := models.ParseHook(p, math.MaxInt32); err != nil {
				add("states.hook / states.extra_hooks: %v", err)
			}
		}
	}
	if err := c.Data.validate("data"); err != nil {
		errs = append(errs, err)
	}
	if c.Data.Format != "mutation" {
		if c.PretrainData.Format != "mutation" {
			add("pretrain_data.format: %q; stage 1 needs mutation data", c.PretrainData.Format)
		} else if err := c.PretrainData.validate("pretrain_data"); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Eval.Bootstrap < 0 {
		add("eval.bootstrap: %d is negative", c.Eval.Bootstrap)
	}
	if c.Eval.TrainWithPretrainData && c.Data.Format == "mutation" {
		add("eval.train_with_pretrain_data: [data] is mutation data, which stage 1 reads already (the option adds the mutants of [pretrain_data] to a benchmark's bindings)")
	}
	if f := c.Eval.TrainFraction; !(f >= 0 && f <= 1) {
		add("eval.train_fraction: %g; want a share in (0, 1] (0 = all)", f)
	}
	if c.Eval.RandomRepeats < 1 {
		add("eval.random_repeats: %d; want at least 1", c.Eval.RandomRepeats)
	}
	pc := c.Pretrain // the runner sets the paths
	pc.StatesDir, pc.OutDir, pc.WorkDir = "-", "-", "-"
	if err := pc.Validate(); err != nil {
		add("pretrain: %w", err)
	}
	bc := c.Binding
	if err := bc.Validate(); err != nil {
		add("binding: %w", err)
	}
	for _, b := range c.Eval.Baselines {
		if !slices.Contains(AllBaselines, b) {
			add("eval.baselines: unknown baseline %q (known: %s)", b, strings.Join(AllBaselines, ", "))
		}
	}
	if !slices.Contains(eval.MetricNames(), c.Eval.MatrixMetric) {
		add("eval.matrix_metric: unknown metric %q (known: %s)", c.Eval.MatrixMetric, strings.Join(eval.MetricNames(), ", "))
	}
	for i, f := range c.Eval.Cross {
		if !slices.Contains(CrossFields, f) {
			add("eval.cross: unknown field %q (known: %s)", f, strings.Join(CrossFields, ", "))
		} else if slices.Contains(c.Eval.Cross[:i], f) {
			add("eval.cross: %q given twice", f)
		}
	}
	for i, a := range c.Eval.Assessors {
		if a == "" {
			add("eval.assessors[%d]: empty; \"default\" or the path of an assessor folder", i)
		}
	}
	names := map[string]bool{}
	for i, t := range c.Transfer {
		sec := fmt.Sprintf("transfer[%d]", i)
		switch {
		case t.Name == "":
			add("%s.name: empty", sec)
		case strings.IndexFunc(t.Name, func(r rune) bool { return !isNameRune(r) }) >= 0:
			add("%s.name: %q; use letters, digits, '-' and '_'", sec, t.Name)
		case names[t.Name]:
			add("%s.name: %q given twice", sec, t.Name)
		}
		names[t.Name] = true
		if t.Data.Format == "mutation" {
			add("%s.data.format: %q; a transfer set is an imported benchmark (debugbench, humanevalpack, pairs)", sec, t.Data.Format)
		} else if err := t.Data.validate(sec + ".data"); err != nil {
			errs = append(errs, err)
		}
		if t.Split != string(datasets.Test) && t.Split != "all" {
			add("%s.split: %q; want \"test\" or \"all\"", sec, t.Split)
		}
		for _, l := range t.Languages {
			if _, err := datasets.ParseLanguage(l); err != nil {
				add("%s.languages: %v", sec, err)
			}
		}
	}
	return errors.Join(errs...)
}

// isNameRune reports whether r may appear in a transfer name (it becomes a file name).
func isNameRune(r rune) bool {
	return r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func (d *DataConfig) validate(section string) error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(section+"."+format, a...)) }
	switch d.Format {
	case "mutation":
		if d.FilesPerLanguage < 1 {
			add("files_per_language: %d; want at least 1", d.FilesPerLanguage)
		}
		if d.MaxFileBytes <= d.MinFileBytes || d.MinFileBytes < 0 {
			add("max_file_bytes/min_file_bytes: %d/%d; want 0 <= min < max", d.MaxFileBytes, d.MinFileBytes)
		}
		if d.LineMutantsPerFile < 0 || d.OperatorMutantsPerFile < 0 || d.LineMutantsPerFile+d.OperatorMutantsPerFile == 0 {
			add("line_mutants_per_file/operator_mutants_per_file: %d/%d; want non-negative, not both 0",
				d.LineMutantsPerFile, d.OperatorMutantsPerFile)
		}
		if d.Pinned != "" && !isSHA256(d.PinnedSHA256) {
			add("pinned_sha256: %q; a pinned file needs its SHA-256 (64 hex digits)", d.PinnedSHA256)
		}
	case "debugbench", "humanevalpack", "pairs":
		if d.Pinned != "" {
			add("pinned: %q; only mutation data is pinned (an importer reads its own path)", d.Pinned)
		}
		if d.Path == "" {
			add("path: empty; the %s importer needs the file or directory you downloaded", d.Format)
		}
		if d.MaxCodeBytes <= 0 {
			add("max_code_bytes: %d; want a positive size", d.MaxCodeBytes)
		}
	default:
		add("format: %q; want mutation, debugbench, humanevalpack or pairs", d.Format)
	}
	if !(d.ProblemFraction >= 0 && d.ProblemFraction <= 1) { // every format: a NaN is no share
		add("problem_fraction: %g; want a share in (0, 1] (0 = all)", d.ProblemFraction)
	}
	for _, l := range d.Languages {
		if _, err := datasets.ParseLanguage(l); err != nil {
			add("languages: %v", err)
		}
	}
	if !(d.ValFraction > 0 && d.TestFraction > 0 && d.ValFraction+d.TestFraction < 1) {
		add("val_fraction/test_fraction: %g/%g; want both > 0 with a sum < 1", d.ValFraction, d.TestFraction)
	}
	return errors.Join(errs...)
}

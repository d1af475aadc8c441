package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// Result summarises a run.
type Result struct {
	// OutDir holds the shards and the manifest.
	OutDir string
	// Manifest is the final manifest.
	Manifest *Manifest
	// Resumed is the number of shards found complete and kept.
	Resumed int
	// Problems lists the snippets and lines of this run that gave no row.
	Problems []Problem
	// Shapes counts the forward passes of this run by padded shape [batch rows, length]; every
	// new shape compiles a graph.
	Shapes map[[2]int]int
	// Padding is the share of the tokens the backend computed that were padding:
	// 1 - real tokens / (bucketed batch rows x bucketed length), summed over the passes.
	Padding float64
	// Forward is the time spent in forward passes, Total the time of the whole run.
	Forward, Total time.Duration
}

// Extract runs the model of cfg over the snippets of cfg.DataPath and writes line states into
// cfg.OutDir (see the package documentation). progress receives a progress bar and one line per
// problem; it may be nil. A run in a directory holding a manifest of the same settings resumes
// after its last complete shard; a manifest of other settings is an error.
func Extract(ctx context.Context, cfg Config, progress io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	backend, err := models.NewBackend(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	m, tok, err := models.LoadWithTokenizer(cfg.ModelDir, backend)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	return extractWith(ctx, cfg, m, tok, progress)
}

// validResolved validates cfg and resolves it against the model (errors prefixed as the
// command's).
func validResolved(cfg Config, m *models.Model) (*resolved, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	r, err := resolve(cfg, m)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	return r, nil
}

// extractWith is Extract with a loaded model.
func extractWith(ctx context.Context, cfg Config, m *models.Model, tok *tokenizer.Tokenizer, out io.Writer) (*Result, error) {
	r, err := validResolved(cfg, m)
	if err != nil {
		return nil, err
	}
	settings, err := makeSettings(r, m)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	man, err := resume(r, settings)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	res := &Result{OutDir: r.OutDir, Manifest: man, Resumed: len(man.Shards)}
	defer func(t0 time.Time) { res.Total = time.Since(t0) }(time.Now())
	p := newProgress(out, settings.Data.Snippets, man.Snippets)
	if res.Resumed > 0 && !man.Complete {
		p.message("resuming after %d complete shards (%d of %d snippets)", res.Resumed, man.Snippets, settings.Data.Snippets)
	}
	if settings.Data.Snippets == 0 {
		p.message("%s holds no snippets: nothing to extract", r.DataPath)
	}
	if man.Complete {
		p.message("%s: already complete (%d shards, %d rows)", r.OutDir, len(man.Shards), man.Rows)
		return res, nil
	}
	if err := writeManifest(r.OutDir, man); err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}

	x := &extractor{r: r, u: newRunner(ctx, r, m, tok, p), p: p, man: man, res: res}
	defer func() { res.Forward, res.Shapes, res.Padding = x.u.forward, x.u.shapes, p.padding() }()
	x.shardStart = man.Snippets
	err = datasets.ScanSnippets(r.DataPath, man.Snippets, func(index int, s datasets.Snippet) error {
		x.chunk = append(x.chunk, indexed{index, s})
		if len(x.chunk) == packSnippets || index+1-x.shardStart == r.ShardSnippets {
			if err := x.runChunk(); err != nil {
				return err
			}
		}
		if index+1-x.shardStart == r.ShardSnippets {
			return x.writeShard(index + 1)
		}
		return nil
	})
	if err == nil && x.shardStart < settings.Data.Snippets {
		if err = x.runChunk(); err == nil {
			err = x.writeShard(settings.Data.Snippets)
		}
	}
	if err != nil {
		p.finish()
		return res, fmt.Errorf("states extract: %w", err)
	}
	man.Complete = true
	if err := writeManifest(r.OutDir, man); err != nil {
		return res, fmt.Errorf("states extract: %w", err)
	}
	p.finish()
	p.message("wrote %d rows in %d shards to %s (%d problems, see %s)", man.Rows, len(man.Shards), r.OutDir, man.Problems, ManifestName)
	return res, nil
}

// extractor holds the state of one run.
type extractor struct {
	r   *resolved
	u   *runner
	p   *progress
	man *Manifest
	res *Result

	shardStart int       // first snippet of the open shard
	chunk      []indexed // snippets waiting to be packed
	rows       []Row     // rows of the open shard
	tokens     int       // tokens of the open shard
	probs      []Problem // problems of the open shard
}

// runChunk runs the waiting snippets and appends their rows, in input order, to the open shard.
func (x *extractor) runChunk() error {
	rows, probs, tokens, err := x.u.run(x.chunk)
	clear(x.chunk)
	x.chunk = x.chunk[:0]
	if err != nil {
		return err
	}
	x.rows = append(x.rows, rows...)
	x.probs = append(x.probs, probs...)
	x.tokens += tokens
	return nil
}

// writeShard writes the open shard, covering snippets [shardStart, end), and the manifest.
func (x *extractor) writeShard(end int) error {
	i := len(x.man.Shards)
	info, err := x.r.finishShard(i, x.shardStart, end, x.rows, x.tokens, x.probs)
	if err != nil {
		return err
	}
	x.man.add(info)
	x.man.Code = buildinfo.Get()
	if err := writeManifest(x.r.OutDir, x.man); err != nil {
		return err
	}
	x.res.Problems = append(x.res.Problems, x.probs...)
	clear(x.rows)
	x.rows, x.probs, x.tokens = x.rows[:0], nil, 0
	x.shardStart = end
	x.p.update(true)
	if afterShard != nil {
		afterShard(i)
	}
	return nil
}

// afterShard, when set (by tests), is called after each shard and its manifest are written.
var afterShard func(shard int)

// finishShard writes the rows of shard i, covering snippets [first, end), into OutDir under
// ShardName(i) (atomically: a rewrite replaces it whole) and describes it.
func (r *resolved) finishShard(i, first, end int, rows []Row, tokens int, probs []Problem) (ShardInfo, error) {
	name := ShardName(i)
	sum, size, err := writeShard(filepath.Join(r.OutDir, name), r.columns, r.Hooks, rows)
	if err != nil {
		return ShardInfo{}, err
	}
	return ShardInfo{File: name, FirstSnippet: first, Snippets: end - first, Rows: len(rows),
		Tokens: tokens, SHA256: sum, Bytes: size, Problems: probs}, nil
}

// makeSettings identifies the model and the data.
func makeSettings(r *resolved, m *models.Model) (Settings, error) {
	s, err := modelSettings(r, m)
	if err != nil {
		return s, err
	}
	if s.Data.Snippets, err = datasets.CountSnippets(r.DataPath); err != nil {
		return s, err
	}
	if s.Data.SHA256, s.Data.Bytes, err = fileSHA256(r.DataPath); err != nil {
		return s, err
	}
	return s, nil
}

// modelSettings is makeSettings without the data.
func modelSettings(r *resolved, m *models.Model) (Settings, error) {
	s := Settings{Schema: SchemaVersion, Hooks: r.Hooks, Window: r.window, Stride: r.stride,
		BatchTokens: r.BatchTokens, ShardSnippets: r.ShardSnippets, AttentionLayer: r.attnLayer, Backend: m.Backend.Name(),
		NoTokenStats: r.NoTokenStats}
	var err error
	s.Model = ModelInfo{Source: filepath.Base(filepath.Clean(r.ModelDir)), ModelType: m.Config.ModelType,
		NumLayers: m.Config.NumLayers, DModel: m.Config.DModel}
	fp, err := models.FingerprintOf(r.ModelDir) // a checkpoint directory or a GGUF file
	if err != nil {
		return s, err
	}
	s.Model.ConfigSHA256, s.Model.TokenizerSHA256, s.Model.WeightsBytes = fp.ConfigSHA256, fp.TokenizerSHA256, fp.WeightsBytes()
	return s, nil
}

// resume returns the manifest to continue from: the directory's own when its settings match and
// with the shards whose bytes still match their recorded SHA-256 (up to the first that does
// not), or a fresh one. Shard files past the kept ones and temporary files of an interrupted
// write are removed.
func resume(r *resolved, s Settings) (*Manifest, error) {
	fresh := newManifest(s, r.ModelDir, r.DataPath)
	man := fresh
	old, err := ReadManifest(r.OutDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	case old.ConfigHash != fresh.ConfigHash:
		return nil, fmt.Errorf("%s holds a run with other settings (%s); use another --out directory or remove it",
			r.OutDir, settingsDiff(old.Settings, s))
	default:
		man = fresh
		for _, sh := range old.Shards {
			sum, _, err := fileSHA256(filepath.Join(r.OutDir, sh.File))
			if err != nil || sum != sh.SHA256 || sh.File != ShardName(len(man.Shards)) {
				break
			}
			man.add(sh)
		}
		man.Complete = old.Complete && len(man.Shards) == len(old.Shards) && man.Snippets == s.Data.Snippets
	}
	entries, err := os.ReadDir(r.OutDir)
	if err != nil {
		return nil, err
	}
	if old == nil {
		// The manifest is written before the first shard: shard files without one are not ours.
		for _, e := range entries {
			if n := e.Name(); strings.HasPrefix(n, "shard-") && strings.HasSuffix(n, ".parquet") {
				return nil, fmt.Errorf("%s holds %s but no %s: not an extraction directory; use another --out directory", r.OutDir, n, ManifestName)
			}
		}
	}
	keep := map[string]bool{}
	for _, sh := range man.Shards {
		keep[sh.File] = true
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasPrefix(n, ".shard-") || strings.HasPrefix(n, "."+ManifestName+".tmp-") ||
			(strings.HasPrefix(n, "shard-") && strings.HasSuffix(n, ".parquet") && !keep[n])
		if stale {
			if err := os.Remove(filepath.Join(r.OutDir, n)); err != nil {
				return nil, err
			}
		}
	}
	return man, nil
}

// settingsDiff names the settings that differ.
func settingsDiff(a, b Settings) string {
	var d []string
	add := func(name string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			d = append(d, fmt.Sprintf("%s %v, now %v", name, x, y))
		}
	}
	add("schema", a.Schema, b.Schema)
	add("model", a.Model, b.Model)
	add("data sha256", a.Data.SHA256, b.Data.SHA256)
	add("hooks", a.Hooks, b.Hooks)
	add("window", a.Window, b.Window)
	add("batch tokens", a.BatchTokens, b.BatchTokens)
	add("shard snippets", a.ShardSnippets, b.ShardSnippets)
	add("attention layer", a.AttentionLayer, b.AttentionLayer)
	add("backend", a.Backend, b.Backend)
	if len(d) == 0 {
		return "settings hash differs"
	}
	return "was " + strings.Join(d, "; ")
}

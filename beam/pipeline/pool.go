package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pttrust/pttrust/internal/smollm2"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tinycoder"
	"github.com/pttrust/pttrust/states/extract"
)

// pool holds the loaded models of one pipeline configuration in a worker process: at most
// Concurrency of them, each in a ShardExtractor that one shard extraction at a time borrows. A
// runner may run many bundles of the extraction step at once in one process (Prism up to 8),
// each with its own DoFn instance; the pool keeps the models (and concurrent extractions) of
// the process at Concurrency however many there are.
type pool struct {
	cfg      Config
	data     extract.DataInfo
	modelDir string

	mu     sync.Mutex
	loaded int
	free   chan *extract.ShardExtractor
}

var (
	poolsMu sync.Mutex
	pools   = map[string]*pool{}
)

// poolFor returns the process's pool for cfg and data.
func poolFor(cfg Config, data extract.DataInfo) (*pool, error) {
	key, err := json.Marshal(struct {
		Config
		extract.DataInfo
	}{cfg, data})
	if err != nil {
		return nil, err
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if p := pools[string(key)]; p != nil {
		return p, nil
	}
	p := &pool{cfg: cfg, data: data, free: make(chan *extract.ShardExtractor, max(1, cfg.Concurrency))}
	pools[string(key)] = p
	return p, nil
}

// resolveModel turns the --model value into a path on this machine: "" is the embedded
// tinycoder (extracted into the user cache directory, as `pttrust` does), "smollm2" the cached
// SmolLM2 GGUF, anything else a checkpoint folder or a .gguf file.
func resolveModel(flag string) (string, error) {
	if flag != "" {
		return smollm2.Resolve(flag)
	}
	return tinycoder.Dir()
}

// warm loads the first model unless one is loaded: DoFn Setup calls it, so a worker fails
// before its first bundle when the model cannot be loaded.
func (p *pool) warm() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loaded > 0 {
		return nil
	}
	x, err := p.load()
	if err != nil {
		return err
	}
	p.loaded++
	p.free <- x
	return nil
}

// load reads the model and makes an extractor; callers hold p.mu.
func (p *pool) load() (*extract.ShardExtractor, error) {
	if p.modelDir == "" {
		dir, err := resolveModel(p.cfg.ModelDir)
		if err != nil {
			return nil, fmt.Errorf("--model %q: %w", p.cfg.ModelDir, err)
		}
		p.modelDir = dir
	}
	backend, err := models.NewBackend(p.cfg.Backend)
	if err != nil {
		return nil, err
	}
	m, tok, err := models.LoadWithTokenizer(p.modelDir, backend)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", p.modelDir, err)
	}
	c := p.cfg.Config
	c.ModelDir = p.modelDir
	return extract.NewShardExtractor(c, m, tok, p.data)
}

// get borrows an extractor: a free one, a newly loaded one while fewer than Concurrency are
// loaded (loads are serialised), or else the next one given back.
func (p *pool) get(ctx context.Context) (*extract.ShardExtractor, error) {
	select {
	case x := <-p.free:
		return x, nil
	default:
	}
	p.mu.Lock()
	if p.loaded < max(1, p.cfg.Concurrency) {
		x, err := p.load()
		if err == nil {
			p.loaded++
		}
		p.mu.Unlock()
		return x, err
	}
	p.mu.Unlock()
	select {
	case x := <-p.free:
		return x, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dir is the model path on this machine (set by the first load).
func (p *pool) dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.modelDir
}

// put gives an extractor back.
func (p *pool) put(x *extract.ShardExtractor) { p.free <- x }

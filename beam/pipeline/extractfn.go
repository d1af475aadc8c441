package pipeline

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/states/extract"
)

// shardResult is what the extraction step tells the manifest step about one shard: the settings
// its worker made it with, the model path there, and its manifest entry. Gob-encoded, like the
// snippets, so that problem texts keep their bytes until the manifest's JSON encoder sees them.
type shardResult struct {
	Shard    int
	ModelDir string
	Settings extract.Settings
	Info     extract.ShardInfo
}

func encodeResult(r shardResult) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(r); err != nil {
		return nil, fmt.Errorf("encode the result of shard %d: %w", r.Shard, err)
	}
	return b.Bytes(), nil
}

func decodeResult(data []byte) (shardResult, error) {
	var r shardResult
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil {
		return r, fmt.Errorf("decode a shard result: %w", err)
	}
	return r, nil
}

// extractFn computes one shard from its grouped snippets with the code of `pttrust states
// extract` (extract.ShardExtractor) and writes it into the output folder under the shard's name:
// a retried bundle rewrites the same file with the same bytes. Its exported fields travel to the
// workers (JSON).
type extractFn struct {
	Cfg  Config
	Data extract.DataInfo

	pool *pool
}

// Setup loads the model (once per worker process: the pool is shared by the process's DoFn
// instances) and refuses an output folder holding an extraction of other settings.
func (f *extractFn) Setup() error {
	p, err := poolFor(f.Cfg, f.Data)
	if err != nil {
		return err
	}
	if err := p.warm(); err != nil {
		return err
	}
	f.pool = p
	x, err := p.get(context.Background())
	if err != nil {
		return err
	}
	defer p.put(x)
	return checkOutDir(f.Cfg.OutDir, x.Settings())
}

// checkOutDir refuses a folder whose manifest has other settings (as `states extract` does).
func checkOutDir(dir string, s extract.Settings) error {
	old, err := extract.ReadManifest(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case old.ConfigHash != s.Hash():
		return fmt.Errorf("%s holds a run with other settings (config hash %s, now %s); use another --out directory or remove it",
			dir, old.ConfigHash, s.Hash())
	}
	return nil
}

// ProcessElement extracts one shard.
func (f *extractFn) ProcessElement(ctx context.Context, shard int, values func(*[]byte) bool, emit func([]byte)) error {
	var snips []indexedSnippet
	var data []byte
	for values(&data) {
		v, err := decodeSnippet(data)
		if err != nil {
			return fmt.Errorf("shard %d: %w", shard, err)
		}
		snips = append(snips, v)
	}
	slices.SortFunc(snips, func(a, b indexedSnippet) int { return a.Index - b.Index })
	x, err := f.pool.get(ctx)
	if err != nil {
		return fmt.Errorf("shard %d: %w", shard, err)
	}
	defer f.pool.put(x)
	ranges := x.Ranges()
	if shard < 0 || shard >= len(ranges) {
		return fmt.Errorf("shard %d out of range [0, %d)", shard, len(ranges))
	}
	rg := ranges[shard]
	in := make([]datasets.Snippet, len(snips))
	for i, v := range snips {
		if v.Index != rg.First+i {
			return fmt.Errorf("shard %d covers snippets [%d, %d): got snippet %d at position %d (a read task lost or doubled rows)",
				shard, rg.First, rg.End, v.Index, i)
		}
		in[i] = v.Snippet
	}
	t0 := time.Now()
	info, err := x.Extract(ctx, shard, in)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	log.Infof(ctx, "shard %d: %d snippets, %d rows, %d tokens in %s (%.0f tokens/s), started %s",
		shard, info.Snippets, info.Rows, info.Tokens, d.Round(time.Millisecond), float64(info.Tokens)/d.Seconds(), t0.Format("15:04:05.000"))
	out, err := encodeResult(shardResult{Shard: shard, ModelDir: f.pool.dir(), Settings: x.Settings(), Info: info})
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pttrust/pttrust/states/extract"
)

// manifestFn is the last step: it runs once (on an impulse) with every shard result as a side
// input, checks that the shards are all there and were made with one set of settings, and
// writes the manifest `pttrust states extract` writes for the same input. Its exported fields
// travel to the workers (JSON).
type manifestFn struct {
	Cfg    Config
	Data   extract.DataInfo
	Shards int
}

// ProcessElement writes the manifest.
func (f *manifestFn) ProcessElement(ctx context.Context, _ []byte, results func(*[]byte) bool) error {
	got := make([]*shardResult, f.Shards)
	var data []byte
	for results(&data) {
		r, err := decodeResult(data)
		if err != nil {
			return err
		}
		if r.Shard < 0 || r.Shard >= f.Shards {
			return fmt.Errorf("manifest: shard %d out of range [0, %d)", r.Shard, f.Shards)
		}
		if prev := got[r.Shard]; prev != nil && prev.Info.SHA256 != r.Info.SHA256 {
			return fmt.Errorf("manifest: shard %d was computed twice with different bytes (SHA-256 %s and %s)", r.Shard, prev.Info.SHA256, r.Info.SHA256)
		}
		got[r.Shard] = &r
	}
	settings, modelDir, err := f.settings(got)
	if err != nil {
		return err
	}
	infos := make([]extract.ShardInfo, f.Shards)
	for i, r := range got {
		if r == nil {
			return fmt.Errorf("manifest: no result for shard %d", i)
		}
		if h, want := r.Settings.Hash(), settings.Hash(); h != want {
			return fmt.Errorf("manifest: shard %d was made with other settings than shard 0 (config hash %s, not %s): workers differ (backend, model files?)", i, h, want)
		}
		if r.ModelDir != modelDir {
			return fmt.Errorf("manifest: shard %d read the model at %s, shard 0 at %s", i, r.ModelDir, modelDir)
		}
		infos[i] = r.Info
	}
	if err := checkOutDir(f.Cfg.OutDir, settings); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := os.MkdirAll(f.Cfg.OutDir, 0o755); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	man := extract.NewManifest(settings, modelDir, f.Cfg.DataPath, infos)
	if !man.Complete {
		return fmt.Errorf("manifest: the shards cover %d snippets of %d", man.Snippets, f.Data.Snippets)
	}
	if err := extract.WriteManifest(f.Cfg.OutDir, man); err != nil {
		return err
	}
	return removeStale(f.Cfg.OutDir, man)
}

// settings are the shards' settings (shard 0's; the caller checks the others), or, for an
// input without snippets, those of a model loaded here.
func (f *manifestFn) settings(got []*shardResult) (extract.Settings, string, error) {
	if len(got) > 0 {
		if got[0] == nil {
			return extract.Settings{}, "", fmt.Errorf("manifest: no result for shard 0")
		}
		return got[0].Settings, got[0].ModelDir, nil
	}
	p, err := poolFor(f.Cfg, f.Data)
	if err != nil {
		return extract.Settings{}, "", err
	}
	x, err := p.get(context.Background())
	if err != nil {
		return extract.Settings{}, "", fmt.Errorf("manifest: %w", err)
	}
	defer p.put(x)
	return x.Settings(), p.dir(), nil
}

// removeStale removes what the manifest does not list, as `states extract` does when it starts
// in a folder: shard files of an earlier, larger run and temporary files of interrupted writes.
func removeStale(dir string, man *extract.Manifest) error {
	keep := map[string]bool{}
	for _, sh := range man.Shards {
		keep[sh.File] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasPrefix(n, ".shard-") || strings.HasPrefix(n, "."+extract.ManifestName+".tmp-") ||
			(strings.HasPrefix(n, "shard-") && strings.HasSuffix(n, ".parquet") && !keep[n])
		if stale {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("manifest: %w", err)
			}
		}
	}
	return nil
}

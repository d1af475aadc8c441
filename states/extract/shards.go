package extract

import (
	"context"
	"fmt"
	"os"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// This file exposes Extract one shard at a time, for runners that compute shards apart and in
// any order (the Beam pipeline in beam/): a shard depends only on its own snippets and the
// settings, so ShardExtractor.Extract writes the bytes Extract writes for that shard, and
// NewManifest with every shard gives Extract's final manifest.

// SnippetRange is the input rows [First, End) of one shard.
type SnippetRange struct{ First, End int }

// ShardRanges returns the snippet ranges of the shards Extract writes for n input snippets:
// shard i covers [i*size, min((i+1)*size, n)). A size of 0 picks DefaultShardSnippets.
func ShardRanges(n, size int) []SnippetRange {
	if size <= 0 {
		size = DefaultShardSnippets
	}
	var out []SnippetRange
	for first := 0; first < n; first += size {
		out = append(out, SnippetRange{first, min(first+size, n)})
	}
	return out
}

// ShardExtractor extracts single shards with a loaded model. It is not safe for concurrent use;
// use one per goroutine (each with its own model, or one model whose Run may be shared).
type ShardExtractor struct {
	r        *resolved
	m        *models.Model
	tok      *tokenizer.Tokenizer
	settings Settings
}

// NewShardExtractor checks cfg against the model as Extract does and identifies the model
// (cfg.ModelDir is fingerprinted, as Extract does). data identifies the input instead of
// cfg.DataPath, which is not read: Extract's DataInfo for one file is its SHA-256, size and row
// count. cfg.OutDir receives the shards.
func NewShardExtractor(cfg Config, m *models.Model, tok *tokenizer.Tokenizer, data DataInfo) (*ShardExtractor, error) {
	r, err := validResolved(cfg, m)
	if err != nil {
		return nil, err
	}
	s, err := modelSettings(r, m)
	if err != nil {
		return nil, fmt.Errorf("states extract: %w", err)
	}
	s.Data = data
	return &ShardExtractor{r: r, m: m, tok: tok, settings: s}, nil
}

// Settings returns the settings the shards are made with (the manifest's).
func (e *ShardExtractor) Settings() Settings { return e.settings }

// Ranges returns the snippet ranges of the shards of the whole input.
func (e *ShardExtractor) Ranges() []SnippetRange {
	return ShardRanges(e.settings.Data.Snippets, e.r.ShardSnippets)
}

// Extract computes shard i from its snippets, the input rows Ranges()[i] in input order, and
// writes it atomically (temporary file, then rename) to OutDir/ShardName(i), creating OutDir: a
// rerun replaces the file whole with the same bytes. It returns the shard's manifest entry.
func (e *ShardExtractor) Extract(ctx context.Context, i int, snippets []datasets.Snippet) (ShardInfo, error) {
	ranges := e.Ranges()
	if i < 0 || i >= len(ranges) {
		return ShardInfo{}, fmt.Errorf("states extract: shard %d out of range [0, %d)", i, len(ranges))
	}
	rg := ranges[i]
	if len(snippets) != rg.End-rg.First {
		return ShardInfo{}, fmt.Errorf("states extract: shard %d covers snippets [%d, %d): got %d snippets, want %d",
			i, rg.First, rg.End, len(snippets), rg.End-rg.First)
	}
	u := newRunner(ctx, e.r, e.m, e.tok, newProgress(nil, len(snippets), 0))
	var rows []Row
	var probs []Problem
	tokens := 0
	// Groups of packSnippets from the shard's first snippet: Extract's batches.
	for start := 0; start < len(snippets); start += packSnippets {
		group := make([]indexed, 0, packSnippets)
		for k, s := range snippets[start:min(start+packSnippets, len(snippets))] {
			group = append(group, indexed{rg.First + start + k, s})
		}
		rs, ps, n, err := u.run(group)
		if err != nil {
			return ShardInfo{}, fmt.Errorf("states extract: shard %d: %w", i, err)
		}
		rows = append(rows, rs...)
		probs = append(probs, ps...)
		tokens += n
	}
	if err := os.MkdirAll(e.r.OutDir, 0o755); err != nil {
		return ShardInfo{}, fmt.Errorf("states extract: %w", err)
	}
	info, err := e.r.finishShard(i, rg.First, rg.End, rows, tokens, probs)
	if err != nil {
		return ShardInfo{}, fmt.Errorf("states extract: %w", err)
	}
	return info, nil
}

// NewManifest returns the manifest of an extraction with settings s from the shards given, in
// shard order; modelDir and dataPath are the paths recorded (Extract records the ones it was
// given). It is complete when the shards cover every input snippet.
func NewManifest(s Settings, modelDir, dataPath string, shards []ShardInfo) *Manifest {
	m := newManifest(s, modelDir, dataPath)
	for _, sh := range shards {
		m.add(sh)
	}
	m.Complete = m.Snippets == s.Data.Snippets
	return m
}

// WriteManifest writes m to dir/manifest.json atomically.
func WriteManifest(dir string, m *Manifest) error {
	if err := writeManifest(dir, m); err != nil {
		return fmt.Errorf("states extract: write %s in %s: %w", ManifestName, dir, err)
	}
	return nil
}

// newManifest is an empty manifest of settings s.
func newManifest(s Settings, modelDir, dataPath string) *Manifest {
	m := &Manifest{Schema: SchemaVersion, ConfigHash: s.Hash(), Settings: s, ModelDir: modelDir,
		DataPath: dataPath, Columns: map[string]string{}, Shards: []ShardInfo{}, Code: buildinfo.Get()}
	for _, h := range s.Hooks {
		m.Columns[h] = StateColumn(h)
	}
	return m
}

// add appends a shard and counts it in the totals.
func (m *Manifest) add(sh ShardInfo) {
	m.Shards = append(m.Shards, sh)
	m.Snippets += sh.Snippets
	m.Rows += sh.Rows
	m.Tokens += sh.Tokens
	m.Problems += len(sh.Problems)
}

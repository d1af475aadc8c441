package train

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/models/tokenizer"
)

// EndOfText separates documents in the packed stream.
const EndOfText = "<|endoftext|>"

// Corpus is the tokenized data of a run.
type Corpus struct {
	Train *Stream
	Val   map[string]*Stream
	// Files and Bytes per language and split actually used.
	Files map[string]map[datasets.Split]int
	Bytes map[string]map[datasets.Split]int64
	// ManifestHash identifies the exact files used.
	ManifestHash string
}

// sampleKeep decides deterministically whether a file is kept when a language's split is capped.
func sampleKeep(path string, frac float64) bool {
	if frac >= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte("sample:" + path))
	return float64(h.Sum64()>>11)/float64(1<<53) < frac
}

// PipelineOptions modify how RunPipeline runs.
type PipelineOptions struct {
	// Backend is the GoMLX backend spec ("" for the default).
	Backend string
	// ExportOnly skips training: the last checkpoint in the work directory is evaluated and
	// exported as it is (the model card then says how many of the planned steps were done).
	ExportOnly bool
}

// RunPipeline runs (or resumes) an LM pre-training run end to end and writes the model to OutDir.
func RunPipeline(ctx context.Context, cfg RunConfig, po PipelineOptions, progress io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return err
	}
	roots := datasets.DiscoverRoots()
	opts := datasets.DefaultWalkOptions()
	opts.MaxFileBytes, opts.ValFraction, opts.TestFraction = cfg.Data.MaxFileBytes, cfg.Data.ValFraction, cfg.Data.TestFraction
	for _, l := range cfg.Data.Languages {
		lang, err := datasets.ParseLanguage(l)
		if err != nil {
			return fmt.Errorf("data.languages: %w", err)
		}
		opts.Languages = append(opts.Languages, lang)
	}

	// Pass 1: sizes per language and split, to turn byte caps into sampling fractions.
	fmt.Fprintf(progress, "corpus: scanning %d roots\n", len(roots))
	totals := map[string]map[datasets.Split]int64{}
	stats, err := datasets.Walk(roots, opts, func(f datasets.File) error {
		l := string(f.Language)
		if totals[l] == nil {
			totals[l] = map[datasets.Split]int64{}
		}
		totals[l][f.Split] += int64(f.Size)
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(progress, stats.String())
	frac := func(l string, s datasets.Split) float64 {
		capB := map[datasets.Split]int64{datasets.Train: cfg.Data.MaxTrainBytesPerLanguage, datasets.Validation: cfg.Data.MaxValBytesPerLanguage}[s]
		if capB == 0 || totals[l][s] <= capB {
			return 1
		}
		return float64(capB) / float64(totals[l][s])
	}
	keep := func(f datasets.File) bool {
		return f.Split != datasets.Test && sampleKeep(f.Path, frac(string(f.Language), f.Split))
	}

	tok, tokPath, err := obtainTokenizer(ctx, cfg, roots, opts, keep, progress)
	if err != nil {
		return err
	}
	corpus, err := buildCorpus(ctx, cfg, roots, opts, keep, tok, progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "corpus: %d training tokens; validation tokens:", len(corpus.Train.Tokens))
	for _, l := range sortedKeys(corpus.Val) {
		fmt.Fprintf(progress, " %s %d", l, len(corpus.Val[l].Tokens))
	}
	fmt.Fprintln(progress)

	backend, err := models.NewBackend(po.Backend)
	if err != nil {
		return err
	}
	mcfg := cfg.ModelConfig(tok.VocabSize())
	m, err := models.NewRandom(mcfg, backend, cfg.Train.Seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "model: %s, %.2fM parameters, context %d\n", mcfg.ModelType, float64(mcfg.NumParams())/1e6, mcfg.MaxPositions)
	tr, err := New(m, cfg.Train, filepath.Join(cfg.WorkDir, "checkpoints"), corpus.Train, corpus.Val)
	if err != nil {
		return err
	}
	tr.Progress = progress
	if tr.Step() > 0 {
		fmt.Fprintf(progress, "train: resuming at step %d\n", tr.Step())
	}
	trainStart := time.Now()
	if po.ExportOnly {
		if tr.Step() == 0 {
			return fmt.Errorf("train: --export-only: no checkpoint in %s", filepath.Join(cfg.WorkDir, "checkpoints"))
		}
		fmt.Fprintf(progress, "train: exporting the checkpoint at step %d of %d without training\n", tr.Step(), cfg.Train.Steps)
		if err := tr.Evaluate(); err != nil {
			return err
		}
	} else if err := tr.Run(ctx); err != nil {
		return err
	}
	return exportModel(cfg, m, tokPath, tr, corpus, time.Since(trainStart), time.Since(start))
}

// obtainTokenizer loads the configured tokenizer, the one trained earlier in WorkDir, or trains one
// on (a sample of) the training split.
func obtainTokenizer(ctx context.Context, cfg RunConfig, roots []datasets.Root, opts datasets.WalkOptions,
	keep func(datasets.File) bool, progress io.Writer) (*tokenizer.Tokenizer, string, error) {
	path := cfg.Tokenizer.Path
	if path == "" {
		path = filepath.Join(cfg.WorkDir, models.TokenizerFile)
		if _, err := os.Stat(path); os.IsNotExist(err) {
			if err := trainTokenizer(ctx, cfg, roots, opts, keep, path, progress); err != nil {
				return nil, "", err
			}
		}
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, "", err
	}
	if _, ok := tok.TokenID(EndOfText); !ok {
		return nil, "", fmt.Errorf("tokenizer %s has no %s token to separate documents", path, EndOfText)
	}
	return tok, path, nil
}

// buildCorpus tokenizes the kept files into the packed training stream and per-language
// validation streams (a few seconds for tens of MB, so not cached), and writes the manifest.
func buildCorpus(ctx context.Context, cfg RunConfig, roots []datasets.Root, opts datasets.WalkOptions,
	keep func(datasets.File) bool, tok *tokenizer.Tokenizer, progress io.Writer) (*Corpus, error) {
	eos, _ := tok.TokenID(EndOfText)
	c := &Corpus{Train: &Stream{}, Val: map[string]*Stream{}, Files: map[string]map[datasets.Split]int{}, Bytes: map[string]map[datasets.Split]int64{}}
	var manifest []datasets.ManifestEntry
	started, n := time.Now(), 0
	_, err := datasets.Walk(roots, opts, func(f datasets.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !keep(f) {
			return nil
		}
		l := string(f.Language)
		ids := tok.IDs(tok.Encode(f.Content))
		dst := c.Train
		if f.Split == datasets.Validation {
			if c.Val[l] == nil {
				c.Val[l] = &Stream{}
			}
			dst = c.Val[l]
		}
		for _, id := range ids {
			dst.Tokens = append(dst.Tokens, int32(id))
		}
		dst.Tokens = append(dst.Tokens, int32(eos))
		if c.Files[l] == nil {
			c.Files[l], c.Bytes[l] = map[datasets.Split]int{}, map[datasets.Split]int64{}
		}
		c.Files[l][f.Split]++
		c.Bytes[l][f.Split] += int64(f.Size)
		manifest = append(manifest, f.ManifestEntry())
		if n++; n%2000 == 0 {
			fmt.Fprintf(progress, "corpus: tokenized %d files (%.0f s)\n", n, time.Since(started).Seconds())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.ManifestHash = datasets.ManifestHash(manifest)
	if err := datasets.WriteManifest(filepath.Join(cfg.WorkDir, "manifest.jsonl"), manifest); err != nil {
		return nil, err
	}
	return c, nil
}

// UnigramEntropy is the entropy (nats/token) of the empirical token distribution of s: the loss of
// the best model that ignores context, on this very data.
func UnigramEntropy(s *Stream) float64 {
	counts := map[int32]int{}
	for _, t := range s.Tokens {
		counts[t]++
	}
	h, n := 0.0, float64(len(s.Tokens))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log(p)
	}
	return h
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hostDescription() string {
	return fmt.Sprintf("%s/%s, %d CPUs, Go %s, simd=%t", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), models.SIMDBuild)
}

// Package pipeline is `pttrust states extract` as an Apache Beam pipeline: line-state
// extraction spread over a runner's workers, with the bytes of the command.
//
// The pipeline:
//
//  1. Plan (at construction, where the pipeline is launched): the --data glob's files, in name
//     order, are the input; their Parquet footers give the snippet count, and the shards are
//     the snippet ranges `states extract` writes (extract.ShardRanges). Each file is cut along
//     the ranges into read tasks.
//  2. Read (readFn): a task's rows, each keyed by its shard.
//  3. GroupByKey: the snippets of one shard, a deterministic range.
//  4. Extract (extractFn): loads the model in Setup (once per worker process, see pool), sorts a
//     shard's snippets by input index and runs extract.ShardExtractor, the code of `states
//     extract`, which writes OutDir/shard-NNNNN.parquet atomically (temporary file, rename): a
//     retried or duplicated bundle rewrites the same name with the same bytes.
//  5. Manifest (manifestFn): once, with every shard's result as a side input: writes
//     OutDir/manifest.json as `states extract` does.
//
// For one input file the folder equals `pttrust states extract --data FILE`'s, file for file and
// byte for byte. Workers must see the input files and the output folder at the same paths
// (a shared or mounted file system).
package pipeline

import (
	"context"
	"fmt"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism" // the default runner
	"github.com/pttrust/pttrust/states/extract"
)

// Config is what the pipeline reads, computes and writes: the fields of `states extract`, with
// DataPath a file or a glob of snippets Parquet files and ModelDir "" for the embedded
// tinycoder (resolved on each worker), plus the concurrency of a worker process.
type Config struct {
	extract.Config
	// Concurrency bounds the shards one worker process extracts at once, each with its own copy
	// of the model; 0 means 1. GoMLX's pure-Go backend already spreads one forward pass over
	// the cores, so more than 1 pays only when a pass leaves cores idle.
	Concurrency int `json:"concurrency"`
}

func init() {
	beam.RegisterType(reflect.TypeOf((*readTask)(nil)).Elem())
	register.DoFn3x1[context.Context, readTask, func(int, []byte), error](&readFn{})
	register.Emitter2[int, []byte]()
	register.DoFn4x1[context.Context, int, func(*[]byte) bool, func([]byte), error](&extractFn{})
	register.Iter1[[]byte]()
	register.Emitter1[[]byte]()
	register.DoFn3x1[context.Context, []byte, func(*[]byte) bool, error](&manifestFn{})
}

// validate checks the fields that need neither the model nor the input.
func (c *Config) validate() error {
	probe := c.Config
	if probe.ModelDir == "" {
		probe.ModelDir = "(embedded tinycoder)" // resolved on the workers
	}
	if err := probe.Validate(); err != nil {
		return err
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("Concurrency (--concurrency): %d is negative", c.Concurrency)
	}
	return nil
}

// Plan is a built pipeline with what it will do.
type Plan struct {
	Pipeline *beam.Pipeline
	// Data identifies the input; Files are its files in input order.
	Data  extract.DataInfo
	Files []string
	// Shards is the number of shards.
	Shards int
}

// Build plans the extraction (reading the input files' footers and hashing them) and builds the
// pipeline.
func Build(cfg Config) (*Plan, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("pttrust-beam: %w", err)
	}
	files, data, err := planInput(cfg.DataPath)
	if err != nil {
		return nil, fmt.Errorf("pttrust-beam: %w", err)
	}
	ranges := extract.ShardRanges(data.Snippets, cfg.ShardSnippets)
	tasks := readTasks(files, ranges)

	p, s := beam.NewPipelineWithRoot()
	var results beam.PCollection
	if len(tasks) > 0 {
		taskCol := beam.CreateList(s.Scope("plan"), tasks)
		keyed := beam.ParDo(s.Scope("read"), &readFn{}, taskCol)
		grouped := beam.GroupByKey(s.Scope("shard"), keyed)
		results = beam.ParDo(s.Scope("extract"), &extractFn{Cfg: cfg, Data: data}, grouped)
	} else {
		results = beam.CreateList(s.Scope("no shards"), [][]byte{})
	}
	beam.ParDo0(s.Scope("manifest"), &manifestFn{Cfg: cfg, Data: data, Shards: len(ranges)},
		beam.Impulse(s), beam.SideInput{Input: results})
	plan := &Plan{Pipeline: p, Data: data, Shards: len(ranges)}
	for _, f := range files {
		plan.Files = append(plan.Files, f.Path)
	}
	return plan, nil
}

// Run builds the pipeline, runs it on the named runner ("" for Prism, in this process unless
// Beam's --endpoint names a job server) and returns the manifest it wrote.
func Run(ctx context.Context, cfg Config, runner string) (*extract.Manifest, error) {
	plan, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	if runner == "" {
		runner = "prism"
	}
	if _, err := beam.Run(ctx, runner, plan.Pipeline); err != nil {
		return nil, fmt.Errorf("pttrust-beam: %s runner: %w", runner, err)
	}
	man, err := extract.ReadManifest(cfg.OutDir)
	if err != nil {
		return nil, fmt.Errorf("pttrust-beam: the pipeline finished but: %w", err)
	}
	return man, nil
}

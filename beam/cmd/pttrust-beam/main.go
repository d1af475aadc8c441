// Command pttrust-beam runs `pttrust states extract` as an Apache Beam pipeline:
//
//	pttrust-beam extract [--runner prism] [beam flags] [--model DIR] --data GLOB --out DIR
//
// The default runner is Prism in this process. Beam's own flags (--runner, --endpoint,
// --environment_type, --environment_config, --job_name, Dataflow's --project, --region, ...)
// go to Beam; --job_endpoint is another name for --endpoint. The same binary is the worker:
// a runner's container starts it with --worker, which beam.Init turns into the SDK harness.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx" // every Beam runner and file system
	"github.com/pttrust/pttrust/beam/pipeline"
	"github.com/pttrust/pttrust/internal/buildinfo"
	"github.com/pttrust/pttrust/internal/gctune"
	"github.com/pttrust/pttrust/models"
	"github.com/pttrust/pttrust/states/extract"
)

const usage = `usage: pttrust-beam extract [--runner prism|flink|spark|dataflow|universal] [beam flags]
    [--model DIR|FILE.gguf] --data FILE|GLOB --out DIR [--hooks H,...] [--window N]
    [--batch-tokens N] [--shard-snippets N] [--attention-layer L] [--no-lookback]
    [--no-token-stats] [--backend SPEC] [--concurrency N]

Writes the shards and manifest.json of ` + "`pttrust states extract`" + ` (the same bytes for one input
file). See beam/README.md. Flags (pttrust's and Beam's):
`

// flags registers the extract flags (those of `pttrust states extract`, plus --concurrency) on
// the standard flag set, which Beam's own flags share.
func flags(fs *flag.FlagSet, c *pipeline.Config) (jobEndpoint *string) {
	fs.StringVar(&c.ModelDir, "model", "", "Hugging Face checkpoint directory or .gguf file, on the workers; default: the embedded tinycoder")
	fs.StringVar(&c.DataPath, "data", "", "snippets Parquet file, or a glob of them (read in name order as one input)")
	fs.StringVar(&c.OutDir, "out", "", "output directory (shards and manifest.json), shared by the workers")
	fs.Func("hooks", "comma-separated hook points to write at each line's last token (default blocks.{layers/4}.resid_post)", func(v string) error {
		c.Hooks = nil
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.Hooks = append(c.Hooks, h)
			}
		}
		return nil
	})
	fs.IntVar(&c.Window, "window", 0, "tokens per forward pass for long snippets (0: min(context, 1024)); stride window/2")
	fs.IntVar(&c.BatchTokens, "batch-tokens", 0, "padded tokens per forward pass (0: 4096)")
	fs.IntVar(&c.ShardSnippets, "shard-snippets", 0, "input snippets per output shard (0: 1024)")
	fs.IntVar(&c.AttentionLayer, "attention-layer", -1, "block whose attention gives the lookback ratio (-1: the first hook's layer)")
	fs.BoolVar(&c.NoLookback, "no-lookback", false, "skip the attention lookback ratio")
	fs.BoolVar(&c.NoTokenStats, "no-token-stats", false, "skip the token log-prob and entropy columns (the pass stops after the deepest hook)")
	fs.StringVar(&c.Backend, "backend", "", "GoMLX backend on the workers (default $GOMLX_BACKEND or go)")
	fs.IntVar(&c.Concurrency, "concurrency", 1, "shards extracted at once per worker process, each with its own model copy")
	return fs.String("job_endpoint", "", "job server endpoint (another name for Beam's --endpoint)")
}

func main() {
	if !models.SIMDBuild {
		fmt.Fprintln(os.Stderr, buildinfo.SIMDWarning)
	}
	gctune.Apply()
	var c pipeline.Config
	c.Config = extract.DefaultConfig()
	jobEndpoint := flags(flag.CommandLine, &c)
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	args := os.Args[1:]
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		os.Exit(2)
	}
	beam.Init() // in worker mode (--worker) this runs the SDK harness and does not return
	if sub != "extract" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *jobEndpoint != "" {
		*jobopts.Endpoint = *jobEndpoint
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stderr, c, *runners.Runner); err != nil {
		fmt.Fprintln(os.Stderr, "pttrust-beam:", err)
		os.Exit(1)
	}
}

// run runs the pipeline and prints what it wrote and how fast.
func run(ctx context.Context, w io.Writer, c pipeline.Config, runner string) error {
	if runner == "" {
		runner = "prism"
	}
	t0 := time.Now()
	man, err := pipeline.Run(ctx, c, runner)
	if err != nil {
		return err
	}
	if !man.Complete {
		return errors.New("the manifest is not complete")
	}
	d := time.Since(t0)
	fmt.Fprintf(w, "wrote %d rows in %d shards to %s (%d problems, see %s) on %s in %s: %.0f tokens/s\n",
		man.Rows, len(man.Shards), c.OutDir, man.Problems, extract.ManifestName, runner,
		d.Round(time.Millisecond), float64(man.Tokens)/d.Seconds())
	return nil
}

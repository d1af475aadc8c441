package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pttrust/pttrust/datasets"
	"github.com/spf13/cobra"
)

func newDatasetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "datasets", Short: "Build labeled snippet files (Parquet): mutants of real code, imported bug benchmarks"}
	cmd.AddCommand(newDatasetsMutateCmd(), newDatasetsImportCmd())
	return cmd
}

// datasetsMutateOptions are the inputs of `pttrust datasets mutate`.
type datasetsMutateOptions struct {
	Src              []string
	Discover         bool
	Splits           []string
	Langs            []string
	Out              string
	Seed             uint64
	LineMutants      int
	OperatorMutants  int
	MinRate, MaxRate float64
	Mix              bool
	LineOps, TokOps  []string
	MaxFiles         int
	Source           string
}

func newDatasetsMutateCmd() *cobra.Command {
	var o datasetsMutateOptions
	d := datasets.DefaultMutateOptions()
	cmd := &cobra.Command{
		Use:   "mutate (--src DIR... | --discover) --out FILE.parquet",
		Short: "Mutate real code: each program as a clean snippet plus line and operator mutants with per-line labels",
		Long: `mutate walks source trees (--src directories, or the machine's discovered roots with
--discover), and writes for each program its clean original and its mutants: the paper's line
operators (replace_line, insert_line, delete_line) at 15-25 % of the lines, and one-edit operator
mutants (comparison_flip, off_by_one, arithmetic_swap, boolean_negation, swap_arguments,
wrong_variable). Runs are deterministic for a seed. Files left out are listed with their reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDatasetsMutate(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Src, "src", nil, "source directory to walk (repeatable)")
	f.BoolVar(&o.Discover, "discover", false, "walk the source trees found on this machine (GOROOT, Python stdlib, JDK src.zip, /usr/include, node_modules)")
	f.StringSliceVar(&o.Splits, "split", nil, "keep files of these splits only (train, validation, test); default all")
	f.StringSliceVar(&o.Langs, "lang", nil, "languages (go, python, java, c, cpp, javascript, typescript); default all")
	f.StringVar(&o.Out, "out", "", "output Parquet file")
	f.Uint64Var(&o.Seed, "seed", d.Seed, "random seed")
	f.IntVar(&o.LineMutants, "line-mutants", d.LineMutantsPerFile, "line mutants per program")
	f.IntVar(&o.OperatorMutants, "operator-mutants", d.OperatorMutantsPerFile, "operator mutants per program")
	f.Float64Var(&o.MinRate, "min-rate", d.MinLineRate, "least share of eligible lines a line mutant edits")
	f.Float64Var(&o.MaxRate, "max-rate", d.MaxLineRate, "largest share of eligible lines a line mutant edits")
	f.BoolVar(&o.Mix, "mix", false, "mix the line operators within one line mutant (task line_mixed)")
	f.StringSliceVar(&o.LineOps, "line-ops", nil, "line operators to use; default all")
	f.StringSliceVar(&o.TokOps, "operators", nil, "operator mutants to use; default all")
	f.IntVar(&o.MaxFiles, "max-files", 0, "take at most this many files per language (0: all)")
	f.StringVar(&o.Source, "source", d.Source, "value of the source column")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runDatasetsMutate(stdout, stderr io.Writer, o datasetsMutateOptions) error {
	opts := datasets.DefaultMutateOptions()
	opts.Seed, opts.LineMutantsPerFile, opts.OperatorMutantsPerFile = o.Seed, o.LineMutants, o.OperatorMutants
	opts.MinLineRate, opts.MaxLineRate, opts.MixLineOperators, opts.Source = o.MinRate, o.MaxRate, o.Mix, o.Source
	for _, s := range o.Langs {
		l, err := datasets.ParseLanguage(s)
		if err != nil {
			return err
		}
		opts.Languages = append(opts.Languages, l)
	}
	ops := func(names []string) ([]datasets.Operator, error) {
		var out []datasets.Operator
		for _, n := range names {
			op, err := datasets.ParseOperator(strings.TrimSpace(n))
			if err != nil {
				return nil, err
			}
			out = append(out, op)
		}
		return out, nil
	}
	var err error
	if len(o.LineOps) > 0 {
		if opts.LineOps, err = ops(o.LineOps); err != nil {
			return err
		}
	}
	if len(o.TokOps) > 0 {
		if opts.TokenOps, err = ops(o.TokOps); err != nil {
			return err
		}
	}
	var splits []datasets.Split
	for _, s := range o.Splits {
		sp, err := datasets.ParseSplit(s)
		if err != nil {
			return err
		}
		splits = append(splits, sp)
	}
	var roots []datasets.Root
	for _, dir := range o.Src {
		roots = append(roots, datasets.DirRoots(dir, opts.Languages)...)
	}
	if o.Discover {
		roots = append(roots, datasets.DiscoverRoots()...)
	}
	if len(roots) == 0 {
		return errors.New("datasets mutate: give --src DIR or --discover")
	}
	walk := datasets.DefaultWalkOptions()
	walk.MaxFilesPerLanguage = o.MaxFiles
	rep, stats, err := datasets.MutateCorpus(roots, walk, splits, opts, o.Out)
	if rep != nil {
		printReport(stdout, stderr, rep)
	}
	if err != nil {
		return err
	}
	if files, _ := stats.Total(); files == 0 {
		return fmt.Errorf("datasets mutate: no source file found in %v", roots)
	}
	fmt.Fprintf(stdout, "wrote %d snippets to %s\n", rep.Total(), o.Out)
	return nil
}

// datasetsImportOptions are the inputs of `pttrust datasets import`.
type datasetsImportOptions struct {
	Format, In, Fixed, Manifest, Out, Lang, Source string
}

func newDatasetsImportCmd() *cobra.Command {
	var o datasetsImportOptions
	cmd := &cobra.Command{
		Use:   "import --format debugbench|humanevalpack|pairs --in PATH --out FILE.parquet",
		Short: "Import a bug benchmark you downloaded: buggy and fixed twins, line labels from a line diff",
		Long: `import reads a benchmark from local files and writes each usable record as a buggy snippet
(lines the fix changes or removes are labeled 1; a pure insertion marks the line before it) and
its fixed twin (all 0), sharing a pair id. Each row records its bug type (task), category and
group (the problem); the train/validation/test split is drawn per group, across languages.
  debugbench     the authors' GitHub folder (<language>_<subtype>.json arrays: cpp_double.json)
                 or Hugging Face records with language, category, subtype; buggy_code,
                 oracle_code, slug (the group); category: syntax, reference, logic, multiple
  humanevalpack  <lang>/humanevalpack.jsonl: task_id (its number is the group), prompt,
                 buggy_solution, canonical_solution, bug_type
  pairs          DIR/buggy and DIR/fixed with matching file names (or --in BUGGY --fixed FIXED);
                 DIR/manifest.csv (or --manifest) gives per buggy file: file,bug_type,category,group
Malformed records are listed with their position and skipped; the run goes on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDatasetsImport(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "", "debugbench, humanevalpack or pairs")
	f.StringVar(&o.In, "in", "", "input file or directory")
	f.StringVar(&o.Fixed, "fixed", "", "pairs: directory of fixed files when --in is the buggy one")
	f.StringVar(&o.Manifest, "manifest", "", "pairs: CSV with file,bug_type,category,group (default: DIR/manifest.csv if present)")
	f.StringVar(&o.Out, "out", "", "output Parquet file")
	f.StringVar(&o.Lang, "lang", "", "language of records that do not name a known one")
	f.StringVar(&o.Source, "source", "", "value of the source column (default: the format)")
	for _, name := range []string{"format", "in", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runDatasetsImport(stdout, stderr io.Writer, o datasetsImportOptions) error {
	opts := datasets.DefaultImportOptions()
	opts.Format, opts.In, opts.Fixed, opts.Manifest, opts.Source = datasets.ImportFormat(o.Format), o.In, o.Fixed, o.Manifest, o.Source
	if o.Lang != "" {
		l, err := datasets.ParseLanguage(o.Lang)
		if err != nil {
			return err
		}
		opts.Language = l
	}
	rep, err := datasets.Import(opts, o.Out)
	if rep != nil {
		printReport(stdout, stderr, rep)
	}
	if err != nil {
		return err
	}
	if rep.Total() == 0 {
		return fmt.Errorf("datasets import: no usable record in %s", o.In)
	}
	fmt.Fprintf(stdout, "wrote %d snippets to %s\n", rep.Total(), o.Out)
	return nil
}

// printReport writes the summary to stdout and the inputs left out to stderr (the first 50; the
// walker's skips, numerous on discovered roots, after the engine's and importer's own).
func printReport(stdout, stderr io.Writer, rep *datasets.Report) {
	fmt.Fprint(stdout, rep)
	const show = 50
	problems := slices.Clone(rep.Problems)
	slices.SortStableFunc(problems, func(a, b datasets.Problem) int {
		return cmp.Compare(btoi(strings.HasPrefix(a.Reason, "walk_")), btoi(strings.HasPrefix(b.Reason, "walk_")))
	})
	for i, p := range problems {
		if i == show {
			fmt.Fprintf(stderr, "... and %d more left out\n", rep.Skipped()-show)
			break
		}
		fmt.Fprintf(stderr, "left out: %s\n", p)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

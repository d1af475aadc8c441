package experiments

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pttrust/pttrust/datasets"
)

// lmSplit fractions are those of the shipped LM's corpus (experiments/tinycoder.toml): a file
// in their train split may have been seen by the LM.
const lmValFraction, lmTestFraction = 0.05, 0.05

// languages parses the configured languages ([] = nil, every language).
func (d DataConfig) languages() []datasets.Language {
	var out []datasets.Language
	for _, s := range d.Languages {
		l, _ := datasets.ParseLanguage(s) // checked by Validate
		out = append(out, l)
	}
	return out
}

// sourceRoots returns the source trees mutation data is drawn from: those found on this machine
// (datasets.DiscoverRoots), as strings for the data stage's key and the results' notes. Which Go,
// Python and JDK trees are found depends on the machine and the environment (GOROOT,
// GOTOOLCHAIN, the python3 on PATH), and the data depends on them.
func sourceRoots() ([]datasets.Root, []string) {
	roots := datasets.DiscoverRoots()
	names := make([]string, len(roots))
	for i, r := range roots {
		names[i] = r.String()
	}
	return roots, names
}

// buildData writes the snippets file of d to out (atomically) and returns the importer's or
// mutation engine's report. Mutation data is drawn from roots. Imported data keeps the buggy
// versions only (in the asked languages): their fixed twins would only serve stage 1, which
// reads [pretrain_data] when the labeled data is a benchmark, and would double the extraction.
func buildData(ctx context.Context, d DataConfig, roots []datasets.Root, seed uint64, out string, progress io.Writer) (*datasets.Report, error) {
	if d.Format == "mutation" {
		return buildMutants(ctx, d, roots, seed, out, progress)
	}
	opts := datasets.DefaultImportOptions()
	opts.Format = datasets.ImportFormat(d.Format)
	opts.In = d.Path
	opts.MaxCodeBytes = d.MaxCodeBytes
	opts.ValFraction, opts.TestFraction = d.ValFraction, d.TestFraction
	langs := d.languages()
	var rows []datasets.Snippet
	rep, err := datasets.ImportSnippets(opts, func(s datasets.Snippet) error {
		if s.Role == datasets.RoleBuggy && (len(langs) == 0 || slices.Contains(langs, s.Language)) &&
			keepProblem(s, d.ProblemFraction) {
			rows = append(rows, s)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("data: no usable record in %s (%s)", d.Path, strings.TrimSpace(rep.String()))
	}
	if err := datasets.WriteSnippetSlice(out, rows); err != nil {
		return nil, err
	}
	return rep, nil
}

// keepProblem reports whether a snippet's problem is among the kept share (ProblemFraction): a
// salted hash of its group (the problem id; the pair id when there is none) below the share.
func keepProblem(s datasets.Snippet, share float64) bool {
	if share <= 0 || share >= 1 {
		return true
	}
	g := s.Group
	if g == "" {
		g = s.PairID
	}
	sum := sha256.Sum256([]byte("pttrust-problem-sample\x00" + g))
	return float64(binary.BigEndian.Uint64(sum[:8]))/float64(^uint64(0)) < share
}

// buildMutants samples d.FilesPerLanguage files per language from the source trees of this
// machine and writes each program with its mutants. The sample is the files with the smallest
// salted hash of their stable path (one pass, a bounded heap per language), so it spreads over
// the whole tree; files are then mutated in (language, hash) order, which makes the output
// depend only on the trees, the configuration and the seed.
func buildMutants(ctx context.Context, d DataConfig, roots []datasets.Root, seed uint64, out string, progress io.Writer) (*datasets.Report, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("data: no source trees found on this machine (GOROOT, Python stdlib, JDK src.zip, /usr/include, node_modules)")
	}
	salt := fmt.Sprintf("pttrust-experiment:%d:", seed)
	picked, err := sampleFiles(ctx, roots, d, salt, nil, progress)
	if err != nil {
		return nil, err
	}
	opts := datasets.DefaultMutateOptions()
	opts.Seed = seed
	opts.Languages = d.languages()
	opts.LineMutantsPerFile = d.LineMutantsPerFile
	opts.OperatorMutantsPerFile = d.OperatorMutantsPerFile
	m, err := datasets.NewMutator(opts)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	_, err = datasets.WriteSnippets(out, func(write func(datasets.Snippet) error) error {
		for _, l := range datasets.AllLanguages {
			for _, kf := range picked[l].sorted() {
				f := kf.file
				// Another salt than the sampling key's: the sample holds the smallest keys, which
				// must not decide the split.
				f.Split = datasets.SplitOf("split:"+salt+f.Path, d.ValFraction, d.TestFraction)
				if err := m.File(f, write); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return m.Report(), nil
}

// sampleFiles picks d.FilesPerLanguage files per language from the trees (sizes and languages
// of d, files outside the LM's training split when d.LMHeldOut): those with the smallest hash of
// salt and their stable path, in one pass with a bounded heap per language. skip, when set,
// drops files before they are considered.
func sampleFiles(ctx context.Context, roots []datasets.Root, d DataConfig, salt string, skip func(datasets.File) bool, progress io.Writer) (map[datasets.Language]*fileHeap, error) {
	walk := datasets.DefaultWalkOptions()
	walk.MaxFileBytes, walk.MinFileBytes = d.MaxFileBytes, d.MinFileBytes
	walk.Languages = d.languages()
	picked := map[datasets.Language]*fileHeap{}
	seen := 0
	_, err := datasets.Walk(roots, walk, func(f datasets.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		seen++
		if progress != nil && seen%2000 == 0 {
			fmt.Fprintf(progress, "\rdata: %d files read", seen)
		}
		if d.LMHeldOut && datasets.SplitOf(f.Path, lmValFraction, lmTestFraction) == datasets.Train {
			return nil
		}
		if skip != nil && skip(f) {
			return nil
		}
		h := picked[f.Language]
		if h == nil {
			h = &fileHeap{}
			picked[f.Language] = h
		}
		k := hashKey("pick:" + salt + f.Path)
		if h.Len() < d.FilesPerLanguage {
			heap.Push(h, keyed{k, f})
		} else if k < (*h)[0].key {
			(*h)[0] = keyed{k, f}
			heap.Fix(h, 0)
		}
		return nil
	})
	if progress != nil {
		fmt.Fprintf(progress, "\rdata: %d files read\n", seen)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return picked, nil
}

// hashKey is the first 8 bytes of SHA-256(s), big-endian.
func hashKey(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}

func compareU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyed is a file with its sampling key.
type keyed struct {
	key  uint64
	file datasets.File
}

// fileHeap is a max-heap on key: its root is the file to drop when a smaller key comes.
type fileHeap []keyed

// sorted returns the files in key order (none for a nil heap).
func (h *fileHeap) sorted() []keyed {
	if h == nil {
		return nil
	}
	files := slices.Clone(*h)
	slices.SortFunc(files, func(a, b keyed) int { return compareU64(a.key, b.key) })
	return files
}

func (h fileHeap) Len() int           { return len(h) }
func (h fileHeap) Less(i, j int) bool { return h[i].key > h[j].key }
func (h fileHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fileHeap) Push(x any)        { *h = append(*h, x.(keyed)) }
func (h *fileHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

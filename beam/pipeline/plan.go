package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pttrust/pttrust/datasets"
	"github.com/pttrust/pttrust/states/extract"
)

// inputFile is one snippets file of the input, in input order.
type inputFile struct {
	Path  string
	Rows  int // rows, from the Parquet footer
	First int // input index of its first row
}

// readTask is the part of one input file that falls in one shard: rows [From, To) of Path,
// whose first is input row First. The read step turns it into keyed snippets.
type readTask struct {
	Path     string
	Shard    int
	From, To int
	First    int
}

// expand lists the files of a glob in name order (a plain path is a glob of one file); a glob
// matching nothing is an error.
func expand(glob string) ([]string, error) {
	paths, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("--data %q: %w", glob, err)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(glob); err != nil {
			return nil, fmt.Errorf("--data %q: no such file (a path or a glob of snippets Parquet files)", glob)
		}
		paths = []string{glob}
	}
	slices.Sort(paths)
	return paths, nil
}

// planInput reads the footers of the input files and identifies the input: the snippets are the
// files' rows, file after file in name order. The identity is that of `pttrust states extract`
// for one file (its SHA-256, size and row count); for several files it is the SHA-256 and size
// of their bytes concatenated in that order.
func planInput(glob string) ([]inputFile, extract.DataInfo, error) {
	paths, err := expand(glob)
	if err != nil {
		return nil, extract.DataInfo{}, err
	}
	var files []inputFile
	var data extract.DataInfo
	h := sha256.New()
	for _, p := range paths {
		n, err := datasets.CountSnippets(p)
		if err != nil {
			return nil, data, err
		}
		size, err := hashFile(h, p)
		if err != nil {
			return nil, data, err
		}
		files = append(files, inputFile{Path: p, Rows: n, First: data.Snippets})
		data.Snippets += n
		data.Bytes += size
	}
	data.SHA256 = hex.EncodeToString(h.Sum(nil))
	return files, data, nil
}

// hashFile adds a file's bytes to h and returns its size.
func hashFile(h io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return n, nil
}

// readTasks cuts the input files along the shards' snippet ranges.
func readTasks(files []inputFile, ranges []extract.SnippetRange) []readTask {
	var out []readTask
	for i, rg := range ranges {
		for _, f := range files {
			from, to := max(rg.First, f.First), min(rg.End, f.First+f.Rows)
			if from < to {
				out = append(out, readTask{Path: f.Path, Shard: i, From: from - f.First, To: to - f.First, First: from})
			}
		}
	}
	return out
}

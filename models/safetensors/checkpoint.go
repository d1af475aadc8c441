package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// maxListedProblems bounds how many checkpoint problems an OpenDir error spells out.
const maxListedProblems = 20

// Checkpoint is a set of safetensors files read as one: a single model.safetensors, or the shards
// listed by model.safetensors.index.json. Tensor names are unique across its files.
type Checkpoint struct {
	// Dir is the directory the checkpoint was opened from.
	Dir string
	// IndexPath is the path of the index file, or "" for a single-file checkpoint.
	IndexPath string
	// IndexMetadata is the index's "metadata" object (e.g. total_size), nil without an index.
	IndexMetadata map[string]any

	files []*File
	where map[string]*File
	names []string
}

// OpenDir opens the checkpoint in dir. With model.safetensors.index.json present it opens every
// shard the index names and checks index and shards against each other: every file exists, every
// listed tensor is in its shard, every stored tensor is listed for the shard that holds it, and no
// tensor is stored twice; all problems are reported in one error (wrapping ErrMissing,
// ErrDuplicate or ErrUnexpected). Without an index it opens model.safetensors; without that, the
// directory's only .safetensors file that is not named like a shard. Errors name the files.
func OpenDir(dir string) (*Checkpoint, error) {
	idxPath := filepath.Join(dir, IndexFileName)
	data, err := os.ReadFile(idxPath)
	switch {
	case err == nil:
		return openIndexed(dir, idxPath, data)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("safetensors %s: %w", idxPath, err)
	}
	path, err := singleFile(dir)
	if err != nil {
		return nil, err
	}
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Dir: dir, files: []*File{f}, where: make(map[string]*File, len(f.names)), names: f.Names()}
	for _, name := range f.names {
		c.where[name] = f
	}
	return c, nil
}

// singleFile finds the file of an unsharded checkpoint in dir.
func singleFile(dir string) (string, error) {
	path := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return path, nil // Open reports other errors with the path
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return "", fmt.Errorf("safetensors %s: %w", dir, err)
	}
	var candidates []string
	for _, m := range matches {
		if !shardPattern.MatchString(filepath.Base(m)) {
			candidates = append(candidates, m)
		}
	}
	switch len(candidates) {
	case 1:
		return candidates[0], nil
	case 0:
		return "", fmt.Errorf("safetensors %s: %w: no %s, no %s and no other .safetensors file", dir, ErrMissing, IndexFileName, SingleFileName)
	}
	return "", fmt.Errorf("safetensors %s: %w: no %s or %s, and several .safetensors files to choose from: %s",
		dir, ErrMissing, IndexFileName, SingleFileName, strings.Join(candidates, ", "))
}

// openIndexed opens a sharded checkpoint from its parsed index.
func openIndexed(dir, idxPath string, data []byte) (*Checkpoint, error) {
	idx, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", idxPath, err)
	}
	c := &Checkpoint{Dir: dir, IndexPath: idxPath, IndexMetadata: idx.metadata, where: make(map[string]*File, len(idx.weightMap))}

	// Open each listed file once, in name order.
	listed := map[string][]string{} // file → tensors the index puts in it
	for name, file := range idx.weightMap {
		listed[file] = append(listed[file], name)
	}
	fileNames := make([]string, 0, len(listed))
	for file := range listed {
		fileNames = append(fileNames, file)
	}
	sort.Strings(fileNames)
	var problems []error
	byName := map[string]*File{}
	for _, file := range fileNames {
		path := filepath.Join(dir, file)
		f, err := Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			sort.Strings(listed[file])
			problems = append(problems, fmt.Errorf("%w: file %s, listed for %d tensor(s) such as %q, does not exist",
				ErrMissing, path, len(listed[file]), listed[file][0]))
			continue
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		c.files = append(c.files, f)
		byName[file] = f
	}

	// Who holds what, in file order.
	holders := map[string][]*File{}
	for _, f := range c.files {
		for _, name := range f.names {
			holders[name] = append(holders[name], f)
		}
	}
	all := make([]string, 0, len(holders)+len(idx.weightMap))
	for name := range holders {
		all = append(all, name)
	}
	for name := range idx.weightMap {
		if _, ok := holders[name]; !ok {
			all = append(all, name)
		}
	}
	sort.Strings(all)
	for _, name := range all {
		hs := holders[name]
		file, inIndex := idx.weightMap[name]
		if len(hs) > 1 {
			paths := make([]string, len(hs))
			for i, h := range hs {
				paths[i] = h.Path
			}
			problems = append(problems, fmt.Errorf("%w: tensor %q is stored in %d files: %s", ErrDuplicate, name, len(hs), strings.Join(paths, ", ")))
			continue
		}
		switch {
		case !inIndex:
			problems = append(problems, fmt.Errorf("%w: tensor %q is stored in %s but not listed in the index", ErrUnexpected, name, hs[0].Path))
		case byName[file] == nil:
			// the missing file is already reported
		case len(hs) == 0:
			problems = append(problems, fmt.Errorf("%w: tensor %q is listed in %s, which does not hold it", ErrMissing, name, byName[file].Path))
		case hs[0] != byName[file]:
			problems = append(problems, fmt.Errorf("%w: tensor %q is listed in %s but stored in %s", ErrMissing, name, byName[file].Path, hs[0].Path))
		default:
			c.where[name] = hs[0]
			c.names = append(c.names, name)
		}
	}
	if len(problems) > 0 {
		c.Close()
		n := len(problems)
		if n > maxListedProblems {
			problems = append(problems[:maxListedProblems], fmt.Errorf("... and %d more", n-maxListedProblems))
		}
		return nil, fmt.Errorf("safetensors %s: %d problem(s) between index and shards:\n%w", idxPath, n, errors.Join(problems...))
	}
	return c, nil
}

// Close closes every file of the checkpoint.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Files returns the open files of the checkpoint, sorted by path.
func (c *Checkpoint) Files() []*File {
	return slices.Clone(c.files)
}

// Names returns the names of all tensors of the checkpoint, sorted.
func (c *Checkpoint) Names() []string {
	return slices.Clone(c.names)
}

// Info returns the description of the named tensor and the path of the file that holds it.
func (c *Checkpoint) Info(name string) (TensorInfo, string, bool) {
	f, ok := c.where[name]
	if !ok {
		return TensorInfo{}, "", false
	}
	info, _ := f.Info(name)
	return info, f.Path, true
}

// Float32 reads the named tensor as float32 from whichever file holds it (see File.Float32).
func (c *Checkpoint) Float32(name string) ([]float32, []int, error) {
	f, ok := c.where[name]
	if !ok {
		return nil, nil, c.missing(name)
	}
	return f.Float32(name)
}

// Bytes returns the raw bytes of the named tensor and its description (see File.Bytes).
func (c *Checkpoint) Bytes(name string) ([]byte, TensorInfo, error) {
	f, ok := c.where[name]
	if !ok {
		return nil, TensorInfo{}, c.missing(name)
	}
	return f.Bytes(name)
}

func (c *Checkpoint) missing(name string) error {
	return fmt.Errorf("safetensors checkpoint %s: %w: no tensor %q", c.Dir, ErrMissing, name)
}

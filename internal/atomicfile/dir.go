package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteDir makes dir anew as a whole: fill writes the new content into a fresh temporary folder
// beside dir (same parent, so the same file system; named ".<name>.tmp-<random>", so two writers
// never share it); every file and folder in it is synced; then it takes dir's place in one
// rename. Where the platform can swap two paths atomically (Linux renameat2 RENAME_EXCHANGE)
// a reader of dir sees the old content or the new, never a mix and never nothing; elsewhere the
// old folder is moved aside first, so dir is briefly absent but never mixed. The old content is
// then removed. On any error (fill's included) dir is left as it was and the temporary folder
// is removed. dir's files are replaced by fill's only: a file of the old folder that fill does
// not write is gone afterwards.
func WriteDir(dir string, fill func(tmp string) error) (err error) {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("%s: cannot replace this folder as a whole (name a folder below it)", dir)
	}
	if parent == "" {
		parent = "."
	}
	if info, err := os.Lstat(dir); err == nil && !info.IsDir() {
		return fmt.Errorf("%s exists and is not a folder", dir)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+TempInfix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = syncTree(tmp); err != nil {
		return fmt.Errorf("%s: syncing the new content: %w", dir, err)
	}
	return replaceDir(tmp, dir)
}

// TempInfix is in the name of WriteDir's temporary folders (".<name>.tmp-<random>").
const TempInfix = ".tmp-"

// replaceDir puts the folder tmp in dir's place (dir may be missing) and removes the old one.
func replaceDir(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		syncDir(filepath.Dir(dir))
		return nil
	}
	switch err := exchange(tmp, dir); {
	case err == nil: // tmp now holds the old content
		syncDir(filepath.Dir(dir))
		return os.RemoveAll(tmp)
	case !errors.Is(err, errNoExchange):
		return fmt.Errorf("%s: swapping in the new content: %w", dir, err)
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%s: %w (and putting the old folder back from %s: %v)", dir, err, old, rerr)
		}
		return err
	}
	syncDir(filepath.Dir(dir))
	return os.RemoveAll(old)
}

// errNoExchange says the platform or file system cannot swap two paths in one step.
var errNoExchange = errors.New("atomic exchange not supported")

// syncTree fsyncs every regular file and folder below root (root included).
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		serr := f.Sync()
		if cerr := f.Close(); serr == nil {
			serr = cerr
		}
		if d.IsDir() && serr != nil { // some file systems cannot sync a folder: its files are synced
			return nil
		}
		return serr
	})
}

// RemoveStale removes the temporary folders that WriteDir runs on dir left behind when they were
// killed. Call it only while no other process can be writing dir (under a lock on it).
func RemoveStale(dir string) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	ents, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "."+base+TempInfix) {
			errs = append(errs, os.RemoveAll(filepath.Join(parent, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// CheckWritable makes sure dir exists (creating it and its parents) and that a file can be
// created in it, so that a long job fails at its start rather than when it saves its result.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

//go:build !unix

package filelock

import "os"

// tryLock is a no-op where flock is unavailable: runs sharing a work folder are not serialized
// there (the stage folders' DONE markers and atomic writes still keep finished stages whole).
func tryLock(f *os.File) (bool, error) { return true, nil }

func unlock(f *os.File) error { return nil }

// Package filelock serializes work on a shared folder between processes: an exclusive lock on a
// lock file, held until Unlock or the process's end (the kernel drops it when the process dies,
// so a killed run never leaves a stale lock on Unix).
package filelock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
	info bool // the lock file holds this holder's record (TryAcquire)
}

// Acquire takes the exclusive lock of path (created if missing, with its parent folders),
// waiting while another process holds it. waiting, when not nil, is called once if the lock is
// busy, before the wait (to tell the user).
func Acquire(path string, waiting func()) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	told := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return &Lock{f: f, path: path}, nil
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ErrBusy is returned (wrapped) by TryAcquire when another holder has the lock.
var ErrBusy = errors.New("held by another run")

// TryAcquire takes the exclusive lock of path without waiting and records who holds it (about,
// with this process's id) in the lock file. When another holder has it, the error wraps ErrBusy
// and says what that holder recorded.
func TryAcquire(path, about string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		holder, _ := io.ReadAll(io.LimitReader(f, 1024))
		f.Close()
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "a process that recorded nothing"
		}
		return nil, fmt.Errorf("%w: %s", ErrBusy, who)
	}
	info := fmt.Sprintf("pid %d, %s\n", os.Getpid(), about)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0) // best effort: only messages read it
	}
	return &Lock{f: f, path: path, info: true}, nil
}

// Unlock releases the lock (the lock file stays: removing it would race with a waiter).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	if l.info {
		_ = l.f.Truncate(0) // the holder's record goes with the lock
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

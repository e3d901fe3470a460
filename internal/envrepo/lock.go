package envrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a busy lock is tried again.
const lockPoll = 20 * time.Millisecond

// repoLock takes the repository-wide Palisade lock: an flock on
// <gitdir>/palisade.lock. The kernel drops it when the process dies, so a
// killed run never leaves it behind. It serialises Palisade processes (and
// Repo values within one process) working on the same repository.
func repoLock(ctx context.Context, gitDir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(gitDir, "palisade.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("envrepo: opening the repository lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("envrepo: locking the repository: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("envrepo: waiting for another Palisade run on %s: %w", gitDir, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// staleLockTries is how many times a git lock file (ref.lock, index.lock)
// is waited for before it is taken to be left by a killed process. Callers
// hold the repository lock, so no other Palisade run holds one; git
// commands hold theirs for milliseconds.
var staleLockTries = 100

// createLockFile creates the git lock file path+".lock" exclusively. A
// lock file that stays for staleLockTries×lockPoll (2 s) while this process holds
// the repository lock is stale (left by a killed run) and is removed.
func createLockFile(path string) (*os.File, error) {
	lock := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if i == staleLockTries {
			if err := os.Remove(lock); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			continue
		}
		if i > staleLockTries {
			return nil, fmt.Errorf("%s is locked by another process", lock)
		}
		time.Sleep(lockPoll)
	}
}

// commitLockFile writes data into the lock file, syncs it and renames it
// over path: readers see the old or the new content, never a mix.
func commitLockFile(f *os.File, path string, data []byte) error {
	lock := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(lock)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(lock)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(lock)
		return err
	}
	if err := os.Rename(lock, path); err != nil {
		os.Remove(lock)
		return err
	}
	return nil
}

func abortLockFile(f *os.File) {
	name := f.Name()
	f.Close()
	os.Remove(name)
}

// Package gitstore reads many objects of a git repository on disk without
// reopening its pack files for each one.
//
// The storage git.PlainOpen gives opens a pack file for every object it
// reads from it, resolving each component of the file's path on the way,
// and closes it again. Reading the ~5,000 files of a 1,000-tenant
// environment tree, or the tenant files of an estate, from a packed
// repository (any clone or fetch, which is what CI works from) spent most
// of its time doing that. Bulk gives a storage over the same repository
// that keeps the pack files it opens open until released.
//
// The storages Bulk and Open give also look for an object once more when
// the repository's packs changed since they listed them: a render's
// upkeep of an environment repository (or git gc) may pack loose objects
// and merge packs while another run reads it.
package gitstore

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Bulk returns a storer that reads the repository s reads and keeps the
// pack files it opens open, and the function that closes them. Unlike s,
// the storer is for one goroutine at a time: go-git does not guard its
// open pack files. When s is not a repository on disk, Bulk returns s and
// a function that does nothing.
//
// The storer reads the packs that exist when it first looks for one, as
// go-git's storages do; objects s writes afterwards as loose objects are
// read too, those it writes as a pack (a large commit) are not: take a
// new storer after a commit.
func Bulk(s storer.EncodedObjectStorer) (storer.EncodedObjectStorer, func()) {
	var fs *filesystem.Storage
	switch s := s.(type) {
	case *filesystem.Storage:
		fs = s
	case *storage:
		fs = s.Storage
	default:
		return s, func() {}
	}
	b := filesystem.NewStorageWithOptions(fs.Filesystem(), objects, filesystem.Options{KeepDescriptors: true})
	return newStorage(b), func() { _ = b.Close() }
}

// Open opens the repository at dir as git.PlainOpenWithOptions does, over
// a storage that shares its object cache with Bulk's: what a walk through
// the repository's history reads, a bulk read of the same trees finds,
// and the other way round.
func Open(dir string, o *git.PlainOpenOptions) (*git.Repository, error) {
	r, err := git.PlainOpenWithOptions(dir, o)
	if err != nil {
		return nil, err
	}
	st, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return r, nil
	}
	var wt billy.Filesystem
	if w, err := r.Worktree(); err == nil {
		wt = w.Filesystem
	}
	return git.Open(newStorage(filesystem.NewStorage(st.Filesystem(), objects)), wt)
}

// storage is a repository's storage that looks for an object once more,
// after listing the repository's packs again, when it finds it neither
// where its packs said nor loose, and the packs have changed since it
// listed them: another process packed the loose objects or merged the
// packs meanwhile (a render's upkeep of its repository, or git gc). git
// itself looks again the same way; go-git's storage lists the packs once.
// HasEncodedObject does not look again: a writer asks it of every object
// it is about to write, which is mostly absent, and an object wrongly
// taken for absent is only written twice.
type storage struct {
	*filesystem.Storage
	packDir string
	// listed is the modification time of the pack directory when the
	// packs were last listed again (zero: not yet).
	listed time.Time
}

func newStorage(s *filesystem.Storage) *storage {
	return &storage{Storage: s, packDir: filepath.Join(s.Filesystem().Root(), "objects", "pack")}
}

// again reports whether a lookup that failed with err is worth doing
// again, and if so makes the storage list the packs anew.
func (s *storage) again(err error) bool {
	if !errors.Is(err, plumbing.ErrObjectNotFound) && !errors.Is(err, dotgit.ErrPackfileNotFound) {
		return false
	}
	fi, statErr := os.Stat(s.packDir)
	if statErr != nil || fi.ModTime().Equal(s.listed) {
		return false
	}
	s.listed = fi.ModTime()
	s.Reindex()
	return true
}

func (s *storage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.Storage.EncodedObject(t, h)
	if err != nil && s.again(err) {
		o, err = s.Storage.EncodedObject(t, h)
	}
	return o, err
}

func (s *storage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	n, err := s.Storage.EncodedObjectSize(h)
	if err != nil && s.again(err) {
		n, err = s.Storage.EncodedObjectSize(h)
	}
	return n, err
}

// objects is the object cache of every storage Bulk and Open make. Git objects
// are named by their content, so one cache serves every repository, and
// each storage finds what those before it read: the commits of a history
// an evidence export verifies share most of their files, and a storage
// per read would read them all again. go-git guards the cache; its size is
// that of the cache git.PlainOpen gives each repository.
var objects = cache.NewObjectLRUDefault()

// ClearCache empties the cache Bulk's storages share. A benchmark calls it
// before each operation to measure what a run that reads the repository
// for the first time does, rather than what the previous operation left.
func ClearCache() { objects.Clear() }

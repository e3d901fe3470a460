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
package gitstore

import (
	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
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
	fs, ok := s.(*filesystem.Storage)
	if !ok {
		return s, func() {}
	}
	b := filesystem.NewStorageWithOptions(fs.Filesystem(), objects, filesystem.Options{KeepDescriptors: true})
	return b, func() { _ = b.Close() }
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
	return git.Open(filesystem.NewStorage(st.Filesystem(), objects), wt)
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

package envrepo

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// ErrStop, returned by a History callback, ends the walk without error.
var ErrStop = errors.New("envrepo: stop the walk")

// HistoryCommit is one commit of a branch's first-parent history: its
// files, its first parent's (an empty snapshot for a root commit) and who
// made it.
type HistoryCommit struct {
	*Snapshot
	Parent    *Snapshot
	Author    object.Signature
	Committer object.Signature
	Message   string
	// Merge is true for a commit with more than one parent: Parent is its
	// first.
	Merge bool
}

// History calls fn with each commit of the snapshot's first-parent
// history, newest first, until fn returns an error (ErrStop ends the walk
// cleanly) or the root commit has been seen.
func (s *Snapshot) History(fn func(c *HistoryCommit) error) error {
	if s.Empty() {
		return nil
	}
	cur := s
	for cur != nil && !cur.Empty() {
		c := cur.commit
		parent := &Snapshot{Branch: s.Branch, s: s.s}
		if len(c.ParentHashes) > 0 {
			var err error
			if parent, err = newSnapshot(s.s, s.Branch, c.ParentHashes[0]); err != nil {
				return err
			}
		}
		hc := &HistoryCommit{
			Snapshot: cur, Parent: parent, Author: c.Author, Committer: c.Committer,
			Message: c.Message, Merge: len(c.ParentHashes) > 1,
		}
		if err := fn(hc); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
		cur = parent
	}
	return nil
}

// DirHash is the git tree hash of the directory dir ("clusters"), zero
// when the snapshot has no such directory: two snapshots hold the same
// files below dir exactly when their DirHash is equal.
func (s *Snapshot) DirHash(dir string) (plumbing.Hash, error) {
	t, err := s.dir(dir)
	if t == nil || err != nil {
		return plumbing.ZeroHash, err
	}
	return t.Hash, nil
}

// ChangedPaths lists the files below the directory prefix that differ
// between the snapshot and other (added, removed or modified), sorted;
// subtrees both hold unchanged are not read.
func (s *Snapshot) ChangedPaths(other *Snapshot, prefix string) ([]string, error) {
	dir := strings.Trim(prefix, "/")
	a, err := s.dir(dir)
	if err != nil {
		return nil, err
	}
	b, err := other.dir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	err = diffTrees(s.s, other.s, a, b, dir, &out)
	slices.Sort(out)
	return out, err
}

func diffTrees(sa, sb storer.EncodedObjectStorer, a, b *object.Tree, dir string, out *[]string) error {
	if a != nil && b != nil && a.Hash == b.Hash {
		return nil
	}
	entries := map[string][2]*object.TreeEntry{}
	var names []string
	add := func(t *object.Tree, side int) {
		if t == nil {
			return
		}
		for i := range t.Entries {
			e := &t.Entries[i]
			pair, seen := entries[e.Name]
			if !seen {
				names = append(names, e.Name)
			}
			pair[side] = e
			entries[e.Name] = pair
		}
	}
	add(a, 0)
	add(b, 1)
	slices.Sort(names)
	for _, name := range names {
		pair := entries[name]
		p := join(dir, name)
		ea, eb := pair[0], pair[1]
		if ea != nil && eb != nil && ea.Hash == eb.Hash && ea.Mode == eb.Mode {
			continue
		}
		var ta, tb *object.Tree
		var err error
		if ea != nil && ea.Mode == filemode.Dir {
			if ta, err = object.GetTree(sa, ea.Hash); err != nil {
				return fmt.Errorf("envrepo: reading tree %s: %w", p, err)
			}
		}
		if eb != nil && eb.Mode == filemode.Dir {
			if tb, err = object.GetTree(sb, eb.Hash); err != nil {
				return fmt.Errorf("envrepo: reading tree %s: %w", p, err)
			}
		}
		if ta != nil || tb != nil {
			if err := diffTrees(sa, sb, ta, tb, p, out); err != nil {
				return err
			}
		}
		// A file on either side (or a file replaced by a directory).
		if (ea != nil && ea.Mode != filemode.Dir && ea.Mode != filemode.Submodule) ||
			(eb != nil && eb.Mode != filemode.Dir && eb.Mode != filemode.Submodule) {
			*out = append(*out, p)
		}
	}
	return nil
}

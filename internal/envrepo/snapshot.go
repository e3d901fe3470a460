package envrepo

import (
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/palisade-gitops/palisade/internal/gitstore"
)

// Snapshot is read access to the files of the branch tip: the baseline a
// render is compared against (change detection, freeze hold-back). It is
// immutable; the zero Commit means the branch does not exist yet and the
// snapshot holds no file.
type Snapshot struct {
	// Commit is the tip commit, zero for a branch not created yet.
	Commit plumbing.Hash
	// Branch is the branch name ("main").
	Branch string

	s      storer.EncodedObjectStorer
	commit *object.Commit
	tree   *object.Tree
}

// ReadTip reads the tip of branch in the git repository at the local path
// dir, strictly read-only: unlike Open it recovers nothing, takes no lock
// and creates nothing. It is for reading ahead, e.g. while the estate
// loads; a Publish must still go through Open, and compare the commit.
func ReadTip(dir, branch string) (*Snapshot, error) {
	r, err := gitstore.Open(dir, &git.PlainOpenOptions{DetectDotGit: false})
	if err != nil {
		return nil, fmt.Errorf("envrepo: opening %s: %w", dir, err)
	}
	ref, err := r.Storer.Reference(plumbing.NewBranchReferenceName(branch))
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading branch %s of %s: %w", branch, dir, err)
	}
	return newSnapshot(r.Storer, branch, ref.Hash())
}

func newSnapshot(s storer.EncodedObjectStorer, branch string, tip plumbing.Hash) (*Snapshot, error) {
	snap := &Snapshot{Commit: tip, Branch: branch, s: s}
	if tip.IsZero() {
		return snap, nil
	}
	c, err := object.GetCommit(s, tip)
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading commit %s: %w", tip, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading the tree of %s: %w", tip, err)
	}
	snap.commit, snap.tree = c, t
	return snap, nil
}

// Empty reports whether the branch does not exist yet.
func (s *Snapshot) Empty() bool { return s.Commit.IsZero() }

// Message is the tip commit's message ("" for an empty branch); its last
// paragraph holds the trailers of the render that made it.
func (s *Snapshot) Message() string {
	if s.commit == nil {
		return ""
	}
	return s.commit.Message
}

// TreeHash is the tip's tree, zero for an empty branch.
func (s *Snapshot) TreeHash() plumbing.Hash {
	if s.tree == nil {
		return plumbing.ZeroHash
	}
	return s.tree.Hash
}

// dir returns the tree at the slash directory path, or nil.
func (s *Snapshot) dir(dir string) (*object.Tree, error) {
	if s.tree == nil {
		return nil, nil
	}
	dir = strings.Trim(dir, "/")
	if dir == "" || dir == "." {
		return s.tree, nil
	}
	e, err := s.tree.FindEntry(dir)
	if err != nil || e.Mode != filemode.Dir {
		return nil, nil
	}
	t, err := object.GetTree(s.s, e.Hash)
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading tree %s: %w", dir, err)
	}
	return t, nil
}

func (s *Snapshot) walk(t *object.Tree, dir string, fn func(p string, e object.TreeEntry) error) error {
	return walkTree(s.s, t, dir, nil, fn)
}

// walkTree calls fn for each file below the tree t of the directory dir,
// reading subtrees from st.
func walkTree(st storer.EncodedObjectStorer, t *object.Tree, dir string, skip map[string]bool, fn func(p string, e object.TreeEntry) error) error {
	for _, e := range t.Entries {
		p := join(dir, e.Name)
		if e.Mode == filemode.Dir {
			if skip[p] {
				continue
			}
			sub, err := object.GetTree(st, e.Hash)
			if err != nil {
				return fmt.Errorf("envrepo: reading tree %s: %w", p, err)
			}
			if err := walkTree(st, sub, p, skip, fn); err != nil {
				return err
			}
			continue
		}
		if e.Mode == filemode.Submodule {
			continue
		}
		if err := fn(p, e); err != nil {
			return err
		}
	}
	return nil
}

// Paths lists the files (slash paths, sorted) below the directory prefix
// ("clusters/" or "clusters"; "" for all).
func (s *Snapshot) Paths(prefix string) ([]string, error) {
	dir := strings.Trim(prefix, "/")
	t, err := s.dir(dir)
	if t == nil || err != nil {
		return nil, err
	}
	var out []string
	err = s.walk(t, dir, func(p string, _ object.TreeEntry) error {
		out = append(out, p)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Read returns the content of the file at the slash path p; the error
// wraps fs.ErrNotExist if there is none.
func (s *Snapshot) Read(p string) ([]byte, error) {
	if s.tree == nil {
		return nil, fmt.Errorf("envrepo: %s: %w", p, fs.ErrNotExist)
	}
	e, err := s.tree.FindEntry(p)
	if err != nil || e.Mode == filemode.Dir || e.Mode == filemode.Submodule {
		return nil, fmt.Errorf("envrepo: %s: %w", p, fs.ErrNotExist)
	}
	return s.blob(e.Hash)
}

func (s *Snapshot) blob(h plumbing.Hash) ([]byte, error) {
	return readBlob(s.s, h)
}

func readBlob(st storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	o, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading blob %s: %w", h, err)
	}
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The object knows its size: one read into a buffer of that size,
	// rather than a copy through a scratch buffer per blob.
	b := make([]byte, o.Size())
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("envrepo: reading blob %s: %w", h, err)
	}
	return b, nil
}

// Files reads every file below the directory prefix ("" for all) into a
// map by slash path: the form pipeline baselines take. The directories
// skip (slash paths) are left out, unread.
func (s *Snapshot) Files(prefix string, skip ...string) (map[string][]byte, error) {
	dir := strings.Trim(prefix, "/")
	t, err := s.dir(dir)
	out := map[string][]byte{}
	if t == nil || err != nil {
		return out, err
	}
	skipped := make(map[string]bool, len(skip))
	for _, d := range skip {
		skipped[strings.Trim(d, "/")] = true
	}
	// Every tree and blob below dir: through a storage that keeps the
	// pack files open rather than opening one per object.
	st, release := gitstore.Bulk(s.s)
	defer release()
	err = walkTree(st, t, dir, skipped, func(p string, e object.TreeEntry) error {
		b, err := readBlob(st, e.Hash)
		if err != nil {
			return err
		}
		out[p] = b
		return nil
	})
	return out, err
}

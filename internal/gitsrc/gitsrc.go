// Package gitsrc reads the estate's own git repository: where a render came
// from (provenance for the environment repository's trailers and decision
// records), and, for pull-request checks, the estate as it stood at a
// revision and the files a change touched.
package gitsrc

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"
)

// Repo is the git repository holding an estate.
type Repo struct {
	repo *git.Repository
	// Dir is the repository's top-level directory.
	Dir string
	// Sub is the estate root relative to Dir, slash-separated ("." at the
	// top).
	Sub string
}

// ErrNotRepository says the estate is not inside a git repository.
var ErrNotRepository = errors.New("not inside a git repository")

// Open finds the repository holding the estate root.
func Open(root string) (*Repo, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", root, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the git repository of %s: %w", root, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	top := wt.Filesystem.Root()
	// Compare real paths: a temporary directory may sit behind a symlink.
	if t, err := filepath.EvalSymlinks(top); err == nil {
		top = t
	}
	if a, err := filepath.EvalSymlinks(abs); err == nil {
		abs = a
	}
	sub, err := filepath.Rel(top, abs)
	if err != nil || strings.HasPrefix(sub, "..") {
		return nil, fmt.Errorf("estate %s is outside its repository %s", root, top)
	}
	return &Repo{repo: r, Dir: top, Sub: filepath.ToSlash(sub)}, nil
}

// Provenance is where a render came from.
type Provenance struct {
	Repo   string
	Commit string
	Dirty  bool
}

// Provenance reports the repository's origin URL (credentials removed; the
// directory when there is no origin), its HEAD commit and whether the
// estate has uncommitted changes.
func (r *Repo) Provenance() (Provenance, error) {
	var p Provenance
	p.Repo = r.Dir
	if rem, err := r.repo.Remote("origin"); err == nil && len(rem.Config().URLs) > 0 {
		p.Repo = CleanURL(rem.Config().URLs[0])
	}
	head, err := r.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		p.Dirty = true // no commit yet: everything is uncommitted
		return p, nil
	}
	if err != nil {
		return p, err
	}
	p.Commit = head.Hash().String()
	wt, err := r.repo.Worktree()
	if err != nil {
		return p, err
	}
	st, err := wt.StatusWithOptions(git.StatusOptions{Strategy: git.Preload})
	if err != nil {
		return p, err
	}
	for path, s := range st {
		if r.Sub != "." && !strings.HasPrefix(path, r.Sub+"/") {
			continue
		}
		if s.Worktree != git.Unmodified || s.Staging != git.Unmodified {
			if s.Worktree == git.Untracked && !estateFile(path) {
				continue
			}
			p.Dirty = true
			break
		}
	}
	return p, nil
}

// estateFile reports whether an untracked path would change a render.
func estateFile(p string) bool {
	return strings.HasSuffix(p, ".cue") || strings.HasSuffix(p, ".pub") || strings.HasSuffix(p, ".rego")
}

// CleanURL removes credentials from a URL for messages and records.
func CleanURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// Commit is a resolved revision.
type Commit struct {
	Rev  string
	Hash string
	c    *object.Commit
}

// Resolve resolves a revision (a branch, tag, hash or expression git
// understands, such as HEAD~1 or origin/main).
func (r *Repo) Resolve(rev string) (*Commit, error) {
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("cannot resolve revision %q in %s: %w", rev, r.Dir, err)
	}
	c, err := r.repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q (%s) is not a commit: %w", rev, h, err)
	}
	return &Commit{Rev: rev, Hash: h.String(), c: c}, nil
}

// Extract writes the commit's whole tree into dir (which must be empty
// or absent) and returns the estate root within it.
func (r *Repo) Extract(c *Commit, dir string) (string, error) {
	t, err := c.c.Tree()
	if err != nil {
		return "", err
	}
	err = t.Files().ForEach(func(f *object.File) error {
		if f.Mode == filemode.Submodule || f.Mode == filemode.Symlink {
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		rd, err := f.Blob.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		w, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := w.ReadFrom(rd); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
	if err != nil {
		return "", fmt.Errorf("extracting %s at %s: %w", r.Dir, c.Rev, err)
	}
	return filepath.Join(dir, filepath.FromSlash(r.Sub)), nil
}

// Change is a file a change touched, relative to the estate root.
type Change struct {
	Path   string `json:"path"`
	Action string `json:"action"` // added, deleted, modified
}

// Changes lists the files under the estate root that differ between two
// commits, with paths relative to the estate root.
func (r *Repo) Changes(base, head *Commit) ([]Change, error) {
	return r.ChangesUnder(base, head, r.Sub)
}

// ChangesUnder lists the files under dir (relative to the repository's
// top, slash-separated; "." for all) that differ between two commits, with
// paths relative to dir.
func (r *Repo) ChangesUnder(base, head *Commit, dir string) ([]Change, error) {
	bt, err := base.c.Tree()
	if err != nil {
		return nil, err
	}
	ht, err := head.c.Tree()
	if err != nil {
		return nil, err
	}
	chs, err := object.DiffTree(bt, ht)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, c := range chs {
		a, err := c.Action()
		if err != nil {
			return nil, err
		}
		p := c.To.Name
		if a == merkletrie.Delete {
			p = c.From.Name
		}
		if dir != "." {
			rel, ok := strings.CutPrefix(p, dir+"/")
			if !ok {
				continue
			}
			p = rel
		}
		act := map[merkletrie.Action]string{merkletrie.Insert: "added", merkletrie.Delete: "deleted", merkletrie.Modify: "modified"}[a]
		out = append(out, Change{Path: p, Action: act})
	}
	return out, nil
}

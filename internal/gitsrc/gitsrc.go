// Package gitsrc reads the estate's own git repository: where a render came
// from (provenance for the environment repository's trailers and decision
// records), and, for pull-request checks, the estate as it stood at a
// revision and the files a change touched.
package gitsrc

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/gitstore"
	"github.com/palisade-gitops/palisade/internal/overlay"
	"github.com/palisade-gitops/palisade/internal/suggest"
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
			return p, nil
		}
	}
	// The status leaves out files .gitignore ignores; the estate loads
	// them all the same.
	c, err := r.repo.CommitObject(head.Hash())
	if err != nil {
		return p, err
	}
	t, err := c.Tree()
	if err != nil {
		return p, err
	}
	for _, dir := range EstateDirs {
		entries, err := os.ReadDir(filepath.Join(r.Dir, filepath.FromSlash(r.Sub), dir))
		if err != nil && !os.IsNotExist(err) {
			return p, err
		}
		// The directory's tree, decoded once: Tree.FindEntry decodes
		// every tree on the path at each call, which made this loop
		// quadratic in the number of tenants.
		committed := map[string]bool{}
		dt, err := t, error(nil)
		if rel := path.Join(r.Sub, dir); rel != "." {
			dt, err = t.Tree(rel)
		}
		if err == nil {
			for _, e := range dt.Entries {
				committed[e.Name] = true
			}
		}
		for _, e := range entries {
			if e.IsDir() || !EstateFile(dir, e.Name()) {
				continue
			}
			if !committed[e.Name()] {
				p.Dirty = true
				return p, nil
			}
		}
	}
	return p, nil
}

// EstateDirs are the directories, relative to the estate root, whose files
// make the estate (not their subdirectories; EstateFile says which files).
var EstateDirs = []string{".", "tiers", "tenants", "keys"}

// EstateFile reports whether the file name in the estate directory dir
// (one of EstateDirs) is part of the estate: a .cue file, or any file of
// keys/.
func EstateFile(dir, name string) bool {
	return dir == "keys" || strings.HasSuffix(name, ".cue")
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

// refNames are the short names of the repository's branches, remote
// branches and tags (main, origin/main, v1.2.0), for a hint.
func (r *Repo) refNames() []string {
	var names []string
	refs, err := r.repo.References()
	if err != nil {
		return nil
	}
	_ = refs.ForEach(func(ref *plumbing.Reference) error {
		if n := ref.Name(); n.IsBranch() || n.IsRemote() || n.IsTag() {
			names = append(names, n.Short())
		}
		return nil
	})
	slices.Sort(names)
	return names
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
		if sh, _ := r.repo.Storer.Shallow(); len(sh) > 0 {
			// actions/checkout's default: the commit is most likely
			// beyond the history fetched.
			return nil, fmt.Errorf("cannot resolve revision %q in %s: %w (the clone is shallow: fetch its history, git fetch --unshallow, or check out with fetch-depth: 0)", rev, r.Dir, err)
		}
		switch {
		case errors.Is(err, io.EOF):
			// go-git's answer to HEAD~N beyond the root commit.
			err = errors.New("it goes back past the repository's first commit")
		case errors.Is(err, plumbing.ErrReferenceNotFound):
			err = fmt.Errorf("%w%s", err, suggest.Hint(rev, r.refNames()))
		}
		return nil, fmt.Errorf("cannot resolve revision %q in %s: %w", rev, r.Dir, err)
	}
	c, err := r.repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q (%s) is not a commit: %w", rev, h, err)
	}
	return &Commit{Rev: rev, Hash: h.String(), c: c}, nil
}

// Author is who wrote the commit.
func (c *Commit) Author() object.Signature { return c.c.Author }

// Committer is who made the commit as it stands (merged, amended or
// rebased it).
func (c *Commit) Committer() object.Signature { return c.c.Committer }

// Message is the commit's message.
func (c *Commit) Message() string { return c.c.Message }

// Signed reports whether the commit carries a signature (OpenPGP or SSH);
// whether it verifies is for the forge or git to say.
func (c *Commit) Signed() bool { return c.c.PGPSignature != "" }

// Parents counts the commit's parents: more than one for a merge.
func (c *Commit) Parents() int { return len(c.c.ParentHashes) }

// Extract writes the commit's whole tree into dir (which must be empty
// or absent) and returns the estate root within it.
func (r *Repo) Extract(c *Commit, dir string) (string, error) {
	root, _, err := r.ExtractFS(c, dir, nil)
	return root, err
}

// ExtractFS is Extract, except that the files under the estate root that
// inMemory selects (by their slash-separated path relative to the root)
// are kept in memory rather than written: it returns the estate root in
// dir and a file system of the estate as the commit has it, those files
// from memory and the others from dir. Creating files is the slow part of
// extracting a large estate, and some files (tenant definitions, say)
// are read only through the file system.
func (r *Repo) ExtractFS(c *Commit, dir string, inMemory func(rel string) bool) (string, fs.FS, error) {
	st, release := gitstore.Bulk(r.repo.Storer)
	defer release()
	t, err := object.GetTree(st, c.c.TreeHash)
	if err != nil {
		return "", nil, err
	}
	root := filepath.Join(dir, filepath.FromSlash(r.Sub))
	mem := fstest.MapFS{}
	made := map[string]bool{}
	err = t.Files().ForEach(func(f *object.File) error {
		if f.Mode == filemode.Submodule || f.Mode == filemode.Symlink {
			return nil
		}
		rel, under := f.Name, true
		if r.Sub != "." {
			rel, under = strings.CutPrefix(f.Name, r.Sub+"/")
		}
		if under && inMemory != nil && inMemory(rel) {
			data, err := f.Contents()
			if err != nil {
				return err
			}
			mem[rel] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if d := filepath.Dir(dst); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
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
		return "", nil, fmt.Errorf("extracting %s at %s: %w", r.Dir, c.Rev, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", nil, err
	}
	return root, overlay.FS{Mem: mem, Disk: os.DirFS(root)}, nil
}

// EstateFS reads the estate's files (EstateFile in each of EstateDirs) as
// commit c has them into memory: a file system rooted at the estate root,
// for estate.LoadFS. Nothing is written to disk.
func (r *Repo) EstateFS(c *Commit) (fs.FS, error) {
	st, release := gitstore.Bulk(r.repo.Storer)
	defer release()
	t, err := object.GetTree(st, c.c.TreeHash)
	if err != nil {
		return nil, err
	}
	mem := fstest.MapFS{}
	for _, dir := range EstateDirs {
		sub := path.Join(r.Sub, dir)
		dt := t
		if sub != "." {
			dt, err = t.Tree(sub)
			if errors.Is(err, object.ErrDirectoryNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s at %s: %w", sub, c.Rev, err)
			}
		}
		for _, e := range dt.Entries {
			if !e.Mode.IsFile() || e.Mode == filemode.Symlink || !EstateFile(dir, e.Name) {
				continue
			}
			f, err := dt.TreeEntryFile(&e)
			if err != nil {
				return nil, fmt.Errorf("reading %s at %s: %w", path.Join(sub, e.Name), c.Rev, err)
			}
			data, err := f.Contents()
			if err != nil {
				return nil, fmt.Errorf("reading %s at %s: %w", path.Join(sub, e.Name), c.Rev, err)
			}
			mem[path.Join(dir, e.Name)] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
		}
	}
	return mem, nil
}

// LoadEstate loads the estate as the commit rev has it, from git alone
// (EstateFS): a render that removes tenants judges them by their own
// calendars as the last render's estate commit had them.
func (r *Repo) LoadEstate(rev string) (*estate.Estate, error) {
	c, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	fsys, err := r.EstateFS(c)
	if err != nil {
		return nil, err
	}
	return estate.LoadFS(fsys, filepath.Join(r.Dir, filepath.FromSlash(r.Sub)))
}

// LoadEstateBeside is LoadEstate evaluating again only what differs from
// beside, an estate loaded already — the one being rendered
// (estate.LoadFSBeside): the estate a render was made from is mostly the
// one the next render loads, and evaluating a thousand tenants twice is
// most of what judging a merge's calendar edits costs.
func (r *Repo) LoadEstateBeside(rev string, beside *estate.Estate) (*estate.Estate, error) {
	c, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	fsys, err := r.EstateFS(c)
	if err != nil {
		return nil, err
	}
	return estate.LoadFSBeside(fsys, filepath.Join(r.Dir, filepath.FromSlash(r.Sub)), beside)
}

// SameBesideTenants reports whether the estate commits a and b have the
// same estate files (EstateFile) outside tenants/: the same platform, tier
// and key files. False when either cannot be read.
func (r *Repo) SameBesideTenants(a, b string) bool {
	ta, err := r.estateTree(a)
	if err != nil {
		return false
	}
	tb, err := r.estateTree(b)
	if err != nil {
		return false
	}
	for _, dir := range EstateDirs {
		if dir == "tenants" {
			continue
		}
		if dir != "." {
			ea, erra := ta.FindEntry(dir)
			eb, errb := tb.FindEntry(dir)
			if (erra == nil) != (errb == nil) || erra == nil && (ea.Hash != eb.Hash || ea.Mode != eb.Mode) {
				return false
			}
			continue
		}
		files := func(t *object.Tree) map[string]plumbing.Hash {
			m := map[string]plumbing.Hash{}
			for _, e := range t.Entries {
				if e.Mode.IsFile() && EstateFile(dir, e.Name) {
					m[e.Name] = e.Hash
				}
			}
			return m
		}
		if !maps.Equal(files(ta), files(tb)) {
			return false
		}
	}
	return true
}

// estateTree is the tree of the estate's root at rev.
func (r *Repo) estateTree(rev string) (*object.Tree, error) {
	c, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	t, err := c.c.Tree()
	if err != nil || r.Sub == "." || r.Sub == "" {
		return t, err
	}
	return t.Tree(r.Sub)
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

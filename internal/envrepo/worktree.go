package envrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// tmpPrefix starts the names of files being written into the work tree;
// leftovers of a killed run are removed by the next one.
const tmpPrefix = ".palisade-tmp-"

// maxDirty is how many changed paths a DirtyError lists.
const maxDirty = 30

// recoveryDepth is how far back along the first-parent history an index
// is recognised as an earlier state of the branch (left by a run killed
// between the branch update and the work tree update).
const recoveryDepth = 100

// worktree is the work tree and index of a non-bare repository whose HEAD
// is the branch.
type worktree struct {
	root, gitDir string
	owned        ownership
	s            storer.EncodedObjectStorer

	version uint32
	mtime   time.Time               // of the index file; zero if there is none
	byName  map[string]*index.Entry // stage-0 entries
	other   []*index.Entry          // entries of unmerged paths
	changed bool                    // the index needs writing

	hook func(stage string) error
}

func loadWorktree(root, gitDir string, owned ownership, s storer.EncodedObjectStorer) (*worktree, error) {
	w := &worktree{root: root, gitDir: gitDir, owned: owned, s: s, version: 2, byName: map[string]*index.Entry{}}
	f, err := os.Open(filepath.Join(gitDir, "index"))
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, fmt.Errorf("envrepo: reading the index: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var idx index.Index
	if err := index.NewDecoder(bufio.NewReader(f)).Decode(&idx); err != nil {
		return nil, fmt.Errorf("envrepo: decoding the index: %w", err)
	}
	w.version, w.mtime = idx.Version, fi.ModTime()
	for _, e := range idx.Entries {
		if e.Stage != 0 { // index.Merged is 1 in go-git, but stage 0 means merged
			w.other = append(w.other, e)
			continue
		}
		w.byName[e.Name] = e
	}
	return w, nil
}

// write saves the index atomically (index.lock, then rename), dropping the
// cached-tree extension that no longer matches.
func (w *worktree) write() error {
	if !w.changed {
		return nil
	}
	idx := &index.Index{Version: w.version}
	if idx.Version < 2 || idx.Version > index.EncodeVersionSupported {
		idx.Version = 2
	}
	for _, e := range w.byName {
		idx.Entries = append(idx.Entries, e)
		if (e.IntentToAdd || e.SkipWorktree) && idx.Version < 3 {
			idx.Version = 3
		}
	}
	idx.Entries = append(idx.Entries, w.other...)
	var b bytes.Buffer
	if err := index.NewEncoder(&b).Encode(idx); err != nil {
		return fmt.Errorf("envrepo: encoding the index: %w", err)
	}
	p := filepath.Join(w.gitDir, "index")
	f, err := createLockFile(p)
	if err != nil {
		return fmt.Errorf("envrepo: locking the index: %w", err)
	}
	if err := commitLockFile(f, p, b.Bytes()); err != nil {
		return fmt.Errorf("envrepo: writing the index: %w", err)
	}
	w.changed = false
	if fi, err := os.Stat(p); err == nil {
		w.mtime = fi.ModTime()
	}
	return nil
}

// ownedNode builds the owned part of the index as a tree; unmerged or
// intent-to-add entries in owned paths come back as problems.
func (w *worktree) ownedNode() (*node, []string) {
	n := newNode()
	var bad []string
	for name, e := range w.byName {
		if !w.owned.owns(name) {
			continue
		}
		if e.IntentToAdd {
			bad = append(bad, name)
			continue
		}
		if err := n.add(name, &fileEntry{hash: e.Hash, mode: e.Mode}); err != nil {
			bad = append(bad, name)
		}
	}
	for _, e := range w.other {
		if w.owned.owns(e.Name) {
			bad = append(bad, e.Name)
		}
	}
	return n, bad
}

// projection is the entry at each owned prefix.
type projection map[string]treeEntry

func projectNode(n *node, owned ownership) projection {
	p := projection{}
	for _, o := range owned {
		dir, name := path.Split(o)
		parent := n.lookup(strings.TrimSuffix(dir, "/"))
		if parent == nil {
			continue
		}
		if d := parent.dirs[name]; d != nil {
			if h := d.treeHash(); !h.IsZero() {
				p[o] = treeEntry{name, filemode.Dir, h}
			}
		} else if f := parent.files[name]; f != nil {
			p[o] = treeEntry{name, f.mode, f.hash}
		}
	}
	return p
}

func projectTree(s storer.EncodedObjectStorer, tree plumbing.Hash, owned ownership) (projection, error) {
	p := projection{}
	if tree.IsZero() {
		return p, nil
	}
	t, err := object.GetTree(s, tree)
	if err != nil {
		return nil, err
	}
	for _, o := range owned {
		e, err := t.FindEntry(o)
		if err != nil {
			continue
		}
		p[o] = treeEntry{path.Base(o), e.Mode, e.Hash}
	}
	return p, nil
}

func (p projection) equal(q projection) bool {
	if len(p) != len(q) {
		return false
	}
	for k, v := range p {
		if w, ok := q[k]; !ok || w.hash != v.hash || w.mode != v.mode {
			return false
		}
	}
	return true
}

func commitTree(s storer.EncodedObjectStorer, c plumbing.Hash) (plumbing.Hash, error) {
	if c.IsZero() {
		return plumbing.ZeroHash, nil
	}
	co, err := object.GetCommit(s, c)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return co.TreeHash, nil
}

// ownedFiles flattens the owned part of a tree.
func ownedFiles(s storer.EncodedObjectStorer, tree plumbing.Hash, owned ownership) (map[string]*fileEntry, error) {
	out := map[string]*fileEntry{}
	if tree.IsZero() {
		return out, nil
	}
	snap := &Snapshot{s: s}
	t, err := object.GetTree(s, tree)
	if err != nil {
		return nil, err
	}
	snap.tree = t
	for _, o := range owned {
		sub, err := snap.dir(o)
		if err != nil {
			return nil, err
		}
		if sub == nil {
			continue
		}
		err = snap.walk(sub, o, func(p string, e object.TreeEntry) error {
			out[p] = &fileEntry{hash: e.Hash, mode: e.Mode}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reconcile brings an index left behind by an interrupted run up to the
// tip: when the owned part of the index equals the tree of an earlier
// commit of the branch (a run was killed after moving the branch and
// before updating the work tree), the owned paths that differ are reset to
// the tip in the work tree and the index. Any other difference between
// index and tip in owned paths is a staged change: a *DirtyError.
func (w *worktree) reconcile(tip plumbing.Hash) error {
	n, bad := w.ownedNode()
	if len(bad) > 0 {
		return w.dirtyError(bad)
	}
	pi := projectNode(n, w.owned)
	tipTree, err := commitTree(w.s, tip)
	if err != nil {
		return fmt.Errorf("envrepo: reading the tip: %w", err)
	}
	pt, err := projectTree(w.s, tipTree, w.owned)
	if err != nil {
		return fmt.Errorf("envrepo: reading the tip: %w", err)
	}
	if pi.equal(pt) {
		return nil
	}
	older := false
	c := tip
	for i := 0; i < recoveryDepth && !older && !c.IsZero(); i++ {
		co, err := object.GetCommit(w.s, c)
		if err != nil {
			return fmt.Errorf("envrepo: reading history: %w", err)
		}
		c = plumbing.ZeroHash
		if len(co.ParentHashes) > 0 {
			c = co.ParentHashes[0]
		}
		t, err := commitTree(w.s, c)
		if err != nil {
			return fmt.Errorf("envrepo: reading history: %w", err)
		}
		pa, err := projectTree(w.s, t, w.owned)
		if err != nil {
			return fmt.Errorf("envrepo: reading history: %w", err)
		}
		older = pi.equal(pa)
	}
	want, err := ownedFiles(w.s, tipTree, w.owned)
	if err != nil {
		return fmt.Errorf("envrepo: reading the tip: %w", err)
	}
	var changes []change
	for p, f := range want {
		e := w.byName[p]
		if e == nil || e.Hash != f.hash || e.Mode != f.mode {
			changes = append(changes, change{path: p, to: f})
		}
	}
	for p, e := range w.byName {
		if w.owned.owns(p) && want[p] == nil {
			changes = append(changes, change{path: p, from: &fileEntry{hash: e.Hash, mode: e.Mode}})
		}
	}
	if !older {
		var paths []string
		for _, c := range changes {
			paths = append(paths, c.path)
		}
		return w.dirtyError(paths)
	}
	return w.apply(changes)
}

func (w *worktree) dirtyError(paths []string) error {
	sort.Strings(paths)
	e := &DirtyError{Dir: w.root}
	if len(paths) > maxDirty {
		e.More = len(paths) - maxDirty
		paths = paths[:maxDirty]
	}
	e.Paths = paths
	return e
}

// check finds local changes in owned paths: files modified, deleted or
// with another mode than the index says, and untracked files that are not
// ignored. Files whose stat data changed but content did not get their
// index entry refreshed.
func (w *worktree) check() error {
	var dirty []string
	for name, e := range w.byName {
		if !w.owned.owns(name) {
			continue
		}
		full := filepath.Join(w.root, filepath.FromSlash(name))
		fi, err := os.Lstat(full)
		if err != nil {
			dirty = append(dirty, name)
			continue
		}
		var data []byte
		switch e.Mode {
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if !fi.Mode().IsRegular() || (fi.Mode()&0o111 != 0) != (e.Mode == filemode.Executable) {
				dirty = append(dirty, name)
				continue
			}
			if w.statClean(e, fi) {
				continue
			}
			if data, err = os.ReadFile(full); err != nil {
				dirty = append(dirty, name)
				continue
			}
		case filemode.Symlink:
			if fi.Mode()&fs.ModeSymlink == 0 {
				dirty = append(dirty, name)
				continue
			}
			if w.statClean(e, fi) {
				continue
			}
			t, err := os.Readlink(full)
			if err != nil {
				dirty = append(dirty, name)
				continue
			}
			data = []byte(t)
		default:
			continue
		}
		if plumbing.ComputeHash(plumbing.BlobObject, data) != e.Hash {
			dirty = append(dirty, name)
			continue
		}
		fillStat(e, fi)
		w.changed = true
	}
	for _, o := range w.owned {
		if err := w.untracked(o, &dirty); err != nil {
			return err
		}
	}
	if len(dirty) > 0 {
		return w.dirtyError(dirty)
	}
	return nil
}

// statClean reports whether the file's stat data match the index entry
// and the entry is not racily clean (modified no earlier than the index).
func (w *worktree) statClean(e *index.Entry, fi os.FileInfo) bool {
	return e.Size == uint32(fi.Size()) && e.ModifiedAt.Equal(fi.ModTime()) && e.ModifiedAt.Before(w.mtime)
}

func readIgnore(file string, domain []string) []gitignore.Pattern {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// untracked walks the owned directory o for files the index does not
// know and gitignore does not exclude, removing leftovers of writes of a
// killed run on the way.
func (w *worktree) untracked(o string, out *[]string) error {
	ps := readIgnore(filepath.Join(w.gitDir, "info", "exclude"), nil)
	ps = append(ps, readIgnore(filepath.Join(w.root, ".gitignore"), nil)...)
	parts := splitPath(o)
	for i := 1; i < len(parts); i++ {
		ps = append(ps, readIgnore(filepath.Join(w.root, filepath.FromSlash(strings.Join(parts[:i], "/")), ".gitignore"), parts[:i])...)
	}
	full := filepath.Join(w.root, filepath.FromSlash(o))
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		if _, ok := w.byName[o]; !ok && !gitignore.NewMatcher(ps).Match(parts, false) {
			*out = append(*out, o)
		}
		return nil
	}
	if gitignore.NewMatcher(ps).Match(parts, true) {
		return nil
	}
	return w.walkUntracked(o, ps, out)
}

func (w *worktree) walkUntracked(dir string, ps []gitignore.Pattern, out *[]string) error {
	abs := filepath.Join(w.root, filepath.FromSlash(dir))
	des, err := os.ReadDir(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, de := range des {
		if de.Name() == ".gitignore" {
			ps = append(ps[:len(ps):len(ps)], readIgnore(filepath.Join(abs, ".gitignore"), splitPath(dir))...)
			break
		}
	}
	m := gitignore.NewMatcher(ps)
	for _, de := range des {
		name := de.Name()
		rel := dir + "/" + name
		if de.IsDir() {
			if name == ".git" || m.Match(splitPath(rel), true) {
				continue
			}
			if err := w.walkUntracked(rel, ps, out); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(name, tmpPrefix) {
			if err := os.Remove(filepath.Join(abs, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if _, ok := w.byName[rel]; ok {
			continue
		}
		if m.Match(splitPath(rel), false) {
			continue
		}
		*out = append(*out, rel)
	}
	return nil
}

// apply brings the given paths of the work tree and the index to their
// new state: deletions first (pruning directories left empty), then
// writes, each file written beside its place and renamed over it.
func (w *worktree) apply(changes []change) error {
	if len(changes) == 0 {
		return nil
	}
	w.changed = true
	dirs := map[string]bool{}
	var writes []change
	for _, c := range changes {
		if c.to != nil {
			writes = append(writes, c)
			continue
		}
		full := filepath.Join(w.root, filepath.FromSlash(c.path))
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("envrepo: removing %s: %w", c.path, err)
		}
		delete(w.byName, c.path)
		if d := path.Dir(c.path); d != "." {
			dirs[d] = true
		}
	}
	pruneDirs(w.root, dirs)
	sort.Slice(writes, func(i, j int) bool { return writes[i].path < writes[j].path })
	for i, c := range writes {
		if w.hook != nil && i == len(writes)/2 {
			if err := w.hook("worktree-half"); err != nil {
				return err
			}
		}
		data := c.to.data
		if data == nil && c.to.mode != filemode.Submodule {
			var err error
			if data, err = readBlob(w.s, c.to.hash); err != nil {
				return err
			}
		}
		full := filepath.Join(w.root, filepath.FromSlash(c.path))
		if err := writeFile(full, data, c.to.mode); err != nil {
			return fmt.Errorf("envrepo: writing %s: %w", c.path, err)
		}
		if c.to.mode == filemode.Submodule {
			continue
		}
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		e := w.byName[c.path]
		if e == nil {
			e = &index.Entry{Name: c.path}
			w.byName[c.path] = e
		}
		e.Hash, e.Mode, e.IntentToAdd, e.SkipWorktree = c.to.hash, c.to.mode, false, false
		fillStat(e, fi)
	}
	return nil
}

// pruneDirs removes the directories (and their parents) left empty.
func pruneDirs(root string, dirs map[string]bool) {
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return strings.Count(list[i], "/") > strings.Count(list[j], "/") })
	for _, d := range list {
		for d != "." && d != "" {
			if os.Remove(filepath.Join(root, filepath.FromSlash(d))) != nil {
				break
			}
			d = path.Dir(d)
		}
	}
}

func writeFile(full string, data []byte, mode filemode.FileMode) error {
	dir := filepath.Dir(full)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	switch mode {
	case filemode.Symlink:
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return os.Symlink(string(data), full)
	case filemode.Submodule:
		return os.MkdirAll(full, 0o755)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	perm := os.FileMode(0o644)
	if mode == filemode.Executable {
		perm = 0o755
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, full)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

package envrepo

import (
	"bytes"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// fileEntry is a file of a tree: its blob, mode and, when known, content.
type fileEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
	data []byte
}

// node is a directory of a tree held in memory.
type node struct {
	dirs  map[string]*node
	files map[string]*fileEntry

	hashed bool
	hash   plumbing.Hash // zero for an empty directory
	enc    []byte
}

func newNode() *node {
	return &node{dirs: map[string]*node{}, files: map[string]*fileEntry{}}
}

// add puts a file at the slash path p.
func (n *node) add(p string, f *fileEntry) error {
	parts := strings.Split(p, "/")
	cur := n
	for i, name := range parts[:len(parts)-1] {
		if _, ok := cur.files[name]; ok {
			return usagef("path %q is both a file and a directory", strings.Join(parts[:i+1], "/"))
		}
		next := cur.dirs[name]
		if next == nil {
			next = newNode()
			cur.dirs[name] = next
		}
		cur = next
	}
	name := parts[len(parts)-1]
	if _, ok := cur.dirs[name]; ok {
		return usagef("path %q is both a file and a directory", p)
	}
	cur.files[name] = f
	return nil
}

// lookup returns the directory at the slash path dir, or nil.
func (n *node) lookup(dir string) *node {
	if dir == "" {
		return n
	}
	cur := n
	for _, name := range strings.Split(dir, "/") {
		if cur == nil {
			return nil
		}
		cur = cur.dirs[name]
	}
	return cur
}

// treeEntry is an entry of an encoded tree.
type treeEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

// encodeTree encodes entries in git's canonical order and returns the
// encoding and the tree's hash.
func encodeTree(es []treeEntry) ([]byte, plumbing.Hash) {
	key := func(e treeEntry) string {
		if e.mode == filemode.Dir {
			return e.name + "/"
		}
		return e.name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
	var b bytes.Buffer
	for _, e := range es {
		b.WriteString(strconv.FormatUint(uint64(e.mode), 8))
		b.WriteByte(' ')
		b.WriteString(e.name)
		b.WriteByte(0)
		b.Write(e.hash[:])
	}
	enc := b.Bytes()
	return enc, plumbing.ComputeHash(plumbing.TreeObject, enc)
}

// treeHash computes (once) the hash of the directory; zero if it holds no
// file at any depth.
func (n *node) treeHash() plumbing.Hash {
	if n.hashed {
		return n.hash
	}
	n.hashed = true
	es := make([]treeEntry, 0, len(n.dirs)+len(n.files))
	for name, d := range n.dirs {
		if h := d.treeHash(); !h.IsZero() {
			es = append(es, treeEntry{name, filemode.Dir, h})
		}
	}
	for name, f := range n.files {
		es = append(es, treeEntry{name, f.mode, f.hash})
	}
	if len(es) == 0 {
		return n.hash
	}
	n.enc, n.hash = encodeTree(es)
	return n.hash
}

// hashBlobs computes the blob hashes of files, in parallel for big trees.
func hashBlobs(files map[string][]byte) map[string]plumbing.Hash {
	out := make(map[string]plumbing.Hash, len(files))
	if len(files) < 256 {
		for p, b := range files {
			out[p] = plumbing.ComputeHash(plumbing.BlobObject, b)
		}
		return out
	}
	type job struct {
		p string
		b []byte
	}
	jobs := make(chan job, 256)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]plumbing.Hash{}
			for j := range jobs {
				local[j.p] = plumbing.ComputeHash(plumbing.BlobObject, j.b)
			}
			mu.Lock()
			for p, h := range local {
				out[p] = h
			}
			mu.Unlock()
		}()
	}
	for p, b := range files {
		jobs <- job{p, b}
	}
	close(jobs)
	wg.Wait()
	return out
}

// ownership classifies directories against the owned prefixes.
type ownership []string // clean slash paths without trailing slash

const (
	notOwned = iota
	partlyOwned
	fullyOwned
	// keptOwned is an owned directory of Change.Keep, or one below it:
	// what the tip has there and the change does not name stays.
	keptOwned
)

func (o ownership) class(dir string) int {
	if dir == "" {
		return partlyOwned
	}
	c := notOwned
	for _, p := range o {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return fullyOwned
		}
		if strings.HasPrefix(p, dir+"/") {
			c = partlyOwned
		}
	}
	return c
}

// owns reports whether the file path p lies under an owned prefix.
func (o ownership) owns(p string) bool {
	for _, q := range o {
		if strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

func normaliseOwned(in []string) (ownership, error) {
	var out ownership
	for _, p := range in {
		q := strings.TrimSuffix(p, "/")
		if q == "" || q == "." || path.Clean(q) != q || strings.HasPrefix(q, "/") || strings.HasPrefix(q, "../") || q == ".." || badComponent(q) {
			return nil, usagef("invalid owned prefix %q", p)
		}
		out = append(out, q)
	}
	if len(out) == 0 {
		return nil, usagef("no owned prefixes")
	}
	sort.Strings(out)
	return out, nil
}

func badComponent(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") || strings.ContainsRune(c, 0) {
			return true
		}
	}
	return false
}

// validPath checks a path of the desired content.
func (o ownership) validPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || badComponent(p) {
		return usagef("invalid file path %q", p)
	}
	if !o.owns(p) {
		return usagef("file %q is outside the owned prefixes %s", p, strings.Join(o, "/, ")+"/")
	}
	return nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// change is one file of the work tree to bring to a new state: to is nil
// for a deletion.
type change struct {
	path     string
	from, to *fileEntry
}

// merger builds the tree of a new commit: the tip tree with the owned
// paths replaced by the desired content. It reads tip trees only where
// they differ and writes only objects the store lacks.
type merger struct {
	s     storer.EncodedObjectStorer
	owned ownership
	// keep are Change.Keep's directories.
	keep    ownership
	changes []change
	written int
	// fresh are the trees of the new tree that differ from the tip's at
	// their place: with the changed blobs and the commit, what a remote
	// holding the tip lacks.
	fresh []plumbing.Hash
}

func (m *merger) ensure(t plumbing.ObjectType, h plumbing.Hash, data []byte) error {
	if err := m.s.HasEncodedObject(h); err == nil {
		return nil
	}
	obj := m.s.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	got, err := m.s.SetEncodedObject(obj)
	if err != nil {
		return fmt.Errorf("envrepo: writing object %s: %w", h, err)
	}
	if got != h {
		return fmt.Errorf("envrepo: object hash mismatch: %s != %s", got, h)
	}
	m.written++
	return nil
}

// deleted records the removal of every file below the tree h at dir.
func (m *merger) deleted(h plumbing.Hash, dir string) error {
	t, err := object.GetTree(m.s, h)
	if err != nil {
		return fmt.Errorf("envrepo: reading tree %s: %w", dir, err)
	}
	for _, e := range t.Entries {
		p := join(dir, e.Name)
		if e.Mode == filemode.Dir {
			if err := m.deleted(e.Hash, p); err != nil {
				return err
			}
			continue
		}
		m.changes = append(m.changes, change{path: p, from: &fileEntry{hash: e.Hash, mode: e.Mode}})
	}
	return nil
}

// class is the ownership class of dir, keptOwned for Change.Keep's
// directories and those below them.
func (m *merger) class(dir string) int {
	if dir != "" && m.keep.class(dir) == fullyOwned {
		return keptOwned
	}
	return m.owned.class(dir)
}

// merge returns the hash of the directory dir of the new tree (zero if it
// is empty), given the tip's tree there (zero if none) and the desired
// directory (nil if none).
func (m *merger) merge(tip plumbing.Hash, dir string, want *node) (plumbing.Hash, error) {
	// A fully owned directory is the wanted one, unless a kept directory
	// lies in it.
	full := m.class(dir) == fullyOwned && m.keep.class(dir) == notOwned
	if full {
		var h plumbing.Hash
		if want != nil {
			h = want.treeHash()
		}
		if h == tip {
			return h, nil
		}
		if h.IsZero() {
			return h, m.deleted(tip, dir)
		}
	}
	var tipEntries []object.TreeEntry
	if !tip.IsZero() {
		t, err := object.GetTree(m.s, tip)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("envrepo: reading tree %q: %w", dir, err)
		}
		tipEntries = t.Entries
	}
	out := make([]treeEntry, 0, len(tipEntries)+4)
	seen := make(map[string]bool, len(tipEntries))
	for _, e := range tipEntries {
		seen[e.Name] = true
		p := join(dir, e.Name)
		cls := fullyOwned
		if !full {
			cls = m.class(p)
		}
		if cls == notOwned {
			out = append(out, treeEntry{e.Name, e.Mode, e.Hash})
			continue
		}
		var wd *node
		var wf *fileEntry
		if want != nil {
			wd, wf = want.dirs[e.Name], want.files[e.Name]
		}
		if cls == keptOwned && wd == nil && wf == nil {
			// Kept as the tip has it, unread.
			out = append(out, treeEntry{e.Name, e.Mode, e.Hash})
			continue
		}
		isTree := e.Mode == filemode.Dir
		switch {
		case wf != nil:
			if !isTree && e.Hash == wf.hash && e.Mode == wf.mode {
				out = append(out, treeEntry{e.Name, e.Mode, e.Hash})
				continue
			}
			var from *fileEntry
			if isTree {
				if err := m.deleted(e.Hash, p); err != nil {
					return plumbing.ZeroHash, err
				}
			} else {
				from = &fileEntry{hash: e.Hash, mode: e.Mode}
			}
			if err := m.ensure(plumbing.BlobObject, wf.hash, wf.data); err != nil {
				return plumbing.ZeroHash, err
			}
			m.changes = append(m.changes, change{path: p, from: from, to: wf})
			out = append(out, treeEntry{e.Name, wf.mode, wf.hash})
		case wd != nil:
			var sub plumbing.Hash
			if isTree {
				sub = e.Hash
			} else {
				if cls != fullyOwned {
					return plumbing.ZeroHash, usagef("cannot put owned files below %q: it is a file Palisade does not own", p)
				}
				m.changes = append(m.changes, change{path: p, from: &fileEntry{hash: e.Hash, mode: e.Mode}})
			}
			h, err := m.merge(sub, p, wd)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !h.IsZero() {
				out = append(out, treeEntry{e.Name, filemode.Dir, h})
			}
		case cls == fullyOwned:
			if isTree {
				if err := m.deleted(e.Hash, p); err != nil {
					return plumbing.ZeroHash, err
				}
			} else {
				m.changes = append(m.changes, change{path: p, from: &fileEntry{hash: e.Hash, mode: e.Mode}})
			}
		case !isTree:
			out = append(out, treeEntry{e.Name, e.Mode, e.Hash})
		default:
			h, err := m.merge(e.Hash, p, nil)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !h.IsZero() {
				out = append(out, treeEntry{e.Name, filemode.Dir, h})
			}
		}
	}
	if want != nil {
		for name, wd := range want.dirs {
			if seen[name] {
				continue
			}
			h, err := m.merge(plumbing.ZeroHash, join(dir, name), wd)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if !h.IsZero() {
				out = append(out, treeEntry{name, filemode.Dir, h})
			}
		}
		for name, wf := range want.files {
			if seen[name] {
				continue
			}
			if err := m.ensure(plumbing.BlobObject, wf.hash, wf.data); err != nil {
				return plumbing.ZeroHash, err
			}
			m.changes = append(m.changes, change{path: join(dir, name), to: wf})
			out = append(out, treeEntry{name, wf.mode, wf.hash})
		}
	}
	if len(out) == 0 {
		return plumbing.ZeroHash, nil
	}
	enc, h := encodeTree(out)
	if h != tip {
		if err := m.ensure(plumbing.TreeObject, h, enc); err != nil {
			return plumbing.ZeroHash, err
		}
		m.fresh = append(m.fresh, h)
	}
	return h, nil
}

// emptyTree is the encoding of the empty tree.
var emptyTreeHash = plumbing.ComputeHash(plumbing.TreeObject, nil)

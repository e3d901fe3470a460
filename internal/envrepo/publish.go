package envrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// Change is what a build callback wants the branch to hold.
type Change struct {
	// Files is the complete desired content of the owned prefixes, by
	// slash path. Every path must lie under an owned prefix; owned files
	// absent from the map are removed.
	Files map[string][]byte
	// Keep are owned directories (slash paths) whose files the tip has
	// and Files does not name stay as they are, rather than being
	// removed: a directory that only grows, such as the decision records,
	// need not be read and handed back whole. Files may add to them and
	// replace files in them.
	Keep []string
	// Message is the commit message; trailers (Palisade-Source-Commit: …)
	// are its last paragraph. A final newline is added if missing.
	Message string
	// Author of the commit; When must be set (the package never reads the
	// clock).
	Author object.Signature
	// Committer defaults to Author.
	Committer *object.Signature
	// Sign, when set, signs the commit: it gets the commit object as git
	// encodes it without a signature, and returns the ASCII-armored
	// detached signature git keeps in the commit's gpgsig header (what
	// git verify-commit, Argo CD and Flux verify).
	// when is the committer's time, the signature's creation time.
	Sign func(commit []byte, when time.Time) (string, error)
}

// Outcome says what Publish did.
type Outcome struct {
	// Commit is the new commit, or the tip when Unchanged.
	Commit plumbing.Hash
	// Parent is the tip the commit was built on (zero if it created the
	// branch).
	Parent plumbing.Hash
	// Unchanged: the desired content equals the tip's, nothing was
	// committed.
	Unchanged bool
	// Attempts is how many times the content was built.
	Attempts int
	// Pushed: the commit reached the remote.
	Pushed bool
	// Added, Modified and Deleted are the changed file paths, sorted.
	Added, Modified, Deleted []string
	// Maintenance is what the upkeep after a commit did (see maintain);
	// MaintenanceErr its failure, which leaves the commit as it is and
	// the objects where they were: a warning, not an error.
	Maintenance    Maintenance
	MaintenanceErr error
}

// errRefMoved says the branch is no longer at the tip a commit was built on.
var errRefMoved = errors.New("branch moved")

// Publish commits the content built by build on top of the branch tip
// and, for a remote, pushes it. build gets the tip as a Snapshot (the
// baseline) and returns the desired content of the owned prefixes; when
// another writer moved the branch first (push rejected, or the local
// reference changed) the remote is fetched and build is called again with
// the new tip, up to Options.MaxAttempts times, after which the error is
// a *RemoteError wrapping ErrRejected. Content equal to the tip's gives
// Outcome.Unchanged and no commit.
//
// Errors of build are returned wrapped, as they are; nothing is written
// then. The branch only ever moves by compare-and-swap to a complete
// commit; see the package documentation for what an interruption leaves.
func (r *Repo) Publish(ctx context.Context, build func(tip *Snapshot) (Change, error)) (Outcome, error) {
	unlock, err := repoLock(ctx, r.gitDir)
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	if r.loc.remote && !r.fresh {
		if err := r.fetch(ctx); err != nil {
			return Outcome{}, err
		}
	}
	r.fresh = false
	for attempt := 1; ; attempt++ {
		out, err := r.attempt(ctx, attempt, build)
		if err == nil && !out.Unchanged {
			out.Maintenance, out.MaintenanceErr = r.maintain()
		}
		if !errors.Is(err, errRefMoved) {
			return out, err
		}
		if attempt >= r.max {
			op := "commit"
			if r.loc.remote {
				op = "push"
			}
			return Outcome{Attempts: attempt}, &RemoteError{Op: op, URL: r.Remote(), Attempts: attempt,
				Err: fmt.Errorf("%w (%d attempts)", ErrRejected, attempt), secrets: r.secrets}
		}
		if r.loc.remote {
			if err := r.fetch(ctx); err != nil {
				return Outcome{Attempts: attempt}, err
			}
			r.fresh = false
		}
	}
}

func (r *Repo) stage(name string) error {
	if r.hook != nil {
		return r.hook(name)
	}
	return nil
}

func (r *Repo) attempt(ctx context.Context, attempt int, build func(*Snapshot) (Change, error)) (Outcome, error) {
	out := Outcome{Attempts: attempt}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	tip, err := r.tip()
	if err != nil {
		return out, err
	}
	out.Parent = tip
	var wt *worktree
	if r.wtRoot != "" {
		if wt, err = loadWorktree(r.wtRoot, r.gitDir, r.owned, r.repo.Storer); err != nil {
			return out, err
		}
		wt.hook = r.hook
		if err := wt.reconcile(tip); err != nil {
			return out, err
		}
		if err := wt.check(); err != nil {
			return out, err
		}
		if err := wt.write(); err != nil {
			return out, err
		}
	}
	snap, err := newSnapshot(r.repo.Storer, r.branch, tip)
	if err != nil {
		return out, err
	}
	ch, err := build(snap)
	if err != nil {
		// The caller's own error, as it made it: its message is for
		// the user, and errors.As finds its types.
		return out, err
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	commit, changes, fresh, err := r.commit(snap, ch)
	if err != nil {
		return out, err
	}
	for _, c := range changes {
		switch {
		case c.to == nil:
			out.Deleted = append(out.Deleted, c.path)
		case c.from == nil:
			out.Added = append(out.Added, c.path)
		default:
			out.Modified = append(out.Modified, c.path)
		}
	}
	if commit.IsZero() {
		out.Unchanged, out.Commit = true, tip
		return out, nil
	}
	out.Commit = commit
	if err := r.stage("objects"); err != nil {
		return out, err
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if r.loc.remote {
		if err := r.push(ctx, tip, commit, fresh); err != nil {
			return out, err
		}
		out.Pushed = true
		return out, nil
	}
	if err := r.casBranch(tip, commit); err != nil {
		return out, err
	}
	if err := r.stage("ref"); err != nil {
		return out, err
	}
	if wt != nil {
		if err := wt.apply(changes); err != nil {
			return out, fmt.Errorf("envrepo: committed %s but updating the work tree failed (the next run repairs it): %w", commit, err)
		}
		if err := wt.write(); err != nil {
			return out, fmt.Errorf("envrepo: committed %s but updating the index failed (the next run repairs it): %w", commit, err)
		}
	}
	return out, nil
}

// commit writes the objects of the new commit, returning its hash (zero
// when the tree equals the tip's), the changed files and the objects new
// relative to the tip (the commit included).
func (r *Repo) commit(tip *Snapshot, ch Change) (plumbing.Hash, []change, []plumbing.Hash, error) {
	if strings.TrimSpace(ch.Message) == "" {
		return plumbing.ZeroHash, nil, nil, usagef("empty commit message")
	}
	if ch.Author.Name == "" || ch.Author.When.IsZero() {
		return plumbing.ZeroHash, nil, nil, usagef("the commit author needs a name and a time")
	}
	committer := ch.Author
	if ch.Committer != nil {
		committer = *ch.Committer
		if committer.Name == "" || committer.When.IsZero() {
			return plumbing.ZeroHash, nil, nil, usagef("the committer needs a name and a time")
		}
	}
	for p := range ch.Files {
		if err := r.owned.validPath(p); err != nil {
			return plumbing.ZeroHash, nil, nil, err
		}
	}
	keep := make(ownership, 0, len(ch.Keep))
	for _, k := range ch.Keep {
		k = strings.Trim(k, "/")
		if err := r.owned.validPath(k); err != nil {
			return plumbing.ZeroHash, nil, nil, err
		}
		keep = append(keep, k)
	}
	hashes := hashBlobs(ch.Files)
	want := newNode()
	for p, b := range ch.Files {
		if err := want.add(p, &fileEntry{hash: hashes[p], mode: filemode.Regular, data: b}); err != nil {
			return plumbing.ZeroHash, nil, nil, err
		}
	}
	// The new objects are held back until the commit is complete, then
	// written together: as a pack when there are many.
	st := newPending(r.repo.Storer, r.packDir())
	m := &merger{s: st, owned: r.owned, keep: keep}
	tipTree := tip.TreeHash()
	root, err := m.merge(tipTree, "", want)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	if root.IsZero() {
		root = emptyTreeHash
		if err := m.ensure(plumbing.TreeObject, root, nil); err != nil {
			return plumbing.ZeroHash, nil, nil, err
		}
		m.fresh = append(m.fresh, root)
	}
	sort.Slice(m.changes, func(i, j int) bool { return m.changes[i].path < m.changes[j].path })
	if root == tipTree {
		return plumbing.ZeroHash, m.changes, nil, nil
	}
	msg := ch.Message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	c := &object.Commit{
		Author:    ch.Author,
		Committer: committer,
		Message:   msg,
		TreeHash:  root,
	}
	if !tip.Commit.IsZero() {
		c.ParentHashes = []plumbing.Hash{tip.Commit}
	}
	if ch.Sign != nil {
		data, err := unsignedBytes(c)
		if err != nil {
			return plumbing.ZeroHash, nil, nil, err
		}
		if c.PGPSignature, err = ch.Sign(data, committer.When); err != nil {
			return plumbing.ZeroHash, nil, nil, fmt.Errorf("envrepo: signing the commit: %w", err)
		}
	}
	obj := st.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	h, err := st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, nil, nil, fmt.Errorf("envrepo: writing the commit: %w", err)
	}
	if err := st.flush(); err != nil {
		return plumbing.ZeroHash, nil, nil, err
	}
	fresh := m.fresh
	for _, c := range m.changes {
		if c.to != nil {
			fresh = append(fresh, c.to.hash)
		}
	}
	return h, m.changes, append(fresh, h), nil
}

// casBranch moves the local branch from old (zero: must not exist) to
// new with git's lock-file protocol: refs/heads/<branch>.lock is created
// exclusively, the current value checked, and the lock renamed over the
// reference. git commands honour the same lock.
func (r *Repo) casBranch(old, new plumbing.Hash) error {
	name := r.branchRef()
	p := filepath.Join(r.gitDir, filepath.FromSlash(name.String()))
	f, err := createLockFile(p)
	if err != nil {
		return fmt.Errorf("envrepo: locking %s: %w", name, err)
	}
	cur, err := r.repo.Storer.Reference(name)
	var curHash plumbing.Hash
	switch {
	case err == nil:
		curHash = cur.Hash()
	case errors.Is(err, plumbing.ErrReferenceNotFound):
	default:
		abortLockFile(f)
		return fmt.Errorf("envrepo: reading %s: %w", name, err)
	}
	if curHash != old {
		abortLockFile(f)
		return errRefMoved
	}
	if err := commitLockFile(f, p, []byte(new.String()+"\n")); err != nil {
		return fmt.Errorf("envrepo: updating %s: %w", name, err)
	}
	return nil
}

// rejected reports whether a push failed because the remote branch moved.
func rejected(err error) bool {
	msg := err.Error()
	if strings.Contains(msg, "non-fast-forward") {
		return true
	}
	if !strings.Contains(msg, "command error on") {
		return false
	}
	for _, s := range []string{"fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "stale info", "reference already exists", "but expected"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// push sends the commit to the remote branch, which must still be at
// parent, the tip as last fetched. The receiving side checks the old value
// under its own lock, so of two concurrent pushes on the same tip one is
// rejected. Only the objects new relative to parent are sent; creating the
// branch goes through go-git's push, which works out what to send.
func (r *Repo) push(ctx context.Context, parent, commit plumbing.Hash, objects []plumbing.Hash) error {
	if parent.IsZero() {
		return r.pushNew(ctx, commit)
	}
	ep, err := transport.NewEndpoint(r.loc.clean)
	if err != nil {
		return r.remoteError("push", err)
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return r.remoteError("push", err)
	}
	sess, err := cl.NewReceivePackSession(ep, r.auth)
	if err != nil {
		return r.remoteError("push", err)
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return r.remoteError("push", err)
	}
	refs, err := ar.AllReferences()
	if err != nil {
		return r.remoteError("push", err)
	}
	var cur plumbing.Hash
	if ref, err := refs.Reference(r.branchRef()); err == nil {
		cur = ref.Hash()
	}
	if cur != parent {
		return errRefMoved
	}
	if err := r.stage("advertised"); err != nil {
		return err
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	req.Commands = []*packp.Command{{Name: r.branchRef(), Old: parent, New: commit}}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		enc := packfile.NewEncoder(wr, r.repo.Storer, !ar.Capabilities.Supports(capability.OFSDelta))
		_, err := enc.Encode(objects, 10)
		done <- wr.CloseWithError(err)
	}()
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		rd.Close()
		<-done
		if rejected(err) {
			return errRefMoved
		}
		return r.remoteError("push", err)
	}
	if err := <-done; err != nil {
		return r.remoteError("push", err)
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			if rejected(err) {
				return errRefMoved
			}
			return r.remoteError("push", err)
		}
	}
	return r.pushed(commit)
}

// pushNew creates the remote branch.
func (r *Repo) pushNew(ctx context.Context, commit plumbing.Hash) error {
	spec := config.RefSpec(commit.String() + ":" + r.branchRef().String())
	err := r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{spec},
		Auth:       r.auth,
	})
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
	case rejected(err):
		return errRefMoved
	default:
		return r.remoteError("push", err)
	}
	return r.pushed(commit)
}

func (r *Repo) pushed(commit plumbing.Hash) error {
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(r.trackingRef(), commit)); err != nil {
		return fmt.Errorf("envrepo: pushed %s but recording it failed: %w", commit, err)
	}
	return nil
}

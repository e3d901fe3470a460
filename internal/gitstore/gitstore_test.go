package gitstore

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.test"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// packedRepo is a repository whose first commit is packed and whose
// second is loose, as a clone Palisade has committed to. Its files name
// the repository, so that no earlier test has read its objects into the
// cache Bulk's storages share.
func packedRepo(t *testing.T) string {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	for i := range 50 {
		sub := filepath.Join(dir, "tenants", fmt.Sprintf("t%02d", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "a.yaml"), []byte(strings.Repeat(fmt.Sprintf("tenant %d of %s\n", i, dir), 20)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCmd(t, dir, "add", "-A")
	gitCmd(t, dir, "commit", "-q", "-m", "packed")
	gitCmd(t, dir, "gc", "-q")
	if err := os.WriteFile(filepath.Join(dir, "tenants", "t00", "b.yaml"), []byte("loose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, dir, "add", "-A")
	gitCmd(t, dir, "commit", "-q", "-m", "loose")
	return dir
}

// files reads every file of the main branch's tip through st.
func files(t *testing.T, st storer.EncodedObjectStorer, tip plumbing.Hash) map[string]string {
	t.Helper()
	c, err := object.GetCommit(st, tip)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := object.GetTree(st, c.TreeHash)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = tree.Files().ForEach(func(f *object.File) error {
		r, err := f.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		out[f.Name] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openPacks counts this process's open descriptors of pack files.
func openPacks(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here to count open files")
	}
	n := 0
	for _, fd := range fds {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasSuffix(p, ".pack") {
			n++
		}
	}
	return n
}

func TestBulk(t *testing.T) {
	dir := packedRepo(t)
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	want := files(t, r.Storer, head.Hash())
	if len(want) != 51 || want["tenants/t00/b.yaml"] != "loose\n" {
		t.Fatalf("fixture: %d files", len(want))
	}
	before := openPacks(t)
	st, release := Bulk(r.Storer)
	if st == storer.EncodedObjectStorer(r.Storer) {
		t.Fatal("Bulk returned the repository's own storage")
	}
	got := files(t, st, head.Hash())
	if len(got) != len(want) {
		t.Fatalf("read %d files, want %d", len(got), len(want))
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: read %q, want %q", p, got[p], w)
		}
	}
	// The pack stays open while the storage reads; go-git's own storage
	// closes it after every object.
	if n := openPacks(t); n != before+1 {
		t.Errorf("%d pack files open while reading, want %d", n, before+1)
	}
	release()
	if n := openPacks(t); n != before {
		t.Errorf("%d pack files open after release, want %d", n, before)
	}
}

func TestBulkInMemory(t *testing.T) {
	s := memory.NewStorage()
	st, release := Bulk(s)
	defer release()
	if st != storer.EncodedObjectStorer(s) {
		t.Fatal("Bulk replaced a storage that is not on disk")
	}
}

// TestOpen: a repository opened through Open is the one git.PlainOpen
// opens — its branch, its work tree or its bareness — and Bulk reads it.
func TestOpen(t *testing.T) {
	dir := packedRepo(t)
	r, err := Open(dir, &git.PlainOpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Head()
	if err != nil || head.Name() != plumbing.NewBranchReferenceName("main") {
		t.Fatalf("head %v, %v", head, err)
	}
	wt, err := r.Worktree()
	if err != nil || wt.Filesystem.Root() != dir {
		t.Fatalf("work tree %v, %v", wt, err)
	}
	st, release := Bulk(r.Storer)
	n := len(files(t, st, head.Hash()))
	release()
	if n != 51 {
		t.Errorf("Bulk read %d files of the repository Open opened, want 51", n)
	}

	bare := filepath.Join(t.TempDir(), "bare.git")
	gitCmd(t, filepath.Dir(bare), "clone", "-q", "--bare", dir, bare)
	r, err = Open(bare, &git.PlainOpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Worktree(); err != git.ErrIsBareRepository {
		t.Errorf("bare repository: work tree error %v", err)
	}
	if _, err := Open(t.TempDir(), &git.PlainOpenOptions{}); err != git.ErrRepositoryNotExists {
		t.Errorf("no repository: %v", err)
	}
}

// TestPacksChangingUnderfoot: another process repacks the repository —
// loose objects into a pack, the old packs merged into a new one and
// removed, as git gc or a render's upkeep does — between two reads
// through the same storage. The storage had listed the packs before; it
// finds the objects all the same.
func TestPacksChangingUnderfoot(t *testing.T) {
	dir := packedRepo(t)
	r, err := Open(dir, &git.PlainOpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	bulk, release := Bulk(r.Storer)
	defer release()
	for _, st := range []storer.EncodedObjectStorer{r.Storer, bulk} {
		if n := len(files(t, st, head.Hash())); n != 51 {
			t.Fatalf("read %d files before the repack, want 51", n)
		}
	}
	gitCmd(t, dir, "repack", "-a", "-d", "-q")
	gitCmd(t, dir, "prune-packed")
	ClearCache()
	for i, st := range []storer.EncodedObjectStorer{r.Storer, bulk} {
		if n := len(files(t, st, head.Hash())); n != 51 {
			t.Fatalf("storage %d read %d files after the repack, want 51", i, n)
		}
	}
	// An object that is nowhere is still not found, and asking for it
	// again lists the packs no more.
	missing := plumbing.NewHash("0123456789012345678901234567890123456789")
	for range 2 {
		if _, err := r.Storer.EncodedObject(plumbing.AnyObject, missing); err != plumbing.ErrObjectNotFound {
			t.Fatalf("missing object: %v", err)
		}
	}
}

package envrepo

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// countObjects is git count-objects -v as numbers: loose objects ("count")
// and packs ("packs").
func countObjects(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, l := range strings.Split(run(t, dir, "count-objects", "-v"), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		n, err := strconv.Atoi(v)
		if err == nil {
			out[k] = n
		}
	}
	return out
}

// deltas counts the objects the repository's packs store as deltas, by
// git verify-pack: a line with a base object after the depth.
func deltas(t *testing.T, dir string) int {
	t.Helper()
	idxs, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if err != nil || len(idxs) == 0 {
		t.Fatalf("no pack index in %s (%v)", dir, err)
	}
	n := 0
	for _, idx := range idxs {
		for _, l := range strings.Split(run(t, dir, "verify-pack", "-v", idx), "\n") {
			if f := strings.Fields(l); len(f) == 7 && len(f[6]) == 40 {
				n++
			}
		}
	}
	return n
}

// A commit of many new objects writes them as one pack, which git reads
// (fsck checks every object and the history); a commit of few writes them
// loose, as git does below its unpack limit.
func TestLargeCommitIsWrittenAsAPack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	base := tenantFiles(40, -1, 0) // 240 files and their trees
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(base, "initial")))
	got := countObjects(t, dir)
	if got["count"] != 0 || got["packs"] != 1 || got["in-pack"] < len(base) {
		t.Fatalf("after a large commit: %v, want no loose objects and one pack of at least %d", got, len(base))
	}
	assertClean(t, dir)
	if want := keys(base); strings.Join(lsTree(t, dir, "main"), "\n") != strings.Join(want, "\n") {
		t.Fatalf("git ls-tree differs from the content")
	}

	// One tenant changes: two files per environment, their trees and the
	// commit stay loose.
	out2 := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 7, 1), "one tenant")))
	if out2.Parent != out.Commit || len(out2.Modified) != 6 {
		t.Fatalf("second outcome %+v", out2)
	}
	got = countObjects(t, dir)
	if got["count"] == 0 || got["count"] >= packMin || got["packs"] != 1 {
		t.Fatalf("after a small commit: %v, want a few loose objects and still one pack", got)
	}
	assertClean(t, dir)

	// The repository reopened (its packs read afresh) reads the same.
	r2 := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	snap := must[*Snapshot](t)(r2.Snapshot())
	files := must[map[string][]byte](t)(snap.Files(""))
	want := tenantFiles(40, 7, 1)
	if len(files) != len(want) {
		t.Fatalf("%d files read back, want %d", len(files), len(want))
	}
	for p, b := range want {
		if string(files[p]) != string(b) {
			t.Fatalf("%s read back differs", p)
		}
	}
}

// A large commit pushed to a remote is written to the clone as a pack
// too, and what the remote receives is complete.
func TestLargeCommitPushedFromAPackedClone(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	srv := gitHTTP(t, root, "", "")
	work := filepath.Join(root, "cache")
	r := must[*Repo](t)(Open(ctx(t), srv.URL+"/env.git", Options{WorkDir: work}))
	base := tenantFiles(40, -1, 0)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(base, "initial")))
	if !out.Pushed {
		t.Fatalf("not pushed: %+v", out)
	}
	if got := countObjects(t, r.GitDir()); got["count"] != 0 || got["packs"] != 1 {
		t.Fatalf("clone after a large commit: %v", got)
	}
	run(t, remote, "fsck", "--strict", "--no-dangling")
	if got := lsTree(t, remote, "main"); len(got) != len(base) {
		t.Fatalf("remote holds %d files, want %d", len(got), len(base))
	}
}

// Loose objects beyond gc.auto are packed after a commit and packs
// beyond gc.autoPackLimit merged, keeping every object (unreachable ones
// too); gc.auto=0 turns it off.
func TestMaintenance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	run(t, dir, "config", "gc.auto", "0")
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, -1, 0), "initial")))
	// An object nothing refers to, as a killed run leaves: maintenance
	// must not lose it (git gc prunes it after its grace period).
	stray := writeBlob(t, dir, "left by a killed run\n")
	for v := 1; v <= 8; v++ {
		out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, v%40, v), "tenant "+strconv.Itoa(v))))
		if out.Maintenance != (Maintenance{}) {
			t.Fatalf("gc.auto=0 yet maintenance %+v", out.Maintenance)
		}
	}
	before := countObjects(t, dir)
	if before["count"] < 8*5 {
		t.Fatalf("expected loose objects to pile up: %v", before)
	}

	// gc.auto=1: any loose object in objects/17 triggers packing; make
	// sure one is there, as git's estimate reads that directory.
	run(t, dir, "config", "gc.auto", "1")
	run(t, dir, "config", "gc.autoPackLimit", "0")
	seventeen(t, dir)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 9, 9), "tenant 9")))
	if out.MaintenanceErr != nil || out.Maintenance.Packed < before["count"] {
		t.Fatalf("maintenance %+v, err %v; %d loose objects before", out.Maintenance, out.MaintenanceErr, before["count"])
	}
	after := countObjects(t, dir)
	if after["count"] != 0 || after["packs"] != 2 {
		t.Fatalf("after packing loose objects: %v, want none loose and 2 packs", after)
	}
	// The trees each commit wrote again differ by an entry: as git's
	// repack does, the pack stores most of them as deltas.
	if n := deltas(t, dir); n < 8 {
		t.Errorf("%d objects stored as deltas after packing loose objects, want at least 8", n)
	}
	run(t, dir, "fsck", "--strict", "--no-dangling")
	run(t, dir, "cat-file", "-e", stray)

	// gc.autoPackLimit=1: the two packs become one.
	run(t, dir, "config", "gc.auto", "6700")
	run(t, dir, "config", "gc.autoPackLimit", "1")
	out = must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 10, 10), "tenant 10")))
	if out.MaintenanceErr != nil || out.Maintenance.Consolidated != 2 {
		t.Fatalf("maintenance %+v, err %v, want 2 packs consolidated", out.Maintenance, out.MaintenanceErr)
	}
	if got := countObjects(t, dir); got["packs"] != 1 || got["in-pack"] != after["in-pack"] {
		t.Fatalf("after consolidating: %v, want one pack of the %d objects", got, after["in-pack"])
	}
	if n := deltas(t, dir); n < 8 {
		t.Errorf("%d objects stored as deltas after consolidating, want at least 8", n)
	}
	run(t, dir, "fsck", "--strict", "--no-dangling")
	run(t, dir, "cat-file", "-e", stray)
	assertClean(t, dir)

	// The same Repo reads on: its view of the packs follows.
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 11, 11), "tenant 11")))
	if got := lsTree(t, dir, "main"); len(got) != len(tenantFiles(40, -1, 0)) {
		t.Fatalf("%d files after maintenance", len(got))
	}
	assertClean(t, dir)
}

// seventeen writes a loose object whose name starts with 17, so that
// git's estimate of the loose objects finds one there.
func seventeen(t *testing.T, dir string) {
	t.Helper()
	for i := 0; ; i++ {
		if h := plumbing.ComputeHash(plumbing.BlobObject, []byte(strconv.Itoa(i))); strings.HasPrefix(h.String(), "17") {
			if got := writeBlob(t, dir, strconv.Itoa(i)); got != h.String() {
				t.Fatalf("hash-object %s, want %s", got, h)
			}
			return
		}
	}
}

// writeBlob writes a loose blob with git hash-object and returns its hash.
func writeBlob(t *testing.T, dir, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, dir, "hash-object", "-w", f)
}

// pack.window 0 packs without deltas, as with git.
func TestMaintenanceWithoutDeltas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	run(t, dir, "config", "gc.auto", "0")
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, -1, 0), "initial")))
	for v := 1; v <= 4; v++ {
		must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, v, v), "tenant "+strconv.Itoa(v))))
	}
	run(t, dir, "config", "gc.auto", "1")
	run(t, dir, "config", "pack.window", "0")
	seventeen(t, dir)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 5, 5), "tenant 5")))
	if out.MaintenanceErr != nil || out.Maintenance.Packed == 0 {
		t.Fatalf("maintenance %+v, err %v, want loose objects packed", out.Maintenance, out.MaintenanceErr)
	}
	if n := deltas(t, dir); n != 0 {
		t.Errorf("%d objects stored as deltas with pack.window 0, want none", n)
	}
	run(t, dir, "fsck", "--strict", "--no-dangling")
}

// A pack that cannot be written leaves nothing behind; what a run killed
// while writing one left is removed by the next run's upkeep, and a git
// command's own temporary files are left alone.
func TestPackTemporaryFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, -1, 0), "initial")))
	packDir := filepath.Join(dir, ".git", "objects", "pack")
	list := func() []string {
		t.Helper()
		ents, err := os.ReadDir(packDir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), "pack-") {
				names = append(names, e.Name())
			}
		}
		return names
	}

	// An object the store does not have: the encoder fails mid-pack.
	missing := plumbing.ComputeHash(plumbing.BlobObject, []byte("nowhere"))
	head := plumbing.NewHash(run(t, dir, "rev-parse", "HEAD"))
	if _, err := writePack(packDir, r.repo.Storer, r.repo.Storer, []plumbing.Hash{head, missing}, 0); err == nil {
		t.Fatal("writing a pack of a missing object succeeded")
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("a failed pack write left %v", got)
	}

	// Left by a killed run (temporary files, an index whose pack never
	// followed), and by a git command at work.
	lone := "pack-" + strings.Repeat("ab", 20) + ".idx"
	for _, name := range []string{packTmpPrefix + "pack_123", packTmpPrefix + "idx_123", lone, "tmp_pack_git"} {
		if err := os.WriteFile(filepath.Join(packDir, name), []byte("PACK"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(40, 1, 1), "one")))
	if _, err := os.Stat(filepath.Join(packDir, lone)); err == nil {
		t.Fatalf("the index %s without its pack is still there", lone)
	}
	if got := list(); !slices.Equal(got, []string{"tmp_pack_git"}) {
		t.Fatalf("after a commit's upkeep: %v, want only git's own temporary file", got)
	}
	os.Remove(filepath.Join(packDir, "tmp_pack_git"))
	assertClean(t, dir)
}

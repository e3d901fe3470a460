package envrepo

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile_(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertClean checks with the git CLI that the work tree and index equal
// the branch and that the repository is sound.
func assertClean(t *testing.T, dir string) {
	t.Helper()
	if st := run(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Fatalf("git status not clean:\n%s", st)
	}
	run(t, dir, "fsck", "--strict", "--no-dangling")
}

func TestOpenInitialisesMissingPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "env")
	r, err := Open(ctx(t), dir, Options{Branch: "envs"})
	if err != nil {
		t.Fatal(err)
	}
	if r.WorkTree() != dir || r.Dir() != dir || r.Remote() != "" || r.Branch() != "envs" {
		t.Fatalf("WorkTree %q Dir %q Remote %q Branch %q", r.WorkTree(), r.Dir(), r.Remote(), r.Branch())
	}
	if got := run(t, dir, "rev-parse", "--is-bare-repository"); got != "false" {
		t.Fatalf("bare: %s", got)
	}
	if got := run(t, dir, "symbolic-ref", "HEAD"); got != "refs/heads/envs" {
		t.Fatalf("HEAD: %s", got)
	}
	snap := must[*Snapshot](t)(r.Snapshot())
	if !snap.Empty() || snap.Message() != "" {
		t.Fatal("new repository not empty")
	}
	if p, err := snap.Paths(""); err != nil || len(p) != 0 {
		t.Fatal(p, err)
	}
	if _, err := snap.Read("clusters/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	files := tenantFiles(2, -1, 0)
	out, err := r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		if !tip.Empty() {
			t.Error("tip of a new branch not empty")
		}
		return chg(files, "render: first"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Unchanged || out.Pushed || !out.Parent.IsZero() || out.Attempts != 1 || len(out.Added) != len(files) {
		t.Fatalf("outcome %+v", out)
	}
	if got := run(t, dir, "rev-parse", "envs"); got != out.Commit.String() {
		t.Fatalf("branch %s, outcome %s", got, out.Commit)
	}
	if got := lsTree(t, dir, "envs"); !reflect.DeepEqual(got, keys(files)) {
		t.Fatalf("tree %v", got)
	}
	for p, b := range files {
		if got := readFile(t, filepath.Join(dir, p)); got != string(b) {
			t.Fatalf("%s: %q", p, got)
		}
	}
	assertClean(t, dir)

	// Reopening finds the repository and the files.
	r2 := must[*Repo](t)(Open(ctx(t), dir, Options{Branch: "envs"}))
	snap = must[*Snapshot](t)(r2.Snapshot())
	got := must[map[string][]byte](t)(snap.Files(""))
	if !reflect.DeepEqual(got, files) {
		t.Fatal("snapshot differs from what was published")
	}
	paths := must[[]string](t)(snap.Paths("clusters/c-dev/"))
	if len(paths) != 6 || !strings.HasPrefix(paths[0], "clusters/c-dev/") {
		t.Fatal(paths)
	}
	b := must[[]byte](t)(snap.Read("bases/app/deployment.yaml"))
	if !bytes.Equal(b, files["bases/app/deployment.yaml"]) {
		t.Fatal("Read")
	}
	if snap.Message() != "render: first\n" || snap.Commit != out.Commit {
		t.Fatalf("message %q", snap.Message())
	}
}

func TestOpenEmptyDirectoryInitialises(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(ctx(t), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run(t, dir, "symbolic-ref", "HEAD") != "refs/heads/main" || r.WorkTree() != dir {
		t.Fatal("not initialised on main")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*palisade-init-*")); len(m) != 0 {
		t.Fatalf("leftovers %v", m)
	}
}

func TestOpenUsageErrors(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	writeFile_(t, file, "x")
	full := filepath.Join(root, "full")
	writeFile_(t, filepath.Join(full, "data.txt"), "x")
	for name, c := range map[string]struct {
		loc string
		o   Options
	}{
		"file":           {file, Options{}},
		"not a repo":     {full, Options{}},
		"scheme":         {"ftp://example.com/env.git", Options{}},
		"no host":        {"https:///env.git", Options{}},
		"empty":          {"", Options{}},
		"branch":         {filepath.Join(root, "a"), Options{Branch: "bad..name"}},
		"owned":          {filepath.Join(root, "b"), Options{Owned: []string{"../x"}}},
		"owned dot git":  {filepath.Join(root, "c"), Options{Owned: []string{".git/"}}},
		"work dir file":  {"file://" + root + "/remote.git", Options{WorkDir: file}},
		"work dir other": {"file://" + root + "/remote.git", Options{WorkDir: full}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(ctx(t), c.loc, c.o)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("got %T %v, want a *UsageError", err, err)
			}
			if IsOutside(err) {
				t.Fatal("usage error classified as outside")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(root, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("invalid options created the repository")
	}
}

// existingRepo makes a repository with the git CLI holding files Palisade
// does not own and an old render.
func existingRepo(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "env")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "init", "-q", "-b", "main")
	writeFile_(t, filepath.Join(dir, "README.md"), "# Environments\n")
	writeFile_(t, filepath.Join(dir, "docs", "runbook.md"), "call someone\n")
	writeFile_(t, filepath.Join(dir, "clusters", "old", "stale.yaml"), "stale\n")
	writeFile_(t, filepath.Join(dir, ".gitignore"), "*.swp\n")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "hand-made")
	return dir
}

func TestPublishReplacesOwnedKeepsTheRest(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(2, -1, 0)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "render")))
	want := append(keys(files), ".gitignore", "README.md", "docs/runbook.md")
	if got := lsTree(t, dir, "HEAD"); !reflect.DeepEqual(got, sortStrings(want)) {
		t.Fatalf("tree %v", got)
	}
	if !reflect.DeepEqual(out.Deleted, []string{"clusters/old/stale.yaml"}) {
		t.Fatalf("deleted %v", out.Deleted)
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters", "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("pruned directory still in the work tree")
	}
	if readFile(t, filepath.Join(dir, "README.md")) != "# Environments\n" {
		t.Fatal("README changed")
	}
	assertClean(t, dir)

	// Pruning: a tenant disappears.
	fewer := tenantFiles(1, -1, 0)
	out = must[Outcome](t)(r.Publish(ctx(t), fixed(fewer, "render: tenant-0001 gone")))
	if len(out.Deleted) != 6 || len(out.Added)+len(out.Modified) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	for _, p := range out.Deleted {
		if !strings.Contains(p, "tenant-0001") {
			t.Fatalf("deleted %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters", "c-dev", "tenants", "tenant-0001")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("tenant directory still in the work tree")
	}
	if got := lsTree(t, dir, "HEAD"); !reflect.DeepEqual(got, sortStrings(append(keys(fewer), ".gitignore", "README.md", "docs/runbook.md"))) {
		t.Fatalf("tree %v", got)
	}
	assertClean(t, dir)
	if n := run(t, dir, "rev-list", "--count", "HEAD"); n != "3" {
		t.Fatalf("%s commits", n)
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestPublishUnchangedIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(3, -1, 0)
	first := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "one")))
	again := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "two")))
	if !again.Unchanged || again.Commit != first.Commit || again.Parent != first.Commit {
		t.Fatalf("re-publish %+v", again)
	}
	if n := run(t, dir, "rev-list", "--count", "HEAD"); n != "1" {
		t.Fatalf("%s commits", n)
	}
	// Another Repo value, as the next process would have.
	r2 := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	if out := must[Outcome](t)(r2.Publish(ctx(t), fixed(files, "three"))); !out.Unchanged {
		t.Fatalf("%+v", out)
	}
	assertClean(t, dir)
}

func TestCommitMessageTrailersAndSignatures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	committer := sig()
	committer.Name, committer.Email = "CI", "ci@example.com"
	committer.When = when.Add(90)
	msg := "render: 2 tenants\n\nBody text.\n\nPalisade-Source-Commit: 0123456789abcdef\nPalisade-Policy-Bundle: sha256:feed"
	_, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) {
		return Change{Files: tenantFiles(1, -1, 0), Message: msg, Author: sig(), Committer: &committer}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := run(t, dir, "log", "-1", "--format=%(trailers)")
	if tr != "Palisade-Source-Commit: 0123456789abcdef\nPalisade-Policy-Bundle: sha256:feed" {
		t.Fatalf("trailers %q", tr)
	}
	if got := run(t, dir, "log", "-1", "--format=%an <%ae> %aI|%cn <%ce> %cI"); got != "Palisade <palisade@example.com> 2025-03-04T05:06:07+01:00|CI <ci@example.com> 2025-03-04T05:06:07+01:00" {
		t.Fatalf("signatures %q", got)
	}
	if got := run(t, dir, "log", "-1", "--format=%B"); got != msg {
		t.Fatalf("message %q", got)
	}
}

func TestInvalidChangesWriteNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	base := tenantFiles(1, -1, 0)
	must[Outcome](t)(r.Publish(ctx(t), fixed(base, "base")))
	head := run(t, dir, "rev-parse", "HEAD")
	noTime := sig()
	noTime.When = time.Time{}
	for name, ch := range map[string]Change{
		"outside owned":  {Files: map[string][]byte{"README.md": nil}, Message: "m", Author: sig()},
		"dot dot":        {Files: map[string][]byte{"clusters/../x": nil}, Message: "m", Author: sig()},
		"absolute":       {Files: map[string][]byte{"/clusters/x": nil}, Message: "m", Author: sig()},
		"dot git":        {Files: map[string][]byte{"clusters/.git/config": nil}, Message: "m", Author: sig()},
		"file and dir":   {Files: map[string][]byte{"clusters/a": nil, "clusters/a/b": nil}, Message: "m", Author: sig()},
		"no message":     {Files: base, Author: sig()},
		"no time":        {Files: base, Message: "m", Author: noTime},
		"committer time": {Files: base, Message: "m", Author: sig(), Committer: &noTime},
	} {
		_, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) { return ch, nil })
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v, want a *UsageError", name, err)
		}
	}
	if run(t, dir, "rev-parse", "HEAD") != head {
		t.Fatal("branch moved")
	}
	assertClean(t, dir)
}

func TestNestedOwnedPrefix(t *testing.T) {
	dir := existingRepo(t)
	writeFile_(t, filepath.Join(dir, "clusters", "dev", "hand.yaml"), "by hand\n")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "dev by hand")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{Owned: []string{"clusters/prod/", ".palisade"}}))
	files := map[string][]byte{"clusters/prod/a.yaml": []byte("a\n"), ".palisade/records/r.json": []byte("{}\n")}
	must[Outcome](t)(r.Publish(ctx(t), fixed(files, "prod only")))
	want := []string{".gitignore", ".palisade/records/r.json", "README.md", "clusters/dev/hand.yaml", "clusters/old/stale.yaml", "clusters/prod/a.yaml", "docs/runbook.md"}
	if got := lsTree(t, dir, "HEAD"); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree %v", got)
	}
	assertClean(t, dir)
	// Files outside the owned prefixes are refused.
	_, err := r.Publish(ctx(t), fixed(map[string][]byte{"clusters/dev/x": nil}, "m"))
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatal(err)
	}
	// An empty render of the owned prefixes removes them all.
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(nil, "nothing")))
	if len(out.Deleted) != 2 {
		t.Fatalf("%+v", out)
	}
	if got := lsTree(t, dir, "HEAD"); len(got) != 5 {
		t.Fatalf("tree %v", got)
	}
	assertClean(t, dir)
}

// state captures what a failed publish must not change.
func state(t *testing.T, dir string) string {
	t.Helper()
	idx, _ := os.ReadFile(filepath.Join(dir, ".git", "index"))
	var b strings.Builder
	b.WriteString(run(t, dir, "rev-parse", "HEAD"))
	b.Write(idx)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			c, _ := os.ReadFile(p)
			b.WriteString(p)
			b.Write(c)
		}
		return nil
	})
	return b.String()
}

func TestBuildFailureLeavesEverything(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(2, -1, 0), "base")))
	before := state(t, dir)
	boom := errors.New("render failed")
	_, err := r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		// A half-built render, then the failure.
		return chg(tenantFiles(5, 1, 1), "never"), boom
	})
	if !errors.Is(err, boom) || IsOutside(err) {
		t.Fatalf("got %v", err)
	}
	if state(t, dir) != before {
		t.Fatal("a failed build changed the repository")
	}
	assertClean(t, dir)
}

func TestDirtyOwnedPathsAreRefused(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(1, -1, 0)
	must[Outcome](t)(r.Publish(ctx(t), fixed(files, "base")))
	next := tenantFiles(1, 0, 1)

	// Changes outside the owned prefixes and ignored files are fine, and
	// survive.
	writeFile_(t, filepath.Join(dir, "README.md"), "# edited locally\n")
	writeFile_(t, filepath.Join(dir, "clusters", "c-dev", "notes.swp"), "editor swap\n")
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(next, "next")))
	if out.Unchanged {
		t.Fatal("no commit")
	}
	if readFile(t, filepath.Join(dir, "README.md")) != "# edited locally\n" {
		t.Fatal("local change outside owned paths lost")
	}
	if st := run(t, dir, "status", "--porcelain"); st != "M README.md" {
		t.Fatalf("status %q", st)
	}
	run(t, dir, "checkout", "--", "README.md")

	cases := map[string]struct {
		mess func()
		path string
	}{
		"modified": {func() { writeFile_(t, filepath.Join(dir, "bases/app/deployment.yaml"), "edited\n") }, "bases/app/deployment.yaml"},
		"deleted":  {func() { os.Remove(filepath.Join(dir, "clusters/c-dev/kustomization.yaml")) }, "clusters/c-dev/kustomization.yaml"},
		"untracked": {func() { writeFile_(t, filepath.Join(dir, "clusters/c-dev/extra.yaml"), "mine\n") },
			"clusters/c-dev/extra.yaml"},
		"staged": {func() {
			writeFile_(t, filepath.Join(dir, ".palisade/records/latest.json"), "{}\n")
			run(t, dir, "add", ".palisade/records/latest.json")
		}, ".palisade/records/latest.json"},
		"mode": {func() { os.Chmod(filepath.Join(dir, "bases/app/deployment.yaml"), 0o755) }, "bases/app/deployment.yaml"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.mess()
			before := state(t, dir)
			_, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) {
				t.Error("build called despite local changes")
				return chg(files, "back"), nil
			})
			var de *DirtyError
			if !errors.As(err, &de) || !reflect.DeepEqual(de.Paths, []string{c.path}) || IsOutside(err) {
				t.Fatalf("got %v", err)
			}
			if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("message %q", err)
			}
			if state(t, dir) != before {
				t.Fatal("a refused publish changed the repository")
			}
			run(t, dir, "reset", "-q", "--hard")
			run(t, dir, "clean", "-q", "-fd", "clusters")
			os.Chmod(filepath.Join(dir, "bases/app/deployment.yaml"), 0o644)
		})
	}
	if _, err := r.Publish(ctx(t), fixed(files, "back")); err != nil {
		t.Fatal(err)
	}
	assertClean(t, dir)
}

func TestStatOnlyChangesAreNotDirty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(1, -1, 0)
	must[Outcome](t)(r.Publish(ctx(t), fixed(files, "base")))
	// Rewriting a file with the same content changes its stat data only.
	p := filepath.Join(dir, "bases/app/deployment.yaml")
	writeFile_(t, p, string(files["bases/app/deployment.yaml"]))
	if out := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "same"))); !out.Unchanged {
		t.Fatal("changed")
	}
	assertClean(t, dir)
}

func TestHeadOnAnotherBranchLeavesWorkTree(t *testing.T) {
	dir := existingRepo(t)
	run(t, dir, "checkout", "-q", "-b", "feature")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{Branch: "main"}))
	if r.WorkTree() != "" {
		t.Fatal("work tree of another branch taken over")
	}
	before := state(t, dir)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "render")))
	if run(t, dir, "rev-parse", "main") != out.Commit.String() {
		t.Fatal("main not moved")
	}
	after := state(t, dir)
	if after[40:] != before[40:] {
		t.Fatal("work tree of another branch changed")
	}
}

func TestLocalBareRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env.git")
	os.MkdirAll(dir, 0o755)
	run(t, dir, "init", "-q", "--bare", "-b", "main")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	if r.WorkTree() != "" {
		t.Fatal("bare repository has a work tree")
	}
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "render")))
	if run(t, dir, "rev-parse", "main") != out.Commit.String() {
		t.Fatal("main not moved")
	}
	run(t, dir, "fsck", "--strict")
}

// The branch moves under a running publish (a person commits a README
// change while Palisade renders): the compare-and-swap fails and the
// content is built again on the new tip.
func TestLocalBranchMovedRebuilds(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(1, -1, 0)
	var tips []plumbing.Hash
	out, err := r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		tips = append(tips, tip.Commit)
		if len(tips) == 1 {
			writeFile_(t, filepath.Join(dir, "README.md"), "# changed meanwhile\n")
			run(t, dir, "commit", "-q", "-am", "meanwhile")
		}
		return chg(files, "render"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attempts != 2 || len(tips) != 2 || tips[0] == tips[1] || out.Parent != tips[1] {
		t.Fatalf("outcome %+v tips %v", out, tips)
	}
	if got := run(t, dir, "log", "--format=%s"); got != "render\nmeanwhile\nhand-made" {
		t.Fatalf("history %q", got)
	}
	if readFile(t, filepath.Join(dir, "README.md")) != "# changed meanwhile\n" {
		t.Fatal("README lost")
	}
	assertClean(t, dir)
}

func TestLocalBranchKeepsMovingGivesUp(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{MaxAttempts: 2}))
	n := 0
	_, err := r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		n++
		writeFile_(t, filepath.Join(dir, "README.md"), strings.Repeat("x", n))
		run(t, dir, "commit", "-q", "-am", "meanwhile")
		return chg(tenantFiles(1, -1, 0), "render"), nil
	})
	var re *RemoteError
	if !errors.As(err, &re) || !errors.Is(err, ErrRejected) || re.Attempts != 2 || !IsOutside(err) || n != 2 {
		t.Fatalf("got %v after %d builds", err, n)
	}
	if got := lsTree(t, dir, "HEAD"); len(got) != 4 {
		t.Fatalf("something was committed: %v", got)
	}
	assertClean(t, dir)
}

// Two runs on one local repository at once: the repository lock
// serialises them, each builds on the other's result, nothing is lost.
func TestConcurrentLocalPublishers(t *testing.T) {
	dir := existingRepo(t)
	must[*Repo](t)(Open(ctx(t), dir, Options{}))
	errs := make(chan error, 2)
	for _, tn := range []string{"tenant-a", "tenant-b"} {
		go func() {
			r, err := Open(ctx(t), dir, Options{})
			if err != nil {
				errs <- err
				return
			}
			_, err = r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
				files, err := tip.Files("clusters")
				if err != nil {
					return Change{}, err
				}
				delete(files, "clusters/old/stale.yaml")
				files["clusters/c/"+tn+".yaml"] = []byte(tn)
				return chg(files, tn), nil
			})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := lsTree(t, dir, "HEAD"); !reflect.DeepEqual(got, []string{".gitignore", "README.md", "clusters/c/tenant-a.yaml", "clusters/c/tenant-b.yaml", "docs/runbook.md"}) {
		t.Fatalf("tree %v", got)
	}
	assertClean(t, dir)
}

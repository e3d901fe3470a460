package envrepo

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var errKilled = errors.New("killed")

// killAt returns a hook that stops a run at stage, as a kill would: no
// clean-up happens after it.
func killAt(stage string) func(string) error {
	return func(s string) error {
		if s == stage {
			return errKilled
		}
		return nil
	}
}

func TestKillBeforeBranchMovesLeavesNothing(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(2, -1, 0), "base")))
	before := state(t, dir)
	r.hook = killAt("objects")
	if _, err := r.Publish(ctx(t), fixed(tenantFiles(4, 0, 1), "killed")); !errors.Is(err, errKilled) {
		t.Fatal(err)
	}
	if state(t, dir) != before {
		t.Fatal("the killed run changed branch, index or work tree")
	}
	// The next run does its work as if nothing happened.
	r2 := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	out := must[Outcome](t)(r2.Publish(ctx(t), fixed(tenantFiles(4, 0, 1), "next")))
	if out.Unchanged || run(t, dir, "log", "-1", "--format=%s") != "next" {
		t.Fatalf("%+v", out)
	}
	assertClean(t, dir)
}

func TestKillAfterBranchMovedRecovers(t *testing.T) {
	for _, stage := range []string{"ref", "worktree-half"} {
		t.Run(stage, func(t *testing.T) {
			dir := existingRepo(t)
			r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
			must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(3, -1, 0), "base")))
			// Change many files, add and remove some.
			next := tenantFiles(4, 1, 1)
			delete(next, "bases/app/deployment.yaml")
			r.hook = killAt(stage)
			out, err := r.Publish(ctx(t), fixed(next, "killed after the branch moved"))
			if !errors.Is(err, errKilled) {
				t.Fatal(err)
			}
			if run(t, dir, "rev-parse", "HEAD") != out.Commit.String() {
				t.Fatal("branch not moved")
			}
			if run(t, dir, "status", "--porcelain") == "" {
				t.Fatal("the work tree should be behind")
			}
			// Leftovers a kill can leave: a half-written file and lock files.
			os.WriteFile(filepath.Join(dir, "clusters", "c-dev", tmpPrefix+"123"), []byte("half"), 0o644)
			os.WriteFile(filepath.Join(dir, ".git", "index.lock"), nil, 0o644)
			os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "main.lock"), nil, 0o644)
			defer func(n int) { staleLockTries = n }(staleLockTries)
			staleLockTries = 2

			// The next run, unchanged content, repairs the work tree.
			r2 := must[*Repo](t)(Open(ctx(t), dir, Options{}))
			again := must[Outcome](t)(r2.Publish(ctx(t), fixed(next, "again")))
			if !again.Unchanged || again.Commit != out.Commit {
				t.Fatalf("%+v", again)
			}
			assertClean(t, dir)
			for p, b := range next {
				if readFile(t, filepath.Join(dir, p)) != string(b) {
					t.Fatalf("%s not repaired", p)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "bases")); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("deleted file's directory still there")
			}
			if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "main.lock")); !errors.Is(err, os.ErrNotExist) {
				// Unchanged content never takes the ref lock; the next
				// commit does and clears it.
				must[Outcome](t)(r2.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "after")))
				assertClean(t, dir)
			}
		})
	}
}

func TestStagedChangeIsNotMistakenForRecovery(t *testing.T) {
	dir := existingRepo(t)
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := tenantFiles(1, -1, 0)
	must[Outcome](t)(r.Publish(ctx(t), fixed(files, "base")))
	// The user stages content that no commit of the branch ever had.
	writeFile_(t, filepath.Join(dir, "clusters/c-dev/kustomization.yaml"), "mine\n")
	run(t, dir, "add", "clusters")
	run(t, dir, "checkout", "--", ".") // work tree equals the index
	_, err := r.Publish(ctx(t), fixed(files, "x"))
	var de *DirtyError
	if !errors.As(err, &de) || !reflect.DeepEqual(de.Paths, []string{"clusters/c-dev/kustomization.yaml"}) {
		t.Fatalf("got %v", err)
	}
	if readFile(t, filepath.Join(dir, "clusters/c-dev/kustomization.yaml")) != "mine\n" {
		t.Fatal("staged content overwritten")
	}
}

func TestRemoteKillBeforePushLeavesRemote(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	url := "file://" + remote
	work := filepath.Join(root, "w")
	r := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: work}))
	base := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "base")))
	r.hook = killAt("objects")
	if _, err := r.Publish(ctx(t), fixed(tenantFiles(2, -1, 0), "killed")); !errors.Is(err, errKilled) {
		t.Fatal(err)
	}
	if run(t, remote, "rev-parse", "main") != base.Commit.String() {
		t.Fatal("remote moved")
	}
	r2 := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: work}))
	out := must[Outcome](t)(r2.Publish(ctx(t), fixed(tenantFiles(2, -1, 0), "next")))
	if !out.Pushed || out.Parent != base.Commit {
		t.Fatalf("%+v", out)
	}
	run(t, remote, "fsck", "--strict")
}

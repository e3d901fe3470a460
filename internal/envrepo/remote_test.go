package envrepo

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

func TestRemoteFileEmptyThenReused(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	url := "file://" + remote
	work := filepath.Join(root, "cache", "env")
	r, err := Open(ctx(t), url, Options{WorkDir: work})
	if err != nil {
		t.Fatal(err)
	}
	if r.Dir() != work || r.WorkTree() != "" || r.Remote() != url {
		t.Fatalf("Dir %q WorkTree %q Remote %q", r.Dir(), r.WorkTree(), r.Remote())
	}
	if run(t, work, "rev-parse", "--is-bare-repository") != "true" {
		t.Fatal("the clone is not bare")
	}
	snap := must[*Snapshot](t)(r.Snapshot())
	if !snap.Empty() {
		t.Fatal("empty remote gave a tip")
	}
	files := tenantFiles(2, -1, 0)
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "render: first\n\nPalisade-Source-Commit: abc")))
	if !out.Pushed || out.Unchanged || out.Attempts != 1 {
		t.Fatalf("%+v", out)
	}
	if run(t, remote, "rev-parse", "main") != out.Commit.String() {
		t.Fatal("remote not at the commit")
	}
	if got := lsTree(t, remote, "main"); !reflect.DeepEqual(got, keys(files)) {
		t.Fatalf("remote tree %v", got)
	}
	if tr := run(t, remote, "log", "-1", "--format=%(trailers)"); tr != "Palisade-Source-Commit: abc" {
		t.Fatalf("trailers %q", tr)
	}

	// A later run reuses the clone.
	r2 := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: work}))
	snap = must[*Snapshot](t)(r2.Snapshot())
	if snap.Commit != out.Commit {
		t.Fatal("reopened clone not at the remote tip")
	}
	again := must[Outcome](t)(r2.Publish(ctx(t), fixed(files, "same")))
	if !again.Unchanged || again.Pushed || again.Commit != out.Commit {
		t.Fatalf("%+v", again)
	}
	// A change is pushed on top.
	next := must[Outcome](t)(r2.Publish(ctx(t), fixed(tenantFiles(2, 1, 1), "render: second")))
	if !next.Pushed || next.Parent != out.Commit || len(next.Modified) != 6 {
		t.Fatalf("%+v", next)
	}
	if run(t, remote, "rev-parse", "main^") != out.Commit.String() {
		t.Fatal("history not linear")
	}
	run(t, remote, "fsck", "--strict")
	run(t, work, "fsck", "--strict")

	// Someone else pushes; Fetch and Snapshot see it.
	other := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "other")}))
	third := must[Outcome](t)(other.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "render: third")))
	// A later Publish fetches before it builds: no wasted attempt.
	fourth := must[Outcome](t)(r2.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		if tip.Commit != third.Commit {
			t.Errorf("built on %s, not on the remote tip %s", tip.Commit, third.Commit)
		}
		return chg(tenantFiles(1, 0, 4), "render: fourth"), nil
	}))
	if fourth.Attempts != 1 || fourth.Parent != third.Commit {
		t.Fatalf("%+v", fourth)
	}
	if err := other.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if must[*Snapshot](t)(other.Snapshot()).Commit != fourth.Commit {
		t.Fatal("Fetch did not bring the new tip")
	}

	// The work directory holds this remote's clone only.
	_, err = Open(ctx(t), "file://"+bareRemote(t, root, "another.git"), Options{WorkDir: work})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "holds a clone of") {
		t.Fatalf("got %v", err)
	}
}

func TestRemoteWithoutTheBranch(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	// The remote has another branch only.
	seed := must[*Repo](t)(Open(ctx(t), "file://"+remote, Options{Branch: "other", WorkDir: filepath.Join(root, "seed")}))
	must[Outcome](t)(seed.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "other branch")))
	r := must[*Repo](t)(Open(ctx(t), "file://"+remote, Options{Branch: "prod", WorkDir: filepath.Join(root, "w")}))
	if !must[*Snapshot](t)(r.Snapshot()).Empty() {
		t.Fatal("branch should not exist")
	}
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(2, -1, 0), "prod")))
	if run(t, remote, "rev-parse", "prod") != out.Commit.String() || run(t, remote, "rev-list", "--count", "prod") != "1" {
		t.Fatal("prod not created as a root commit")
	}
}

func TestRemoteUnreachable(t *testing.T) {
	root := t.TempDir()
	for _, url := range []string{
		"file://" + filepath.Join(root, "missing.git"),
		"http://127.0.0.1:1/env.git",
	} {
		_, err := Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "w"+fmt.Sprint(len(url)))})
		var re *RemoteError
		if !errors.As(err, &re) || re.Op != "fetch" || !IsOutside(err) {
			t.Fatalf("%s: got %T %v", url, err, err)
		}
	}
}

// racer publishes its own tenant's change: it rebuilds from the tip it is
// handed, as the pipeline does, keeping everything else of the tip.
func racer(t *testing.T, r *Repo, tenant string, gate *sync.WaitGroup, builds *int) (Outcome, error) {
	return r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		*builds++
		files, err := tip.Files("")
		if err != nil {
			return Change{}, err
		}
		files["clusters/c-dev/tenants/"+tenant+"/dev/config.yaml"] = []byte("owner: " + tenant + "\n")
		if *builds == 1 {
			// Both racers build on the same tip before either pushes.
			gate.Done()
			gate.Wait()
		}
		return chg(files, "render: "+tenant), nil
	})
}

func testRace(t *testing.T, url, root string, auth transport.AuthMethod) {
	seed := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "seed"), Auth: auth}))
	base := must[Outcome](t)(seed.Publish(ctx(t), fixed(tenantFiles(3, -1, 0), "base")))
	a := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "a"), Auth: auth}))
	b := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "b"), Auth: auth}))
	var gate, done sync.WaitGroup
	gate.Add(2)
	done.Add(2)
	var outA, outB Outcome
	var errA, errB error
	var buildsA, buildsB int
	go func() { defer done.Done(); outA, errA = racer(t, a, "tenant-a", &gate, &buildsA) }()
	go func() { defer done.Done(); outB, errB = racer(t, b, "tenant-b", &gate, &buildsB) }()
	done.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("errors: %v / %v", errA, errB)
	}
	if outA.Attempts+outB.Attempts != 3 || !outA.Pushed || !outB.Pushed {
		t.Fatalf("outcomes %+v / %+v", outA, outB)
	}
	// Both changes are in the remote's history and its tip.
	final := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "check"), Auth: auth}))
	snap := must[*Snapshot](t)(final.Snapshot())
	for _, tn := range []string{"tenant-a", "tenant-b"} {
		if _, err := snap.Read("clusters/c-dev/tenants/" + tn + "/dev/config.yaml"); err != nil {
			t.Fatalf("%s lost: %v", tn, err)
		}
	}
	files := must[map[string][]byte](t)(snap.Files(""))
	want := maps.Clone(tenantFiles(3, -1, 0))
	want["clusters/c-dev/tenants/tenant-a/dev/config.yaml"] = []byte("owner: tenant-a\n")
	want["clusters/c-dev/tenants/tenant-b/dev/config.yaml"] = []byte("owner: tenant-b\n")
	if !reflect.DeepEqual(files, want) {
		t.Fatal("final tree differs")
	}
	last, first := outA, outB
	if outB.Attempts == 2 {
		last, first = outB, outA
	}
	if last.Parent != first.Commit || first.Parent != base.Commit || snap.Commit != last.Commit {
		t.Fatal("history is not base → first → second")
	}
}

func TestRaceTwoPublishersFile(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	testRace(t, "file://"+remote, root, nil)
	run(t, remote, "fsck", "--strict")
	if n := run(t, remote, "rev-list", "--count", "main"); n != "3" {
		t.Fatalf("%s commits", n)
	}
}

func TestRejectedOnEveryAttempt(t *testing.T) {
	root := t.TempDir()
	remote := bareRemote(t, root, "env.git")
	url := "file://" + remote
	seed := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "seed")}))
	must[Outcome](t)(seed.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "base")))
	other := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "other")}))
	r := must[*Repo](t)(Open(ctx(t), url, Options{WorkDir: filepath.Join(root, "r"), MaxAttempts: 3}))
	n := 0
	_, err := r.Publish(ctx(t), func(tip *Snapshot) (Change, error) {
		n++
		// Another renderer gets there first, every time.
		must[Outcome](t)(other.Publish(ctx(t), fixed(tenantFiles(1, 0, n), fmt.Sprint("other ", n))))
		return chg(tenantFiles(5, -1, 0), "mine"), nil
	})
	var re *RemoteError
	if !errors.As(err, &re) || !errors.Is(err, ErrRejected) || re.Op != "push" || re.Attempts != 3 || n != 3 || !IsOutside(err) {
		t.Fatalf("got %v after %d builds", err, n)
	}
	if re.URL != url || !strings.Contains(err.Error(), url) {
		t.Fatalf("message %q", err)
	}
	if got := run(t, remote, "log", "--format=%s", "main"); got != "other 3\nother 2\nother 1\nbase" {
		t.Fatalf("remote history %q", got)
	}
	for _, p := range lsTree(t, remote, "main") {
		if strings.Contains(p, "tenant-0004") {
			t.Fatal("the rejected render reached the remote")
		}
	}
}

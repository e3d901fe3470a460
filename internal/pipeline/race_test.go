package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/gittest"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/render"
)

// raceAt is the instant of every render of the race test: no freeze window
// of the synthetic estate is active then.
var raceAt = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

const raceTenants = 6

// The tenants the racing revisions change.
const (
	tenantA = "tenant-00001"
	tenantB = "tenant-00002"
)

// TestRaceTwoRenders races two renders of different source revisions of an
// estate into one remote environment repository, over file:// and over
// smart HTTP (git http-backend), for a few rounds. A barrier in the
// remote's pre-receive hook holds the first two pushes of each round until
// both have arrived, so both renders are built on the same tip and exactly
// one of them is rejected and must fetch, render again against the other's
// commit and retry.
//
// Afterwards both renders are in the remote's history (or one failed with
// an outside error and nothing of it is there), and the tip holds a
// consistent render: its owned files are exactly a full render of the
// revision it must hold, the decision record of every render commit is
// kept, and .palisade/state.json holds that revision's fingerprints, so a
// later incremental render of it renders nothing and commits nothing.
//
// In mode "estate" each racer renders its whole revision: the revisions are
// consecutive source commits (B descends from A and changes one more
// tenant), and the tip must be the render of whichever landed last; a
// retry that reused the first build would drop the other's decision
// record. Its last round allows one attempt only: the rejected render
// fails with an outside error (exit status 3), leaving nothing behind. In
// mode "tenant" each racer renders only the tenant its revision changed
// (as `palisade render --tenant` does) and the others keep the tip's
// content: both changes must be in the tip whatever the order, which a
// retry that reused the first build would break.
func TestRaceTwoRenders(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	for _, via := range []string{"file", "http"} {
		for _, mode := range []string{"estate", "tenant"} {
			t.Run(via+"/"+mode, func(t *testing.T) {
				t.Parallel()
				testRaceRenders(t, via, mode)
			})
		}
	}
}

// racer is one render of the race.
type racer struct {
	name   string
	source string // the Palisade-Source-Commit trailer of its commit
	edits  map[string]string
	p      *pipeline.Prepared
	pub    *pipeline.Published
	err    error
}

func testRaceRenders(t *testing.T, via, mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := t.TempDir()
	remote := filepath.Join(root, "srv", "env.git")
	gitRun(t, root, "init", "--bare", "-q", "-b", "main", remote)
	gitRun(t, remote, "config", "http.receivepack", "true")
	barrier := filepath.Join(root, "barrier")
	hook := fmt.Sprintf(`#!/bin/sh
# Holds each push until two have arrived since the barrier was reset.
cat >/dev/null
mkdir -p %[1]q
: >%[1]q/$$
n=0
while [ "$(ls %[1]q | wc -l)" -lt 2 ] && [ $n -lt 200 ]; do
	sleep 0.05
	n=$((n+1))
done
exit 0
`, barrier)
	if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	url := "file://" + remote
	if via == "http" {
		url = serveGit(t, filepath.Dir(remote)) + "/env.git"
	}

	// expected are the edits of the revision the remote's tip renders.
	expected := map[string]string{}
	commits := 0
	if mode == "tenant" {
		// Renders of single tenants need the others committed before:
		// the base revision, pushed past the barrier.
		openBarrier(t, barrier)
		seed := &racer{name: "seed", source: "seed", edits: map[string]string{}}
		seed.p = prepare(t, ctx, seed.edits, nil)
		repo, err := envrepo.Open(ctx, url, envrepo.Options{WorkDir: filepath.Join(root, "clone-seed")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seed.p.Publish(ctx, repo, commitOf(seed)); err != nil {
			t.Fatal(err)
		}
		commits++
	}
	// In mode estate, the first round creates the branch: both renders
	// race to push the first commit. Its last round allows a single
	// attempt: the render that is rejected fails with an outside error
	// (exit status 3) and must leave nothing in the remote.
	rounds := 2
	if mode == "estate" {
		rounds = 3
	}
	for round := 1; round <= rounds; round++ {
		once := mode == "estate" && round == rounds
		if err := os.RemoveAll(barrier); err != nil {
			t.Fatal(err)
		}
		a := &racer{name: "a", source: fmt.Sprintf("round-%d-a", round),
			edits: map[string]string{tenantA: fmt.Sprintf("r%d-a", round)}}
		b := &racer{name: "b", source: fmt.Sprintf("round-%d-b", round),
			edits: map[string]string{tenantA: fmt.Sprintf("r%d-a", round), tenantB: fmt.Sprintf("r%d-b", round)}}
		racers := []*racer{a, b}
		for _, r := range racers {
			var only []string
			if mode == "tenant" {
				// Each renders only the tenant its revision changed.
				only = []string{map[string]string{"a": tenantA, "b": tenantB}[r.name]}
			}
			r.p = prepare(t, ctx, r.edits, only)
		}
		var start, done sync.WaitGroup
		start.Add(1)
		for _, r := range racers {
			done.Add(1)
			go func() {
				defer done.Done()
				// Each render opens its own clone, as separate processes
				// would.
				o := envrepo.Options{WorkDir: filepath.Join(root, "clone-"+r.name)}
				if once {
					o.MaxAttempts = 1
				}
				repo, err := envrepo.Open(ctx, url, o)
				start.Wait()
				if err != nil {
					r.err = err
					return
				}
				r.pub, r.err = r.p.Publish(ctx, repo, commitOf(r))
			}()
		}
		start.Done()
		done.Wait()

		// Who landed, in which order.
		hist := remoteHistory(t, remote)
		var landed []*racer
		for _, r := range racers {
			switch {
			case r.err == nil:
				if r.pub.Report.Denied || r.pub.Outcome.Unchanged || !r.pub.Outcome.Pushed {
					t.Fatalf("round %d: render %s: denied %v, unchanged %v, pushed %v",
						round, r.name, r.pub.Report.Denied, r.pub.Outcome.Unchanged, r.pub.Outcome.Pushed)
				}
				c, ok := hist.bySource[r.source]
				if !ok || c.hash != r.pub.Outcome.Commit.String() {
					t.Fatalf("round %d: render %s committed %s, not in the remote's history", round, r.name, r.pub.Outcome.Commit)
				}
				landed = append(landed, r)
			case isOutside(r.err):
				// Exit status 3: nothing of it may have reached the remote.
				t.Logf("round %d: render %s failed outside: %v", round, r.name, r.err)
				if _, ok := hist.bySource[r.source]; ok {
					t.Fatalf("round %d: render %s failed (%v) but its commit is in the remote", round, r.name, r.err)
				}
			default:
				t.Fatalf("round %d: render %s: %v", round, r.name, r.err)
			}
		}
		if len(landed) == 0 {
			t.Fatalf("round %d: neither render landed", round)
		}
		if once {
			// Both built on the same tip and had one attempt each.
			if len(landed) != 1 {
				t.Fatalf("round %d: with a single attempt each, %d renders landed", round, len(landed))
			}
			loser := a
			if landed[0] == a {
				loser = b
			}
			if !errors.Is(loser.err, envrepo.ErrRejected) {
				t.Fatalf("round %d: render %s: %v, want a rejection", round, loser.name, loser.err)
			}
		}
		if len(landed) == 2 {
			// The barrier made both build on the same tip: one was
			// rejected and built again on the other's commit.
			first, last := a, b
			if a.pub.Outcome.Attempts > b.pub.Outcome.Attempts {
				first, last = b, a
			}
			if first.pub.Outcome.Attempts != 1 || last.pub.Outcome.Attempts != 2 {
				t.Fatalf("round %d: attempts %d (a) and %d (b), want 1 and 2", round, a.pub.Outcome.Attempts, b.pub.Outcome.Attempts)
			}
			if last.pub.Outcome.Parent != first.pub.Outcome.Commit || hist.commits[0].hash != last.pub.Outcome.Commit.String() {
				t.Fatalf("round %d: render %s was not redone on top of %s's commit", round, last.name, first.name)
			}
			landed = []*racer{first, last}
		}
		if hist.commits[0].hash != landed[len(landed)-1].pub.Outcome.Commit.String() {
			t.Fatalf("round %d: the remote's tip is not the last render's commit", round)
		}

		commits += len(landed)
		if len(hist.commits) != commits {
			t.Fatalf("round %d: the remote has %d commits, want %d", round, len(hist.commits), commits)
		}

		// What the tip must hold: in mode estate, the revision that landed
		// last; in mode tenant, the change of each render that landed
		// over what was there: both tenants' changes.
		for _, r := range landed {
			if mode == "estate" {
				expected = maps.Clone(r.edits)
				continue
			}
			for _, tn := range r.p.Options.Tenants {
				expected[tn] = r.edits[tn]
			}
		}
		want := &racer{source: "the expected revision", edits: expected}
		for _, r := range racers {
			if maps.Equal(r.edits, expected) {
				want = r
			}
		}
		if want.p == nil {
			want.p = prepare(t, ctx, expected, nil)
		}
		checkTip(t, ctx, round, url, filepath.Join(root, "check"), hist, want)
		if len(landed) == 2 {
			t.Logf("round %d: %s landed, then %s on top of it", round, landed[0].name, landed[1].name)
		} else {
			t.Logf("round %d: only %s landed", round, landed[0].name)
		}
	}
	gitRun(t, remote, "fsck", "--strict")
}

// checkTip checks the remote's tip against a full render of want's
// revision.
func checkTip(t *testing.T, ctx context.Context, round int, url, work string, hist history, want *racer) {
	t.Helper()
	repo, err := envrepo.Open(ctx, url, envrepo.Options{WorkDir: work})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := repo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.Commit.String() != hist.commits[0].hash {
		t.Fatalf("round %d: fetched tip %s, the remote is at %s", round, snap.Commit, hist.commits[0].hash)
	}
	got, err := snap.Files("")
	if err != nil {
		t.Fatal(err)
	}
	full := *want.p
	full.Options.Tenants = nil
	out, err := full.Render(ctx, pipeline.NewMapBaseline(nil))
	if err != nil {
		t.Fatal(err)
	}
	if out.Report.Denied || len(out.Report.HeldBack) > 0 || len(out.Keep) > 0 {
		t.Fatalf("the full render of %s is not a whole tree: denied %v, held back %v", want.source, out.Report.Denied, out.Report.HeldBack)
	}
	owned := map[string][]byte{}
	for p, data := range got {
		if !strings.HasPrefix(p, ".palisade/") {
			owned[p] = data
		}
	}
	if !maps.EqualFunc(owned, out.Files, func(a, b []byte) bool { return string(a) == string(b) }) {
		var diff []string
		for _, p := range slices.Sorted(maps.Keys(out.Files)) {
			if d, ok := owned[p]; !ok || string(d) != string(out.Files[p]) {
				diff = append(diff, "want "+p)
			}
		}
		for _, p := range slices.Sorted(maps.Keys(owned)) {
			if _, ok := out.Files[p]; !ok {
				diff = append(diff, "extra "+p)
			}
		}
		t.Fatalf("round %d: the tip is not the render of %s (%d differences):\n%s", round, want.source, len(diff), strings.Join(diff[:min(len(diff), 20)], "\n"))
	}
	for tn, label := range want.edits {
		if !tenantHas(owned, tn, label+"."+tn) {
			t.Fatalf("round %d: %s's change %q is not in the tip", round, tn, label)
		}
	}

	// Every render commit's decision record is kept.
	for _, c := range hist.commits {
		if _, ok := got[c.record]; c.record == "" || !ok {
			t.Fatalf("round %d: the record %q of %s (%s) is not in the tip", round, c.record, c.hash[:12], c.source)
		}
	}

	// The state is the revision's fingerprints: rendering it again
	// renders no tenant and commits nothing.
	var st struct {
		Global  string            `json:"global"`
		Tenants map[string]string `json:"tenants"`
	}
	if err := json.Unmarshal(got[pipeline.StatePath], &st); err != nil {
		t.Fatalf("round %d: %s: %v", round, pipeline.StatePath, err)
	}
	fps, err := pipeline.Fingerprints(&full)
	if err != nil {
		t.Fatal(err)
	}
	if st.Global == "" || !maps.Equal(st.Tenants, fps) {
		t.Fatalf("round %d: the state's fingerprints are not those of %s:\n got %v\nwant %v", round, want.source, st.Tenants, fps)
	}
	pub, err := full.Publish(ctx, repo, pipeline.Commit{
		Source: pipeline.Source{Repo: "estate", Commit: "check"}, Version: "race",
		Author: object.Signature{Name: "check", Email: "check@example.test", When: raceAt},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Outcome.Unchanged || pub.Outcome.Pushed || len(pub.Report.Rendered) != 0 {
		t.Fatalf("round %d: rendering %s again rendered %d tenants and changed %v %v %v", round, want.source,
			len(pub.Report.Rendered), pub.Outcome.Added, pub.Outcome.Modified, pub.Outcome.Deleted)
	}
}

// prepare prepares a render of the revision with edits, of only the given
// tenants if any.
func prepare(t *testing.T, ctx context.Context, edits map[string]string, only []string) *pipeline.Prepared {
	t.Helper()
	p, err := pipeline.Prepare(ctx, pipeline.Options{
		Root: revision(t, edits), Tenants: only, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: raceAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func commitOf(r *racer) pipeline.Commit {
	return pipeline.Commit{
		Source:  pipeline.Source{Repo: "estate", Commit: r.source},
		Version: "race",
		Author:  object.Signature{Name: "racer " + r.name, Email: r.name + "@example.test", When: raceAt},
	}
}

// openBarrier lets the next push through at once.
func openBarrier(t *testing.T, dir string) {
	t.Helper()
	for _, n := range []string{"open-1", "open-2"} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tenantHas reports whether a file of the tenant holds s.
func tenantHas(files map[string][]byte, tenant, s string) bool {
	for p, data := range files {
		if strings.Contains(p, "/tenants/"+tenant+"/") && strings.Contains(string(data), s) {
			return true
		}
	}
	return false
}

// revision writes the synthetic estate with a domain added to each edited
// tenant, labelled by the value.
func revision(t *testing.T, edits map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := estategen.Write(dir, estategen.Options{Tenants: raceTenants, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for tn, label := range edits {
		p := filepath.Join(dir, "tenants", tn+".cue")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(data), `domains: ["`, fmt.Sprintf(`domains: ["%s.%s.synthetic.test", "`, label, tn), 1)
		if s == string(data) {
			t.Fatalf("%s has no domains", p)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func isOutside(err error) bool {
	var oe *pipeline.OutsideError
	return errors.As(err, &oe) || envrepo.IsOutside(err)
}

// history is the remote branch's commits, newest first.
type history struct {
	commits  []commitInfo
	bySource map[string]commitInfo
}

type commitInfo struct {
	hash, source, record string
	parents              int
}

func remoteHistory(t *testing.T, remote string) history {
	t.Helper()
	out := gitRun(t, remote, "log", "--first-parent",
		"--format=%H%x00%P%x00%(trailers:key=Palisade-Source-Commit,valueonly)%x00%b%x1e", "main")
	h := history{bySource: map[string]commitInfo{}}
	for _, entry := range strings.Split(out, "\x1e") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		f := strings.SplitN(entry, "\x00", 4)
		if len(f) != 4 {
			t.Fatalf("git log entry %q", entry)
		}
		c := commitInfo{hash: f[0], source: strings.TrimSpace(f[2]), parents: len(strings.Fields(f[1]))}
		for _, l := range strings.Split(f[3], "\n") {
			if r, ok := strings.CutPrefix(l, "Decision record: "); ok {
				c.record = strings.TrimSpace(r)
			}
		}
		if c.parents > 1 {
			t.Fatalf("merge commit %s in the environment branch", c.hash)
		}
		if _, dup := h.bySource[c.source]; dup {
			t.Fatalf("two commits of source %q", c.source)
		}
		h.commits = append(h.commits, c)
		h.bySource[c.source] = c
	}
	if len(h.commits) == 0 {
		t.Fatal("the remote branch has no commits")
	}
	return h
}

// gitRun runs git in dir, isolated from the machine's configuration.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// serveGit serves the bare repositories below root over smart HTTP with
// git http-backend on loopback.
func serveGit(t *testing.T, root string) string {
	t.Helper()
	backend := gittest.HTTPBackend(t, root)
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	return srv.URL
}

package pipeline_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// gitRepo is a repository in a temporary directory, committed to with the
// git command.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test",
		"GIT_AUTHOR_DATE=2026-11-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-11-01T00:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// commit writes files (an empty content deletes the file) and commits them.
func (r *gitRepo) commit(msg string, files map[string]string) {
	r.t.Helper()
	for p, data := range files {
		full := filepath.Join(r.dir, p)
		if data == "" {
			if err := os.Remove(full); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
}

func (r *gitRepo) drift() pipeline.Drift {
	r.t.Helper()
	tip, err := envrepo.ReadTip(r.dir, "main")
	if err != nil {
		r.t.Fatal(err)
	}
	d, err := pipeline.DriftSinceRender(tip)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

func TestDriftSinceRender(t *testing.T) {
	const (
		a      = "clusters/eu/tenants/a/production/kustomization.yaml"
		b      = "clusters/eu/tenants/b/production/kustomization.yaml"
		record = pipeline.RecordsDir + "/20261101T000000Z-000000000000.json"
	)

	t.Run("adopted repository", func(t *testing.T) {
		// History, edits of tenant directories included, but never a
		// render: nothing to compare with, nothing drifted.
		r := newGitRepo(t)
		r.commit("by hand", map[string]string{a: "a: 1\n", b: "b: 1\n"})
		r.commit("by hand again", map[string]string{a: "a: 2\n"})
		if d := r.drift(); d.Tenants != nil || d.State {
			t.Errorf("drift %+v, want none", d)
		}
	})

	r := newGitRepo(t)
	r.commit("before the first render", map[string]string{"README.md": "env\n"})
	r.commit("palisade: render", map[string]string{a: "a: 1\n", b: "b: 1\n", record: "{}\n", pipeline.StatePath: "{}\n"})
	if d := r.drift(); d.Tenants != nil || d.State {
		t.Fatalf("at the render commit: drift %+v, want none", d)
	}
	r.commit("an edit by hand", map[string]string{a: "a: 2\n", "README.md": "env, edited\n"})
	want := map[string][]string{"a": {a}}
	if d := r.drift(); !reflect.DeepEqual(d.Tenants, want) || d.State {
		t.Errorf("after an edit: drift %+v, want tenants %v", d, want)
	}

	// The records deleted, the state kept: the render commit is still
	// found in the history.
	r.commit("records deleted", map[string]string{record: ""})
	if d := r.drift(); !reflect.DeepEqual(d.Tenants, want) || d.State {
		t.Errorf("records deleted: drift %+v, want tenants %v", d, want)
	}
	r.commit("state edited", map[string]string{pipeline.StatePath: "{\"edited\": true}\n"})
	if d := r.drift(); !d.State {
		t.Errorf("state edited: drift %+v, want the state distrusted", d)
	}
}

// BenchmarkDriftAdopted finds the drift of a repository with 20,000
// commits and no render yet, as the first render into an adopted
// repository does.
//
//	go test -run '^$' -bench BenchmarkDriftAdopted ./internal/pipeline/
func BenchmarkDriftAdopted(b *testing.B) {
	dir := b.TempDir()
	if out, err := exec.Command("git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	// fast-import writes the history in one go.
	var stream []byte
	for i := range 20000 {
		content := fmt.Sprintf("replicas: %d\n", i)
		stream = fmt.Appendf(stream, "commit refs/heads/main\ncommitter t <t@example.test> %d +0000\ndata 4\nedit\n", 1700000000+i)
		stream = fmt.Appendf(stream, "M 644 inline clusters/eu/tenants/t%d/production/kustomization.yaml\ndata %d\n%s\n", i%500, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, bytes.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	tip, err := envrepo.ReadTip(dir, "main")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if d, err := pipeline.DriftSinceRender(tip); err != nil || d.Tenants != nil {
			b.Fatal(d, err)
		}
	}
}

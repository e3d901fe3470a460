package envrepo

import (
	"context"
	"fmt"
	"github.com/palisade-gitops/palisade/internal/gittest"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// when is the fixed time of every commit the tests make.
var when = time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))

func sig() object.Signature {
	return object.Signature{Name: "Palisade", Email: "palisade@example.com", When: when}
}

// gitEnv isolates git commands from the machine's configuration.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Someone", "GIT_AUTHOR_EMAIL=someone@example.com",
		"GIT_COMMITTER_NAME=Someone", "GIT_COMMITTER_EMAIL=someone@example.com",
		"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z",
	)
}

// git runs the git command in dir and returns its output.
func run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// bareRemote makes an empty bare repository that accepts pushes over
// http-backend.
func bareRemote(t testing.TB, root, name string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "init", "--bare", "-q", "-b", "main")
	run(t, dir, "config", "http.receivepack", "true")
	return dir
}

// gitHTTP serves the bare repositories below root over smart HTTP with
// git http-backend, behind basic auth when user is not empty.
func gitHTTP(t testing.TB, root, user, pass string) *httptest.Server {
	t.Helper()
	backend := gittest.HTTPBackend(t, root)
	h := http.Handler(backend)
	if user != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorised", http.StatusUnauthorized)
				return
			}
			backend.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// tenantFiles renders a synthetic estate: per tenant and environment a
// kustomization and a deployment, per cluster a few files, and a bases
// directory. version changes the content of one tenant.
func tenantFiles(tenants int, changed int, version int) map[string][]byte {
	envs := []string{"dev", "staging", "prod"}
	files := map[string][]byte{}
	pad := strings.Repeat("# padding to make the file a realistic size\n", 40)
	for _, env := range envs {
		c := "c-" + env
		files["clusters/"+c+"/kustomization.yaml"] = []byte("resources:\n- tenants\n")
		files["clusters/"+c+"/namespaces.yaml"] = []byte("kind: List\n" + pad)
		for i := range tenants {
			tn := fmt.Sprintf("tenant-%04d", i)
			v := 0
			if i == changed {
				v = version
			}
			dir := "clusters/" + c + "/tenants/" + tn + "/" + env + "/"
			files[dir+"kustomization.yaml"] = fmt.Appendf(nil, "namespace: %s-%s\nresources:\n- deployment.yaml\n# v%d\n", tn, env, v)
			files[dir+"deployment.yaml"] = fmt.Appendf(nil, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n# v%d\n%s", tn, v, pad)
		}
	}
	files["bases/app/deployment.yaml"] = []byte("kind: Deployment\n" + pad)
	files[".palisade/records/latest.json"] = []byte(`{"tenants": 1}` + "\n")
	return files
}

func chg(files map[string][]byte, msg string) Change {
	return Change{Files: files, Message: msg, Author: sig()}
}

// fixed returns a build callback that always wants files.
func fixed(files map[string][]byte, msg string) func(*Snapshot) (Change, error) {
	return func(*Snapshot) (Change, error) { return chg(files, msg), nil }
}

// lsTree lists the files of a revision with the git CLI.
func lsTree(t testing.TB, dir, rev string) []string {
	t.Helper()
	out := run(t, dir, "ls-tree", "-r", "--name-only", rev)
	if out == "" {
		return nil
	}
	l := strings.Split(out, "\n")
	sort.Strings(l)
	return l
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

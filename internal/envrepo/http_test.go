package envrepo

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

const (
	httpUser = "renderer"
	httpPass = "s3cr3t-Pa55word"
)

func httpRemote(t *testing.T) (root, repoURL string) {
	root = t.TempDir()
	srv := root + "/srv"
	bareRemote(t, srv, "env.git")
	s := gitHTTP(t, srv, httpUser, httpPass)
	return root, s.URL + "/env.git"
}

func TestHTTPAuth(t *testing.T) {
	root, u := httpRemote(t)
	t.Run("none", func(t *testing.T) {
		_, err := Open(ctx(t), u, Options{WorkDir: filepath.Join(root, "none")})
		var re *RemoteError
		if !errors.As(err, &re) || !errors.Is(err, transport.ErrAuthenticationRequired) || !IsOutside(err) {
			t.Fatalf("got %T %v", err, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		env := map[string]string{EnvUsername: httpUser, EnvPassword: "wrong-" + httpPass}
		auth, err := AuthFromEnv(u, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx(t), u, Options{WorkDir: filepath.Join(root, "wrong"), Auth: auth})
		if !IsOutside(err) || !errors.Is(err, transport.ErrAuthenticationRequired) {
			t.Fatalf("got %v", err)
		}
		t.Log(err)
		if strings.Contains(err.Error(), httpPass) {
			t.Fatalf("password in %q", err)
		}
	})
	t.Run("wrong password in URL", func(t *testing.T) {
		pu, _ := url.Parse(u)
		pu.User = url.UserPassword(httpUser, "url-"+httpPass)
		withCreds := pu.String()
		auth, err := AuthFromEnv(withCreds, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx(t), withCreds, Options{WorkDir: filepath.Join(root, "url"), Auth: auth})
		if !IsOutside(err) {
			t.Fatalf("got %v", err)
		}
		if strings.Contains(err.Error(), httpPass) || strings.Contains(err.Error(), httpUser+":") {
			t.Fatalf("credentials in %q", err)
		}
		var re *RemoteError
		errors.As(err, &re)
		if re.URL != u {
			t.Fatalf("URL %q", re.URL)
		}
	})
	t.Run("right", func(t *testing.T) {
		env := map[string]string{EnvUsername: httpUser, EnvToken: httpPass}
		auth, err := AuthFromEnv(u, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		work := filepath.Join(root, "right")
		r := must[*Repo](t)(Open(ctx(t), u, Options{WorkDir: work, Auth: auth}))
		files := tenantFiles(2, -1, 0)
		out := must[Outcome](t)(r.Publish(ctx(t), fixed(files, "over http\n\nPalisade-Source-Commit: 42")))
		if !out.Pushed {
			t.Fatalf("%+v", out)
		}
		srv := filepath.Join(root, "srv", "env.git")
		if run(t, srv, "rev-parse", "main") != out.Commit.String() || run(t, srv, "log", "-1", "--format=%(trailers)") != "Palisade-Source-Commit: 42" {
			t.Fatal("remote not updated")
		}
		next := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(2, 0, 1), "second")))
		if !next.Pushed || run(t, srv, "rev-parse", "main") != next.Commit.String() {
			t.Fatal("second push")
		}
		// The credentials are not stored in the clone.
		if cfg := run(t, work, "config", "--list"); strings.Contains(cfg, httpPass) {
			t.Fatal("credentials in the clone's config")
		}
		run(t, srv, "fsck", "--strict")
	})
	t.Run("push refused", func(t *testing.T) {
		// Credentials that may read but not push: the server answers 403.
		srvRoot := t.TempDir()
		bareRemote(t, srvRoot, "ro.git")
		run(t, filepath.Join(srvRoot, "ro.git"), "config", "http.receivepack", "false")
		s := gitHTTP(t, srvRoot, "", "")
		r := must[*Repo](t)(Open(ctx(t), s.URL+"/ro.git", Options{WorkDir: filepath.Join(root, "ro")}))
		n := 0
		_, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) { n++; return chg(tenantFiles(1, -1, 0), "m"), nil })
		var re *RemoteError
		t.Log(err)
		if !errors.As(err, &re) || re.Op != "push" || errors.Is(err, ErrRejected) || n != 1 {
			t.Fatalf("got %v after %d builds", err, n)
		}
	})
}

func TestRaceTwoPublishersHTTP(t *testing.T) {
	root, u := httpRemote(t)
	testRace(t, u, root, &githttp.BasicAuth{Username: httpUser, Password: httpPass})
}

// Both publishers see the same remote tip when they start pushing: the
// server takes one update and rejects the other, which builds again.
func TestRaceServerSideRejection(t *testing.T) {
	for _, remote := range []string{"file", "http"} {
		t.Run(remote, func(t *testing.T) {
			var u, root string
			var auth transport.AuthMethod
			if remote == "http" {
				root, u = httpRemote(t)
				auth = &githttp.BasicAuth{Username: httpUser, Password: httpPass}
			} else {
				root = t.TempDir()
				u = "file://" + bareRemote(t, root, "env.git")
			}
			seed := must[*Repo](t)(Open(ctx(t), u, Options{WorkDir: filepath.Join(root, "seed"), Auth: auth}))
			must[Outcome](t)(seed.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "base")))
			var gate sync.WaitGroup
			gate.Add(2)
			var once [2]sync.Once
			repos := make([]*Repo, 2)
			for i := range repos {
				repos[i] = must[*Repo](t)(Open(ctx(t), u, Options{WorkDir: filepath.Join(root, string(rune('a'+i))), Auth: auth}))
				repos[i].hook = func(stage string) error {
					if stage == "advertised" {
						once[i].Do(func() { gate.Done(); gate.Wait() })
					}
					return nil
				}
			}
			outs := make([]Outcome, 2)
			errs := make([]error, 2)
			var done sync.WaitGroup
			for i := range repos {
				done.Add(1)
				go func() {
					defer done.Done()
					outs[i], errs[i] = repos[i].Publish(ctx(t), func(tip *Snapshot) (Change, error) {
						files := must[map[string][]byte](t)(tip.Files(""))
						files["clusters/x/"+string(rune('a'+i))] = []byte{byte('a' + i)}
						return chg(files, "racer"), nil
					})
				}()
			}
			done.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("errors %v / %v", errs[0], errs[1])
			}
			if outs[0].Attempts+outs[1].Attempts != 3 {
				t.Fatalf("outcomes %+v / %+v", outs[0], outs[1])
			}
			check := must[*Repo](t)(Open(ctx(t), u, Options{WorkDir: filepath.Join(root, "check"), Auth: auth}))
			snap := must[*Snapshot](t)(check.Snapshot())
			if p := must[[]string](t)(snap.Paths("clusters/x")); len(p) != 2 {
				t.Fatalf("paths %v", p)
			}
		})
	}
}

func TestHTTPCredentialsInURL(t *testing.T) {
	root, u := httpRemote(t)
	pu, _ := url.Parse(u)
	pu.User = url.UserPassword(httpUser, httpPass)
	r := must[*Repo](t)(Open(ctx(t), pu.String(), Options{WorkDir: filepath.Join(root, "w")}))
	if r.Remote() != u {
		t.Fatalf("Remote %q", r.Remote())
	}
	out := must[Outcome](t)(r.Publish(ctx(t), fixed(tenantFiles(1, -1, 0), "m")))
	if !out.Pushed {
		t.Fatal("not pushed")
	}
	if cfg := run(t, filepath.Join(root, "w"), "config", "--list"); strings.Contains(cfg, httpPass) {
		t.Fatal("credentials stored in the clone")
	}
}

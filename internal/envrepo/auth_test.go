package envrepo

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestAuthFromEnvHTTP(t *testing.T) {
	const u = "https://git.example.com/org/env.git"
	for name, c := range map[string]struct {
		url        string
		env        map[string]string
		user, pass string
		none       bool
		err        bool
	}{
		"token":              {u, map[string]string{EnvToken: "T0KEN-v4lue"}, "x-access-token", "T0KEN-v4lue", false, false},
		"token and username": {u, map[string]string{EnvToken: "T0KEN-v4lue", EnvUsername: "bot"}, "bot", "T0KEN-v4lue", false, false},
		"token wins":         {u, map[string]string{EnvToken: "T0KEN-v4lue", EnvUsername: "bot", EnvPassword: "pw"}, "bot", "T0KEN-v4lue", false, false},
		"username password":  {u, map[string]string{EnvUsername: "bot", EnvPassword: "pw"}, "bot", "pw", false, false},
		"url userinfo":       {"https://bot:pw@git.example.com/env.git", nil, "bot", "pw", false, false},
		"env over userinfo":  {"https://bot:pw@git.example.com/env.git", map[string]string{EnvToken: "T0KEN-v4lue"}, "x-access-token", "T0KEN-v4lue", false, false},
		"nothing":            {u, nil, "", "", true, false},
		"username alone":     {u, map[string]string{EnvUsername: "bot"}, "", "", false, true},
		"password alone":     {u, map[string]string{EnvPassword: "pw"}, "", "", false, true},
		"file":               {"file:///srv/env.git", map[string]string{EnvToken: "T0KEN-v4lue"}, "", "", true, false},
		"local":              {"/srv/env", map[string]string{EnvToken: "T0KEN-v4lue"}, "", "", true, false},
		"ssh without key":    {"git@example.com:org/env.git", map[string]string{EnvToken: "T0KEN-v4lue"}, "", "", true, false},
	} {
		t.Run(name, func(t *testing.T) {
			a, err := AuthFromEnv(c.url, envOf(c.env))
			if c.err {
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want a *UsageError", err)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Fatalf("secret in %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.none {
				if a != nil {
					t.Fatalf("got %#v, want nil", a)
				}
				return
			}
			b, ok := a.(*githttp.BasicAuth)
			if !ok || b.Username != c.user || b.Password != c.pass {
				t.Fatalf("got %#v", a)
			}
			if strings.Contains(b.String(), c.pass) {
				t.Fatal("BasicAuth.String shows the password")
			}
		})
	}
}

func writeKey(t *testing.T, dir, passphrase string) string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("id_%d", len(passphrase)))
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuthFromEnvSSH(t *testing.T) {
	dir := t.TempDir()
	plain := writeKey(t, dir, "")
	locked := writeKey(t, dir, "hunter2-passphrase")
	known := filepath.Join(dir, "known_hosts")
	os.WriteFile(known, []byte("example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"), 0o644)

	a, err := AuthFromEnv("deploy@example.com:org/env.git", envOf(map[string]string{EnvSSHKey: plain, EnvSSHKnownHosts: known}))
	if err != nil {
		t.Fatal(err)
	}
	pk, ok := a.(*gitssh.PublicKeys)
	if !ok || pk.User != "deploy" || pk.HostKeyCallback == nil {
		t.Fatalf("got %#v", a)
	}
	a, err = AuthFromEnv("ssh://example.com/org/env.git", envOf(map[string]string{EnvSSHKey: locked, EnvSSHPassphrase: "hunter2-passphrase"}))
	if err != nil {
		t.Fatal(err)
	}
	if pk := a.(*gitssh.PublicKeys); pk.User != "git" {
		t.Fatalf("user %q", pk.User)
	}
	_, err = AuthFromEnv("ssh://example.com/env.git", envOf(map[string]string{EnvSSHKey: locked, EnvSSHPassphrase: "wrong-passphrase"}))
	if err == nil || strings.Contains(err.Error(), "wrong-passphrase") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
	_, err = AuthFromEnv("ssh://example.com/env.git", envOf(map[string]string{EnvSSHKey: filepath.Join(dir, "missing")}))
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
}

func TestParseLocationAndCleanURL(t *testing.T) {
	for in, want := range map[string]struct {
		clean  string
		remote bool
	}{
		"https://user:tok@git.example.com/org/env.git": {"https://git.example.com/org/env.git", true},
		"http://tok@127.0.0.1:8080/env.git":            {"http://127.0.0.1:8080/env.git", true},
		"ssh://git:pw@example.com:2222/env.git":        {"ssh://git@example.com:2222/env.git", true},
		"git@github.com:org/env.git":                   {"git@github.com:org/env.git", true},
		"file:///srv/env.git":                          {"file:///srv/env.git", true},
		"/srv/env":                                     {"/srv/env", false},
		"./out/env:weird":                              {"./out/env:weird", false},
		"relative/dir":                                 {"relative/dir", false},
	} {
		l, err := parseLocation(in)
		if err != nil || l.clean != want.clean || l.remote != want.remote {
			t.Errorf("%s: got %+v %v", in, l, err)
		}
		if CleanURL(in) != want.clean {
			t.Errorf("CleanURL(%s) = %s", in, CleanURL(in))
		}
	}
	if got := stripUserinfo(`Get "https://u:p@h/x": EOF`); got != `Get "https://h/x": EOF` {
		t.Fatal(got)
	}
	re := &RemoteError{Op: "push", URL: "https://h/x", Err: errors.New("bad tok3n at https://u:tok3n@h/x"), secrets: []string{"tok3n"}}
	if strings.Contains(re.Error(), "tok3n") {
		t.Fatal(re.Error())
	}
}

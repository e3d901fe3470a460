// Package gittest serves git repositories to tests the way a real git
// server does: git http-backend, the smart-HTTP server that ships with
// git, behind Go's net/http/cgi.
package gittest

import (
	"io"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// HTTPBackend is git http-backend serving the bare repositories below
// root, pushes included (each needs http.receivepack set), with no system
// or user git configuration.
func HTTPBackend(t testing.TB, root string) *cgi.Handler {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	return &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Dir:  root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"HOME=" + root,
		},
		InheritEnv: []string{"PATH"},
		Stderr:     io.Discard,
	}
}

package render

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps rendering a pure function: render must not depend on
// git, registries, signing or the CLI's stages, and its own code must not
// reach the network, the filesystem or other processes.
func TestLayering(t *testing.T) {
	const module = "github.com/palisade-gitops/palisade"
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list render's dependencies: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", module+"/render").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	// The estate validator's image reference parser is pure.
	allowed := map[string]bool{"github.com/google/go-containerregistry/pkg/name": true}
	forbidden := []string{
		"github.com/go-git/",
		"github.com/sigstore/",
		"github.com/google/go-containerregistry/",
		module + "/internal/cli",
		module + "/internal/tree",
		module + "/internal/images",
		module + "/internal/envrepo",
		module + "/internal/policy",
	}
	for _, d := range deps {
		if allowed[d] {
			continue
		}
		for _, f := range forbidden {
			if d == strings.TrimSuffix(f, "/") || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("render depends on %s", d)
			}
		}
	}

	// render's own files: no network, filesystem or processes.
	banned := map[string]bool{"net": true, "net/http": true, "os/exec": true, "os": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		n++
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if banned[p] || strings.HasPrefix(p, "net/http/") {
				t.Errorf("%s imports %q", fset.Position(imp.Pos()), p)
			}
		}
	}
	if n == 0 {
		t.Fatal("no render source files found")
	}
}

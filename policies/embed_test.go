package policies

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// TestFormatted keeps the policies in `opa fmt` form.
func TestFormatted(t *testing.T) {
	files, err := fs.Glob(FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != string(src) {
			t.Errorf("%s is not formatted: run opa fmt -w policies/", name)
		}
	}
}

// TestEveryRuleFileHasTests checks each rule module has its _test.rego.
func TestEveryRuleFileHasTests(t *testing.T) {
	files, err := fs.Glob(FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		if test := strings.TrimSuffix(name, ".rego") + "_test.rego"; !slices.Contains(files, test) {
			t.Errorf("%s has no %s", name, test)
		}
	}
}

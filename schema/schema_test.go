package schema_test

import (
	"io/fs"
	"testing"

	"cuelang.org/go/cue/format"

	"github.com/palisade-gitops/palisade/schema"
)

// TestFormatted keeps the schema as `cue fmt` writes it.
func TestFormatted(t *testing.T) {
	files, err := fs.Glob(schema.FS, "*.cue")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	for _, f := range files {
		src, err := fs.ReadFile(schema.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.Source(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if string(got) != string(src) {
			t.Errorf("%s is not formatted: run cue fmt", f)
		}
	}
}

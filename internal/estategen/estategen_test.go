package estategen_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
)

// TestWriteIsValid checks that generated estates load: the generator is
// only useful for benchmarks if what it writes is a valid estate.
func TestWriteIsValid(t *testing.T) {
	for _, n := range []int{1, 40} {
		dir := t.TempDir()
		if err := estategen.Write(dir, estategen.Options{Tenants: n, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		e, err := estate.Load(dir)
		if err != nil {
			t.Fatalf("%d tenants: %v", n, err)
		}
		if len(e.Tenants) != n {
			t.Fatalf("loaded %d tenants, want %d", len(e.Tenants), n)
		}
	}
}

// TestWriteDeterministic checks that one seed gives the same files.
func TestWriteDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := estategen.Write(d, estategen.Options{Tenants: 30, Seed: 3}); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || string(x) != string(y) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

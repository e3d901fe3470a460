package tree_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/tree"
)

var owned = []string{"bases", "clusters"}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func exists(dir, rel string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil
}

func TestWriteReplacesOwnedAndCarriesOverTheRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	st, err := tree.Write(dir, map[string][]byte{
		"clusters/a/tenants/x/production/manifest.yaml": []byte("x1\n"),
		"clusters/a/tenants/y/production/manifest.yaml": []byte("y1\n"),
	}, tree.Options{Owned: owned})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Bytes != 6 {
		t.Errorf("stats = %+v, want 2 files, 6 bytes", st)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Write(dir, map[string][]byte{
		"clusters/a/tenants/x/production/manifest.yaml": []byte("x2\n"),
	}, tree.Options{Owned: owned}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, "clusters/a/tenants/x/production/manifest.yaml"); got != "x2\n" {
		t.Errorf("x = %q, want the new content", got)
	}
	if exists(dir, "clusters/a/tenants/y") {
		t.Error("y, no longer rendered, is still there")
	}
	if got := read(t, dir, "README.md"); got != "mine\n" {
		t.Errorf("README.md = %q, want it carried over", got)
	}
	// No staging directory is left beside the output.
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".out.palisade-*"))
	if len(m) != 0 {
		t.Errorf("staging left behind: %v", m)
	}
}

func TestWriteKeep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := tree.Write(dir, map[string][]byte{
		"clusters/a/tenants/x/production/manifest.yaml": []byte("x1\n"),
		"clusters/a/tenants/y/production/manifest.yaml": []byte("y1\n"),
	}, tree.Options{Owned: owned}); err != nil {
		t.Fatal(err)
	}
	// y is held back: its old files stay, and new ones for it are ignored.
	if _, err := tree.Write(dir, map[string][]byte{
		"clusters/a/tenants/x/production/manifest.yaml": []byte("x2\n"),
		"clusters/a/tenants/y/production/manifest.yaml": []byte("y2\n"),
	}, tree.Options{Owned: owned, Keep: []string{"clusters/a/tenants/y/production"}}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, "clusters/a/tenants/y/production/manifest.yaml"); got != "y1\n" {
		t.Errorf("kept y = %q, want the old content", got)
	}
	if got := read(t, dir, "clusters/a/tenants/x/production/manifest.yaml"); got != "x2\n" {
		t.Errorf("x = %q, want the new content", got)
	}
}

func TestWriteFailureLeavesTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := tree.Write(dir, map[string][]byte{"clusters/a/f.yaml": []byte("1\n")}, tree.Options{Owned: owned}); err != nil {
		t.Fatal(err)
	}
	_, err := tree.Write(dir, map[string][]byte{
		"clusters/a/f.yaml": []byte("2\n"),
		"../escape.yaml":    []byte("x\n"),
	}, tree.Options{Owned: owned})
	if err == nil || !strings.Contains(err.Error(), "outside the tree") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if got := read(t, dir, "clusters/a/f.yaml"); got != "1\n" {
		t.Errorf("f = %q after a failed write, want the old content", got)
	}
	if exists(filepath.Dir(dir), "escape.yaml") {
		t.Error("a file was written outside the tree")
	}
}

func TestWriteRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := tree.Write(dir, map[string][]byte{"clusters/a/f.yaml": []byte("1\n")}, tree.Options{Owned: owned})
	if err == nil || !strings.Contains(err.Error(), "not written by palisade") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if exists(dir, "clusters") {
		t.Error("wrote into a foreign directory")
	}
}

func TestWriteRemovesStaleStaging(t *testing.T) {
	parent := t.TempDir()
	stale := filepath.Join(parent, ".out.palisade-12345")
	if err := os.MkdirAll(filepath.Join(stale, "clusters"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Write(filepath.Join(parent, "out"), map[string][]byte{"clusters/a/f.yaml": []byte("1\n")}, tree.Options{Owned: owned}); err != nil {
		t.Fatal(err)
	}
	if exists(parent, ".out.palisade-12345") {
		t.Error("the staging directory of an interrupted run was not cleaned up")
	}
}

func TestCompare(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	files := map[string][]byte{
		"clusters/a/tenants/x/production/kustomization.yaml": []byte("k\n"),
		"clusters/a/tenants/x/production/resources.yaml":     []byte("r\n"),
	}
	if _, err := tree.Write(dir, files, tree.Options{Owned: owned}); err != nil {
		t.Fatal(err)
	}
	const x = "clusters/a/tenants/x/production"
	for _, tc := range []struct {
		name   string
		files  map[string][]byte
		prefix string
		want   tree.State
	}{
		{"same", files, x, tree.Same},
		{"absent", files, "clusters/a/tenants/y/production", tree.Absent},
		{"content", map[string][]byte{x + "/kustomization.yaml": []byte("k\n"), x + "/resources.yaml": []byte("r2\n")}, x, tree.Changed},
		{"file removed", map[string][]byte{x + "/kustomization.yaml": []byte("k\n")}, x, tree.Changed},
		{"file added", map[string][]byte{x + "/kustomization.yaml": []byte("k\n"), x + "/resources.yaml": []byte("r\n"), x + "/extra.yaml": []byte("e\n")}, x, tree.Changed},
	} {
		got, err := tree.Compare(dir, tc.files, tc.prefix)
		if err != nil || got != tc.want {
			t.Errorf("%s: Compare = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

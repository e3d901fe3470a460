package overlay

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

func TestFS(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"platform.cue": "disk", "tenants/a.cue": "disk a", "tenants/b.cue": "disk b"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := FS{Mem: fstest.MapFS{
		"tenants/a.cue": {Data: []byte("memory a")},
		"tenants/c.cue": {Data: []byte("memory c")},
		"tiers/t.cue":   {Data: []byte("memory t")},
	}, Disk: os.DirFS(dir)}

	for name, want := range map[string]string{
		"platform.cue": "disk", "tenants/a.cue": "memory a", "tenants/b.cue": "disk b",
		"tenants/c.cue": "memory c", "tiers/t.cue": "memory t",
	} {
		got, err := fs.ReadFile(o, name)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	for dir, want := range map[string][]string{
		".":       {"platform.cue", "tenants", "tiers"},
		"tenants": {"a.cue", "b.cue", "c.cue"},
		"tiers":   {"t.cue"}, // only in memory
	} {
		entries, err := fs.ReadDir(o, dir)
		if err != nil {
			t.Fatalf("ReadDir(%s): %v", dir, err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("ReadDir(%s) = %v, want %v", dir, got, want)
		}
	}
	if _, err := fs.ReadFile(o, "tenants/missing.cue"); !os.IsNotExist(err) {
		t.Errorf("ReadFile(missing) = %v, want not exist", err)
	}
	// The standard checks of an fs.FS: Open, Stat, ReadDir in pieces...
	if err := fstest.TestFS(o, "platform.cue", "tenants/a.cue", "tenants/b.cue", "tenants/c.cue", "tiers/t.cue"); err != nil {
		t.Error(err)
	}
}

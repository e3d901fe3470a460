package envrepo

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// Change.Keep: the files of a kept directory the change does not name
// stay as the tip has them, unread; the change adds to them and replaces
// them. Files() skips a directory without reading it.
func TestKeep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	files := map[string][]byte{
		"clusters/c/app.yaml":           []byte("kind: Deployment\n"),
		".palisade/state.json":          []byte("{}\n"),
		".palisade/records/a.json":      []byte("a\n"),
		".palisade/records/2026/b.json": []byte("b\n"),
	}
	must[Outcome](t)(r.Publish(ctx(t), fixed(files, "initial")))

	keep := func(files map[string][]byte, msg string) func(*Snapshot) (Change, error) {
		return func(tip *Snapshot) (Change, error) {
			ch := chg(files, msg)
			ch.Keep = []string{".palisade/records/"}
			return ch, nil
		}
	}
	// A new record, the others not handed back.
	out := must[Outcome](t)(r.Publish(ctx(t), keep(map[string][]byte{
		"clusters/c/app.yaml":      []byte("kind: Deployment\n# v2\n"),
		".palisade/state.json":     []byte("{}\n"),
		".palisade/records/c.json": []byte("c\n"),
	}, "second")))
	if !slices.Equal(out.Added, []string{".palisade/records/c.json"}) || !slices.Equal(out.Modified, []string{"clusters/c/app.yaml"}) || len(out.Deleted) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	want := []string{".palisade/records/2026/b.json", ".palisade/records/a.json", ".palisade/records/c.json", ".palisade/state.json", "clusters/c/app.yaml"}
	if got := lsTree(t, dir, "main"); !slices.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	assertClean(t, dir)

	// Nothing but kept files left out: unchanged.
	out = must[Outcome](t)(r.Publish(ctx(t), keep(map[string][]byte{
		"clusters/c/app.yaml":  []byte("kind: Deployment\n# v2\n"),
		".palisade/state.json": []byte("{}\n"),
	}, "same")))
	if !out.Unchanged {
		t.Fatalf("outcome %+v, want unchanged", out)
	}

	// A kept file replaced; a file outside the kept directory, not
	// named, goes as ever.
	out = must[Outcome](t)(r.Publish(ctx(t), keep(map[string][]byte{
		"clusters/c/app.yaml":      []byte("kind: Deployment\n# v2\n"),
		".palisade/records/a.json": []byte("a, amended\n"),
	}, "third")))
	if !slices.Equal(out.Modified, []string{".palisade/records/a.json"}) || !slices.Equal(out.Deleted, []string{".palisade/state.json"}) {
		t.Fatalf("outcome %+v", out)
	}
	assertClean(t, dir)

	// Skipped directories are not read.
	snap := must[*Snapshot](t)(r.Snapshot())
	got := must[map[string][]byte](t)(snap.Files("", ".palisade/records"))
	if !slices.Equal(keys(got), []string{"clusters/c/app.yaml"}) {
		t.Fatalf("files %v", keys(got))
	}

	// Without Keep, what the change does not name goes.
	out = must[Outcome](t)(r.Publish(ctx(t), fixed(map[string][]byte{"clusters/c/app.yaml": []byte("x\n")}, "fourth")))
	if len(out.Deleted) != 3 {
		t.Fatalf("outcome %+v, want the 3 records deleted", out)
	}
	assertClean(t, dir)

	// Keep names owned directories only.
	_, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) {
		ch := chg(map[string][]byte{"clusters/c/app.yaml": []byte("x\n")}, "fifth")
		ch.Keep = []string{"elsewhere"}
		return ch, nil
	})
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Keep outside the owned prefixes: %v", err)
	}
}

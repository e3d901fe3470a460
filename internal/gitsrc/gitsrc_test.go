package gitsrc

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/gitstore"
)

func runGit(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// writeFiles writes files (slash-separated paths to contents) under top.
func writeFiles(t testing.TB, top string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(top, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// commitEstate makes top a git repository, commits everything in it and
// opens the estate at top/estate.
func commitEstate(t testing.TB, top string) *Repo {
	t.Helper()
	return commitAt(t, top, "estate")
}

// commitAt commits everything under top as a new repository's first
// commit and opens the estate at its directory sub.
func commitAt(t testing.TB, top, sub string) *Repo {
	t.Helper()
	runGit(t, top, "init", "-q", "-b", "main")
	runGit(t, top, "add", "-A")
	runGit(t, top, "commit", "-q", "-m", "estate")
	r, err := Open(filepath.Join(top, sub))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExtractFS: the files the predicate selects stay in memory, the
// others are written, and the file system returned shows the estate whole
// — directories merging both — as a conforming fs.FS.
func TestExtractFS(t *testing.T) {
	top := t.TempDir()
	files := map[string]string{
		"README.md":                      "outside the estate\n",
		"estate/platform.cue":            "package estate\n",
		"estate/tenants/acme.cue":        "package estate\n// acme\n",
		"estate/tenants/bravo.cue":       "package estate\n// bravo\n",
		"estate/tenants/notes.txt":       "not CUE\n",
		"estate/tiers/shared.cue":        "package estate\n// shared\n",
		"estate/keys/release.pub":        "-----BEGIN PUBLIC KEY-----\n",
		"estate/mirror/index.json":       "{}\n",
		"estate/policies/extra.rego":     "package extra\n",
		"estate/policies/data/data.json": "{}\n",
	}
	writeFiles(t, top, files)
	r := commitEstate(t, top)
	c, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	cueFile := func(rel string) bool { return path.Ext(rel) == ".cue" && path.Dir(rel) != "." }
	dir := filepath.Join(t.TempDir(), "x")
	root, fsys, err := r.ExtractFS(c, dir, cueFile)
	if err != nil {
		t.Fatal(err)
	}
	if root != filepath.Join(dir, "estate") {
		t.Errorf("root %s", root)
	}
	for name := range files {
		rel, _ := filepath.Rel("estate", filepath.FromSlash(name))
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if onDisk := err == nil; onDisk == cueFile(filepath.ToSlash(rel)) {
			t.Errorf("%s: on disk %v", name, onDisk)
		}
	}
	var want []string
	for name := range files {
		if rel, ok := strings.CutPrefix(name, "estate/"); ok {
			want = append(want, rel)
		}
	}
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, "tenants")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"acme.cue", "bravo.cue", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("tenants/ lists %v, want %v", names, want)
	}
	for name, content := range files {
		rel, ok := strings.CutPrefix(name, "estate/")
		if !ok {
			continue
		}
		if data, err := fs.ReadFile(fsys, rel); err != nil || string(data) != content {
			t.Errorf("%s: %q, %v", rel, data, err)
		}
	}
	if _, err := fs.ReadFile(fsys, "tenants/carol.cue"); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestProvenanceDirty: an estate is dirty when a file the render reads
// differs from the commit — modified, untracked, or ignored by .gitignore
// (which git's status leaves out, but the estate loads) — and clean when
// only files the estate does not read differ.
func TestProvenanceDirty(t *testing.T) {
	top := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		writeFiles(t, top, map[string]string{name: content})
	}
	writeFiles(t, top, map[string]string{
		".gitignore":              "/estate/tenants/*-local.cue\n/estate/keys/*.key\n/estate/notes/\n",
		"estate/platform.cue":     "package estate\n",
		"estate/tenants/acme.cue": "package estate\n",
		"estate/keys/release.pub": "-----BEGIN PUBLIC KEY-----\n",
	})
	r := commitEstate(t, top)
	dirty := func() bool {
		t.Helper()
		p, err := r.Provenance()
		if err != nil {
			t.Fatal(err)
		}
		if p.Commit == "" {
			t.Fatal("no commit")
		}
		return p.Dirty
	}
	if dirty() {
		t.Fatal("a clean estate is dirty")
	}
	write("estate/notes/plan.cue", "not read: a subdirectory\n")
	write("estate/tenants/README.md", "not read: not CUE\n")
	if dirty() {
		t.Fatal("files the estate does not read made it dirty")
	}
	for _, f := range []string{"estate/tenants/shadow-local.cue", "estate/keys/rogue.key", "estate/tenants/bravo.cue"} {
		write(f, "package estate\n")
		if !dirty() {
			t.Errorf("%s: not dirty", f)
		}
		if err := os.Remove(filepath.Join(top, filepath.FromSlash(f))); err != nil {
			t.Fatal(err)
		}
	}
	write("estate/tenants/acme.cue", "package estate\n// changed\n")
	if !dirty() {
		t.Error("a modified tenant: not dirty")
	}
}

// TestProvenanceDirtyAtRoot: an estate at the repository's root is dirty
// when an ignored file it reads is there, at the root as in a directory.
func TestProvenanceDirtyAtRoot(t *testing.T) {
	top := t.TempDir()
	writeFiles(t, top, map[string]string{
		".gitignore":        "*-local.cue\n",
		"platform.cue":      "package estate\n",
		"tenants/acme.cue":  "package estate\n",
		"tenants/bravo.cue": "package estate\n",
	})
	r := commitAt(t, top, ".")
	for _, f := range []string{"", "platform-local.cue", "tenants/shadow-local.cue"} {
		if f != "" {
			writeFiles(t, top, map[string]string{f: "package estate\n"})
		}
		p, err := r.Provenance()
		if err != nil {
			t.Fatal(err)
		}
		if p.Dirty != (f != "") {
			t.Errorf("with %q: dirty %v", f, p.Dirty)
		}
		if f != "" {
			if err := os.Remove(filepath.Join(top, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEstateFS: the estate's files, and only they, are read from the
// commit into memory, rooted at the estate root; later edits on disk do
// not show.
func TestEstateFS(t *testing.T) {
	top := t.TempDir()
	writeFiles(t, top, map[string]string{
		"README.md":                  "outside the estate\n",
		"estate/platform.cue":        "package estate\n",
		"estate/tenants/acme.cue":    "package estate\n// acme\n",
		"estate/tenants/notes.txt":   "not CUE\n",
		"estate/tenants/old/x.cue":   "package estate\n// in a subdirectory\n",
		"estate/tiers/shared.cue":    "package estate\n// shared\n",
		"estate/keys/release.pub":    "-----BEGIN PUBLIC KEY-----\n",
		"estate/mirror/index.json":   "{}\n",
		"estate/policies/extra.rego": "package extra\n",
	})
	r := commitEstate(t, top)
	c, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, top, map[string]string{"estate/tenants/acme.cue": "package estate\n// edited\n"})
	fsys, err := r.EstateFS(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"platform.cue", "tenants/acme.cue", "tiers/shared.cue", "keys/release.pub"}
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if data, _ := fs.ReadFile(fsys, "tenants/acme.cue"); string(data) != "package estate\n// acme\n" {
		t.Errorf("tenants/acme.cue = %q, want the committed content", data)
	}
}

// TestLoadEstateBeside: an estate commit loaded beside the estate being
// rendered is the estate LoadEstate loads, sharing the tenants whose files
// did not change; SameBesideTenants tells commits apart by their platform,
// tier and key files, whatever else changes.
func TestLoadEstateBeside(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "estate")
	if err := estategen.Write(dir, estategen.Options{Tenants: 4, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	r := commitEstate(t, top)
	head := func() string {
		t.Helper()
		c, err := r.Resolve("HEAD")
		if err != nil {
			t.Fatal(err)
		}
		return c.Hash
	}
	commit := func(files map[string]string) string {
		t.Helper()
		for name, add := range files {
			data, _ := os.ReadFile(filepath.Join(top, name))
			writeFiles(t, top, map[string]string{name: string(data) + add})
		}
		runGit(t, top, "commit", "-q", "-am", "change")
		return head()
	}
	a := head()
	b := commit(map[string]string{"estate/tenants/tenant-00001.cue": "// edited\n"})
	readme := func() string {
		writeFiles(t, top, map[string]string{"README.md": "about the estate\n"})
		runGit(t, top, "add", "README.md")
		return commit(nil)
	}()
	tier := commit(map[string]string{"estate/tiers/shared.cue": "// edited\n"})
	key := commit(map[string]string{"estate/keys/release.pub": "\n"})

	for _, tc := range []struct {
		x, y string
		want bool
	}{{a, b, true}, {b, readme, true}, {a, readme, true}, {readme, tier, false}, {tier, key, false}, {a, "no-such-commit", false}} {
		if got := r.SameBesideTenants(tc.x, tc.y); got != tc.want {
			t.Errorf("SameBesideTenants(%.7s, %.7s) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}

	runGit(t, top, "checkout", "-q", b)
	beside, err := estate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rev    string
		shared int
	}{{a, 3}, {b, 4}, {tier, 0}} {
		want, err := r.LoadEstate(tc.rev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.LoadEstateBeside(tc.rev, beside)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.7s: loaded beside, the estate differs from LoadEstate's", tc.rev)
		}
		shared := 0
		for n, tn := range got.Tenants {
			if tn == beside.Tenants[n] {
				shared++
			}
		}
		if shared != tc.shared {
			t.Errorf("%.7s: %d tenants shared, want %d", tc.rev, shared, tc.shared)
		}
	}
	if _, err := r.LoadEstateBeside("no-such-commit", beside); err == nil {
		t.Error("an unknown commit loaded")
	}
}

// BenchmarkProvenance tells whether a committed estate of 1,000 tenant
// files, at the repository's root, is dirty, as every render from git
// does first.
func BenchmarkProvenance(b *testing.B) {
	top := b.TempDir()
	files := map[string]string{"platform.cue": "package estate\n"}
	for i := range 1000 {
		files[fmt.Sprintf("tenants/tenant-%04d.cue", i)] = fmt.Sprintf("package estate\n\ntenants: \"tenant-%04d\": {}\n", i)
	}
	writeFiles(b, top, files)
	r := commitAt(b, top, ".")
	for b.Loop() {
		p, err := r.Provenance()
		if err != nil || p.Dirty {
			b.Fatalf("dirty %v, %v", p.Dirty, err)
		}
	}
}

// BenchmarkEstateFS reads a 1,000-tenant estate from a packed repository,
// as a render or a check from a CI clone does, opening the repository each
// time as a run does.
func BenchmarkEstateFS(b *testing.B) {
	top := b.TempDir()
	dir := filepath.Join(top, "estate")
	if err := estategen.Write(dir, estategen.Options{Tenants: 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	commitEstate(b, top)
	runGit(b, top, "gc", "-q")
	for b.Loop() {
		gitstore.ClearCache() // as a run, which reads the repositories afresh
		r, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		c, err := r.Resolve("HEAD")
		if err != nil {
			b.Fatal(err)
		}
		fsys, err := r.EstateFS(c)
		if err != nil {
			b.Fatal(err)
		}
		if ents, err := fs.ReadDir(fsys, "tenants"); err != nil || len(ents) != 1000 {
			b.Fatalf("%d tenant files, %v", len(ents), err)
		}
	}
}

// TestResolveErrors: a revision that does not resolve says why, in words
// a user can act on.
func TestResolveErrors(t *testing.T) {
	top := t.TempDir()
	writeFiles(t, top, map[string]string{"estate/platform.cue": "package estate\n"})
	r := commitEstate(t, top)
	runGit(t, top, "tag", "v1.0.0")
	for _, tt := range []struct{ rev, want string }{
		{"mian", `reference not found (did you mean main?)`},
		{"v1.0.1", `reference not found (did you mean v1.0.0?)`},
		{"nothing-like-it", `reference not found`},
		{"HEAD~1", `it goes back past the repository's first commit`},
	} {
		_, err := r.Resolve(tt.rev)
		want := fmt.Sprintf("cannot resolve revision %q in %s: %s", tt.rev, r.Dir, tt.want)
		if err == nil || err.Error() != want {
			t.Errorf("Resolve(%s): got %v\nwant %s", tt.rev, err, want)
		}
	}
}

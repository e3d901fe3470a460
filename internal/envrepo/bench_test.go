package envrepo

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/gitstore"
)

// estate renders the benchmark's synthetic environment tree: tenants ×
// 3 environments × 2 files of 1–8 KB, plus per-cluster files, about 7,000
// files. version changes the files of tenant changed.
func estate(tenants, changed, version int) map[string][]byte {
	envs := []string{"dev", "staging", "prod"}
	line := "# synthetic content that pads the file to a realistic size.....\n" // 64 bytes
	files := map[string][]byte{}
	for _, env := range envs {
		c := "c-" + env
		files["clusters/"+c+"/kustomization.yaml"] = []byte("resources:\n- tenants\n- policies\n")
		for p := range 300 {
			files[fmt.Sprintf("clusters/%s/policies/p%03d.yaml", c, p)] = []byte(fmt.Sprintf("kind: NetworkPolicy\nname: p%03d\n", p) + strings.Repeat(line, 16+p%32))
		}
		for i := range tenants {
			tn := fmt.Sprintf("tenant-%04d", i)
			v := 0
			if i == changed {
				v = version
			}
			dir := "clusters/" + c + "/tenants/" + tn + "/" + env + "/"
			files[dir+"kustomization.yaml"] = fmt.Appendf(nil, "namespace: %s-%s\nresources:\n- deployment.yaml\n# v%d\n%s", tn, env, v, strings.Repeat(line, 16+i%16))
			files[dir+"deployment.yaml"] = fmt.Appendf(nil, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n# v%d\n%s", tn, v, strings.Repeat(line, 32+i%96))
		}
	}
	files["bases/app/deployment.yaml"] = []byte("kind: Deployment\n" + strings.Repeat(line, 20))
	files[".palisade/records/latest.json"] = []byte(`{"tenants": 1000}` + "\n")
	return files
}

func benchRepo(b *testing.B) (*Repo, map[string][]byte) {
	dir := filepath.Join(b.TempDir(), "env")
	r, err := Open(ctx(b), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	base := estate(1000, -1, 0)
	if _, err := r.Publish(ctx(b), fixed(base, "initial")); err != nil {
		b.Fatal(err)
	}
	return r, base
}

// BenchmarkPublish measures publishing into a local non-bare repository
// holding the synthetic estate (~7,000 files), work tree update included.
func BenchmarkPublish(b *testing.B) {
	b.Run("OneTenantChange", func(b *testing.B) {
		r, _ := benchRepo(b)
		versions := [2]map[string][]byte{estate(1000, 500, 1), estate(1000, 500, 2)}
		i := 0
		for b.Loop() {
			out, err := r.Publish(ctx(b), fixed(versions[i%2], "one tenant"))
			if err != nil {
				b.Fatal(err)
			}
			if out.Unchanged || len(out.Modified) != 6 {
				b.Fatalf("unexpected outcome %+v", out)
			}
			i++
		}
	})
	b.Run("Unchanged", func(b *testing.B) {
		r, base := benchRepo(b)
		for b.Loop() {
			out, err := r.Publish(ctx(b), fixed(base, "same"))
			if err != nil {
				b.Fatal(err)
			}
			if !out.Unchanged {
				b.Fatal("changed")
			}
		}
	})
	b.Run("OpenAndOneTenantChange", func(b *testing.B) {
		// What one CLI run does: open the repository, then publish.
		r, _ := benchRepo(b)
		versions := [2]map[string][]byte{estate(1000, 500, 1), estate(1000, 500, 2)}
		i := 0
		for b.Loop() {
			r2, err := Open(ctx(b), r.Dir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r2.Publish(ctx(b), fixed(versions[i%2], "one tenant")); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Initial", func(b *testing.B) {
		// The first render into a new repository: every object is new.
		base := estate(1000, -1, 0)
		for b.Loop() {
			b.StopTimer()
			r, err := Open(ctx(b), filepath.Join(b.TempDir(), "env"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := r.Publish(ctx(b), fixed(base, "initial")); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Reading every file of the tip: through the open repository (the
	// publish baseline) and through ReadTip (what a render reads ahead
	// while the estate loads), from a repository as Palisade committed to
	// it (a pack without deltas) and after a git gc (a pack with deltas,
	// as a clone or fetch in CI has).
	for _, bc := range []struct {
		name    string
		packed  bool
		readTip bool
	}{{"SnapshotFiles", false, false}, {"SnapshotFilesPacked", true, false}, {"ReadTip", false, true}, {"ReadTipPacked", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			r, base := benchRepo(b)
			if bc.packed {
				run(b, r.Dir(), "gc", "-q")
				// go-git reads a repository's pack indexes once: reopen it.
				var err error
				if r, err = Open(ctx(b), r.Dir(), Options{}); err != nil {
					b.Fatal(err)
				}
			}
			tip := r.Snapshot
			if bc.readTip {
				tip = func() (*Snapshot, error) { return ReadTip(r.Dir(), "main") }
			}
			for b.Loop() {
				gitstore.ClearCache() // as a run, which reads the repositories afresh
				s, err := tip()
				if err != nil {
					b.Fatal(err)
				}
				f, err := s.Files("")
				if err != nil || len(f) != len(base) {
					b.Fatal(len(f), err)
				}
			}
		})
	}
}

// BenchmarkPublishRemote measures a one-tenant change pushed to a bare
// remote over file:// (git-receive-pack), fetch excluded.
func BenchmarkPublishRemote(b *testing.B) {
	root := b.TempDir()
	remote := bareRemote(b, root, "env.git")
	r, err := Open(ctx(b), "file://"+remote, Options{WorkDir: filepath.Join(root, "clone")})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Publish(ctx(b), fixed(estate(1000, -1, 0), "initial")); err != nil {
		b.Fatal(err)
	}
	versions := [2]map[string][]byte{estate(1000, 500, 1), estate(1000, 500, 2)}
	i := 0
	for b.Loop() {
		out, err := r.Publish(ctx(b), fixed(versions[i%2], "one tenant"))
		if err != nil {
			b.Fatal(err)
		}
		if !out.Pushed || len(out.Modified) != 6 {
			b.Fatalf("unexpected outcome %+v", out)
		}
		i++
	}
}

// BenchmarkPublishRecord measures a commit that adds one decision record
// (and changes one manifest) to a repository holding 10,000 records: flat
// in one directory, or in a directory per month as the pipeline puts
// them. A commit writes anew every tree above what it adds, so the flat
// directory's tree, listing every record, is written again each time;
// the loose bytes written per commit are reported as bytes-written/op.
func BenchmarkPublishRecord(b *testing.B) {
	const records = 10000
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, layout := range []struct {
		name string
		path func(i int) string
	}{
		{"flat", func(i int) string {
			return fmt.Sprintf(".palisade/records/%s-%012x.json", at.Add(time.Duration(i)*time.Hour).Format("20060102T150405Z"), i)
		}},
		{"monthly", func(i int) string {
			t := at.Add(time.Duration(i) * time.Hour)
			return fmt.Sprintf(".palisade/records/%s/%s-%012x.json", t.Format("2006/01"), t.Format("20060102T150405Z"), i)
		}},
	} {
		b.Run(layout.name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "env")
			r, err := Open(ctx(b), dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			files := map[string][]byte{"clusters/c/app.yaml": []byte("kind: Deployment\n")}
			for i := range records {
				files[layout.path(i)] = fmt.Appendf(nil, "{\"render\": %d}\n", i)
			}
			if _, err := r.Publish(ctx(b), fixed(files, "initial")); err != nil {
				b.Fatal(err)
			}
			before := objectBytes(b, dir)
			i := records
			b.ResetTimer()
			for b.Loop() {
				i++
				_, err := r.Publish(ctx(b), func(*Snapshot) (Change, error) {
					ch := chg(map[string][]byte{
						"clusters/c/app.yaml": fmt.Appendf(nil, "kind: Deployment\n# %d\n", i),
						layout.path(i):        fmt.Appendf(nil, "{\"render\": %d}\n", i),
					}, "render")
					ch.Keep = []string{".palisade/records"}
					return ch, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(objectBytes(b, dir)-before)/float64(i-records), "bytes-written/op")
		})
	}
}

// objectBytes is the size of the files under the repository's
// .git/objects.
func objectBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(filepath.Join(dir, ".git", "objects"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

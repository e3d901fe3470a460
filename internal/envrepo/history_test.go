package envrepo

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestHistory walks a branch with a merge: first parents only, newest
// first, each commit with its parent's files, its author and committer;
// ChangedPaths and DirHash see exactly what each commit changed, and
// ErrStop ends the walk.
func TestHistory(t *testing.T) {
	dir := existingRepo(t)
	repo := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	if _, err := repo.Publish(ctx(t), fixed(tenantFiles(3, 1, 1), "palisade: render")); err != nil {
		t.Fatal(err)
	}
	// A side branch merged by hand, changing one rendered file.
	run(t, dir, "checkout", "-q", "-b", "side")
	writeFile_(t, filepath.Join(dir, "clusters", "c-prod", "tenants", "tenant-0002", "prod", "kustomization.yaml"), "edited\n")
	run(t, dir, "commit", "-q", "-am", "side edit")
	run(t, dir, "checkout", "-q", "main")
	run(t, dir, "merge", "-q", "--no-ff", "-m", "merge side", "side")
	if err := os.Remove(filepath.Join(dir, "docs", "runbook.md")); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "commit", "-q", "-am", "drop the runbook")

	tip, err := ReadTip(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		msg       string
		merge     bool
		author    string
		clusters  []string
		unchanged bool // DirHash of clusters/ equal to the parent's
	}
	var got []seen
	err = tip.History(func(c *HistoryCommit) error {
		changed, err := c.ChangedPaths(c.Parent, "clusters")
		if err != nil {
			return err
		}
		a := must[plumbing.Hash](t)(c.DirHash("clusters"))
		b := must[plumbing.Hash](t)(c.Parent.DirHash("clusters"))
		got = append(got, seen{c.Message, c.Merge, c.Author.Name, changed, a == b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{"drop the runbook\n", false, "Someone", nil, true},
		{"merge side\n", true, "Someone", []string{"clusters/c-prod/tenants/tenant-0002/prod/kustomization.yaml"}, false},
		{"palisade: render\n", false, "Palisade", nil, false}, // every rendered file is new: listed below
		{"hand-made\n", false, "Someone", []string{"clusters/old/stale.yaml"}, false},
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d commits, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.msg != w.msg || g.merge != w.merge || g.author != w.author || g.unchanged != w.unchanged {
			t.Errorf("commit %d: %+v, want %+v", i, g, w)
		}
		if w.clusters != nil && !slices.Equal(g.clusters, w.clusters) {
			t.Errorf("commit %d changed %v, want %v", i, g.clusters, w.clusters)
		}
	}
	// The render replaced clusters/old/stale.yaml with 3 tenants × 3
	// environments × 2 files and 2 files per cluster.
	if n := len(got[2].clusters); n != 3*3*2+3*2+1 {
		t.Errorf("the render changed %d files under clusters/, want %d: %v", n, 3*3*2+3*2+1, got[2].clusters)
	}
	if !slices.IsSorted(got[2].clusters) {
		t.Errorf("changed paths not sorted: %v", got[2].clusters)
	}

	n := 0
	if err := tip.History(func(*HistoryCommit) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("ErrStop: %d commits seen, err %v", n, err)
	}
}

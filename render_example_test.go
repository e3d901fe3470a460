package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/k8svalidate"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

// exampleAt is the instant the example estate's golden files are rendered
// at: outside every freeze window of the example calendar.
var exampleAt = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func renderExample(t *testing.T, target string) *render.Result {
	t.Helper()
	e, err := estate.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(e, render.Options{At: exampleAt, Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGolden compares the example estate's environment tree with the
// golden files in testdata/golden (rewrite them with -update).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		target, layout string
		only           string // keep only paths containing this
	}{
		{render.TargetArgoCD, render.LayoutKustomize, ""},
		{render.TargetArgoCD, render.LayoutHydrated, ""},
		// Flux changes only the GitOps wiring.
		{render.TargetFlux, render.LayoutHydrated, "/gitops/"},
	} {
		name := tc.target + "-" + tc.layout
		t.Run(name, func(t *testing.T) {
			files, err := renderExample(t, tc.target).Tree(tc.layout)
			if err != nil {
				t.Fatal(err)
			}
			for p := range files {
				if !strings.Contains(p, tc.only) {
					delete(files, p)
				}
			}
			dir := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for p, data := range files {
					fp := filepath.Join(dir, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(fp, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			golden := map[string]bool{}
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				golden[filepath.ToSlash(rel)] = true
				return nil
			})
			if err != nil {
				t.Fatalf("reading golden files (run with -update to create them): %v", err)
			}
			for p, data := range files {
				want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
				if err != nil {
					t.Errorf("%s: not in the golden files", p)
					continue
				}
				if !bytes.Equal(data, want) {
					t.Errorf("%s differs from the golden file:\n%s", p, firstDiff(want, data))
				}
				delete(golden, p)
			}
			for p := range golden {
				t.Errorf("%s: golden file no longer rendered", p)
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, a, b)
		}
	}
	return "(equal)"
}

// kustomizeBuild builds a directory with the stock kustomize CLI when
// PALISADE_KUSTOMIZE names one (CI installs it), and otherwise with krusty
// on the disk with the CLI's default options.
func kustomizeBuild(t *testing.T, dir string) []byte {
	t.Helper()
	if bin := os.Getenv("PALISADE_KUSTOMIZE"); bin != "" {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "build", dir)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s build %s: %v\n%s", bin, dir, err, stderr.String())
		}
		return out
	}
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKustomizeBuildEqualsHydrated writes the example estate in both
// layouts and requires `kustomize build` of every directory of the
// kustomize layout — each tenant environment, each cluster's platform and
// GitOps wiring, and each cluster as a whole — to print exactly the
// hydrated layout's manifest.yaml (or, for a cluster, what building the
// hydrated cluster directory prints).
func TestKustomizeBuildEqualsHydrated(t *testing.T) {
	if bin := os.Getenv("PALISADE_KUSTOMIZE"); bin != "" {
		t.Logf("building with %s", bin)
	}
	for _, target := range []string{render.TargetArgoCD, render.TargetFlux} {
		t.Run(target, func(t *testing.T) {
			res := renderExample(t, target)
			dirs := map[string]string{}
			for _, layout := range []string{render.LayoutKustomize, render.LayoutHydrated} {
				files, err := res.Tree(layout)
				if err != nil {
					t.Fatal(err)
				}
				dirs[layout] = filepath.Join(t.TempDir(), layout)
				if _, err := tree.Write(dirs[layout], files, tree.Options{Owned: []string{"bases", "clusters"}}); err != nil {
					t.Fatal(err)
				}
			}
			var units []string
			for _, u := range res.Units {
				units = append(units, u.Dir)
			}
			sort.Strings(units)
			for _, d := range units {
				got := kustomizeBuild(t, filepath.Join(dirs[render.LayoutKustomize], d))
				want, err := os.ReadFile(filepath.Join(dirs[render.LayoutHydrated], d, "manifest.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: kustomize build differs from manifest.yaml:\n%s", d, firstDiff(want, got))
				}
			}
			for _, c := range res.Clusters {
				d := "clusters/" + c
				a := kustomizeBuild(t, filepath.Join(dirs[render.LayoutKustomize], d))
				b := kustomizeBuild(t, filepath.Join(dirs[render.LayoutHydrated], d))
				if !bytes.Equal(a, b) {
					t.Errorf("%s: the two layouts build differently:\n%s", d, firstDiff(b, a))
				}
			}
		})
	}
}

// TestExampleObjectsValid validates every object of the example render,
// for both targets, against its Kubernetes type or upstream CRD schema.
func TestExampleObjectsValid(t *testing.T) {
	v := k8svalidate.ForTest(t)
	for _, target := range []string{render.TargetArgoCD, render.TargetFlux} {
		for _, u := range renderExample(t, target).Units {
			for _, err := range v.Validate(u.Manifest) {
				t.Errorf("%s (%s): %v", u.Dir, target, err)
			}
		}
	}
}

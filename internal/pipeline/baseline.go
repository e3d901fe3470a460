package pipeline

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/palisade-gitops/palisade/internal/tree"
)

// Baseline is the environment tree a render is compared against: the
// previous output directory, the tip of the environment repository, or —
// in a pull-request check — the render of the base revision. Freeze
// hold-backs keep a tenant's baseline content.
type Baseline interface {
	// Compare says how files (slash paths) compare with the baseline's
	// files under the directory prefix.
	Compare(files map[string][]byte, prefix string) (tree.State, error)
	// TenantDirs lists a tenant's environment directories in the baseline.
	TenantDirs(tenant string) []string
	// Tenants lists the tenants the baseline has directories of.
	Tenants() []string
	// DirFiles returns the baseline's files under the directory dir, by
	// slash path; none when it has no such directory.
	DirFiles(dir string) (map[string][]byte, error)
}

// DirBaseline is an output directory on disk.
type DirBaseline struct {
	root string

	once  sync.Once
	byTen map[string][]string // tenant → its environment directories
}

// NewDirBaseline is the output directory root as a baseline.
func NewDirBaseline(root string) *DirBaseline { return &DirBaseline{root: root} }

// Compare implements Baseline.
func (d *DirBaseline) Compare(files map[string][]byte, prefix string) (tree.State, error) {
	return tree.Compare(d.root, files, prefix)
}

// index lists the tenants' environment directories once: a render asks
// for every tenant's, and a glob per tenant made the render quadratic.
func (d *DirBaseline) index() {
	d.once.Do(func() {
		d.byTen = map[string][]string{}
		m, _ := filepath.Glob(filepath.Join(d.root, "clusters", "*", "tenants", "*", "*"))
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				rel, _ := filepath.Rel(d.root, p)
				t := filepath.Base(filepath.Dir(p))
				d.byTen[t] = append(d.byTen[t], filepath.ToSlash(rel))
			}
		}
		for _, ds := range d.byTen {
			slices.Sort(ds)
		}
	})
}

// TenantDirs implements Baseline.
func (d *DirBaseline) TenantDirs(tenant string) []string {
	d.index()
	return d.byTen[tenant]
}

// DirFiles implements Baseline.
func (d *DirBaseline) DirFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	root := filepath.Join(d.root, filepath.FromSlash(dir))
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	return out, err
}

// Tenants implements Baseline.
func (d *DirBaseline) Tenants() []string {
	d.index()
	return slices.Sorted(maps.Keys(d.byTen))
}

// MapBaseline is a tree held in memory, by slash path.
type MapBaseline struct {
	Files map[string][]byte

	once  sync.Once
	dirs  map[string][]string // directory → its file paths
	byTen map[string][]string // tenant → its environment directories
}

// NewMapBaseline indexes files.
func NewMapBaseline(files map[string][]byte) *MapBaseline {
	return &MapBaseline{Files: files}
}

func (m *MapBaseline) index() {
	m.once.Do(func() {
		m.dirs, m.byTen = map[string][]string{}, map[string][]string{}
		for p := range m.Files {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				m.dirs[d] = append(m.dirs[d], p)
			}
			// clusters/<c>/tenants/<t>/<env>/<file>
			parts := strings.Split(p, "/")
			if len(parts) >= 6 && parts[0] == "clusters" && parts[2] == "tenants" {
				d := strings.Join(parts[:5], "/")
				if !slices.Contains(m.byTen[parts[3]], d) {
					m.byTen[parts[3]] = append(m.byTen[parts[3]], d)
				}
			}
		}
		for _, ds := range m.byTen {
			slices.Sort(ds)
		}
	})
}

// Compare implements Baseline.
func (m *MapBaseline) Compare(files map[string][]byte, prefix string) (tree.State, error) {
	m.index()
	have := m.dirs[prefix]
	if len(have) == 0 {
		return tree.Absent, nil
	}
	want := 0
	for p, data := range files {
		if !strings.HasPrefix(p, prefix+"/") {
			continue
		}
		want++
		old, ok := m.Files[p]
		if !ok || !bytes.Equal(old, data) {
			return tree.Changed, nil
		}
	}
	if want != len(have) {
		return tree.Changed, nil
	}
	return tree.Same, nil
}

// TenantDirs implements Baseline.
func (m *MapBaseline) TenantDirs(tenant string) []string {
	m.index()
	return m.byTen[tenant]
}

// Under returns the baseline's files under the directories dirs.
func (m *MapBaseline) Under(dirs []string) map[string][]byte {
	m.index()
	out := map[string][]byte{}
	for _, d := range dirs {
		for _, p := range m.dirs[d] {
			out[p] = m.Files[p]
		}
	}
	return out
}

// DirFiles implements Baseline.
func (m *MapBaseline) DirFiles(dir string) (map[string][]byte, error) {
	return m.Under([]string{dir}), nil
}

// Tenants implements Baseline.
func (m *MapBaseline) Tenants() []string {
	m.index()
	return slices.Sorted(maps.Keys(m.byTen))
}

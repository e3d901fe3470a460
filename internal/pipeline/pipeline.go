// Package pipeline is the entry point for the main job: load the estate,
// render it, gather the facts the policies need (change against the
// previous output, active freeze windows, images), evaluate the policies,
// and write the environment tree — holding back tenants a freeze window
// covers and refusing the whole change on any other denial.
package pipeline

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

// Options of a render run.
type Options struct {
	Root    string
	Out     string
	Tenants []string
	Target  string
	Layout  string
	At      time.Time
	// PolicyDirs add user Rego and data to the built-in policies.
	PolicyDirs []string
}

// HoldBack is a tenant a freeze window held back: its previous output
// stays as it was.
type HoldBack struct {
	Tenant  string          `json:"tenant"`
	Windows []policy.Window `json:"windows"`
}

// Report is the outcome of a run.
type Report struct {
	Estate   *estate.Estate  `json:"-"`
	Results  []policy.Result `json:"results"`
	HeldBack []HoldBack      `json:"heldBack"`
	// Denied is true when a denial other than a freeze hold-back stopped
	// the run; nothing was written.
	Denied bool `json:"denied"`
	// Rendered lists the tenants whose output was written.
	Rendered    []string `json:"rendered"`
	Directories int      `json:"directories"`
	Clusters    int      `json:"clusters"`
	Objects     int      `json:"objects"`
	Files       int      `json:"files"`
	Bytes       int64    `json:"bytes"`
}

// owned are the top-level entries of the tree Palisade writes.
var owned = []string{"bases", "clusters"}

// Run runs the main job.
func Run(ctx context.Context, o Options) (*Report, error) {
	e, err := estate.Load(o.Root)
	if err != nil {
		return nil, err
	}
	engine, err := policy.New(ctx, o.PolicyDirs)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var results []policy.Result
	states := map[string][]dirState{}
	windows := map[string][]policy.Window{}
	ro := render.Options{
		Target: o.Target, Tenants: o.Tenants, At: o.At,
		SkipManifests: o.Layout != render.LayoutHydrated,
		// Each tenant is evaluated as soon as it is built, and its objects
		// dropped: the estate's objects are never all in memory.
		Inspect: func(tenant string, units []*render.Unit, platform map[string]*render.Unit) error {
			in, st, err := inputFor(e, tenant, units, platform, o)
			if err != nil {
				return err
			}
			rs, err := engine.Evaluate(ctx, []policy.Input{in})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			results = append(results, rs...)
			states[tenant] = st
			windows[tenant] = in.Windows
			return nil
		},
	}
	res, err := render.Render(e, ro)
	if err != nil {
		return nil, err
	}
	policy.SortResults(results)
	rep := &Report{Estate: e, Results: results}
	if policy.DeniedBeyondFreeze(results) {
		rep.Denied = true
		return rep, nil
	}
	frozen := policy.Frozen(results)
	var keep []string
	if len(frozen) > 0 {
		// Held back: the tenant's directories stay as they are on disk,
		// and its environments that do not exist yet stay out of the
		// platform and GitOps wiring.
		exclude := map[string]bool{}
		for _, t := range frozen {
			for _, d := range states[t] {
				if d.state == tree.Absent {
					exclude[d.dir] = true
				} else {
					keep = append(keep, d.dir)
				}
			}
			keep = append(keep, removedDirs(o.Out, t, res)...)
			rep.HeldBack = append(rep.HeldBack, HoldBack{Tenant: t, Windows: windows[t]})
		}
		ro.Exclude, ro.Inspect = exclude, nil
		if res, err = render.Render(e, ro); err != nil {
			return nil, err
		}
	}
	files, err := res.Tree(o.Layout)
	if err != nil {
		return nil, err
	}
	if len(o.Tenants) > 0 {
		rendered := map[string]bool{}
		for _, u := range res.Units {
			rendered[u.Dir] = true
		}
		for _, d := range res.Dirs() {
			if !rendered[d] {
				keep = append(keep, d)
			}
		}
	}
	st, err := tree.Write(o.Out, files, tree.Options{Owned: owned, Keep: keep})
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.Out, err)
	}
	for _, t := range res.Tenants() {
		if !slices.Contains(frozen, t) {
			rep.Rendered = append(rep.Rendered, t)
		}
	}
	rep.Directories, rep.Clusters, rep.Objects = len(res.Units), len(res.Clusters), res.Objects()
	rep.Files, rep.Bytes = st.Files, st.Bytes
	return rep, nil
}

// dirState is how one of a tenant's directories compares with the
// previous output.
type dirState struct {
	dir   string
	state tree.State
}

// unitFiles are the files a unit contributes to the tree of a layout.
func unitFiles(u *render.Unit, layout string) map[string][]byte {
	files := map[string][]byte{}
	if layout == render.LayoutHydrated {
		files[u.Dir+"/manifest.yaml"] = u.Manifest
		return files
	}
	for name, data := range u.Files {
		files[u.Dir+"/"+name] = data
	}
	return files
}

// inputFor builds the policy input of a tenant from its built directories:
// its objects and platform objects, the change against the previous
// output, the freeze windows active at the run's instant, its images.
func inputFor(e *estate.Estate, name string, units []*render.Unit, platform map[string]*render.Unit, o Options) (policy.Input, []dirState, error) {
	t := e.Tenants[name]
	in, err := policy.NewInput(e, name, o.At)
	if err != nil {
		return in, nil, err
	}
	active, err := calendar.ActiveAt(e, t, o.At)
	if err != nil {
		return in, nil, err
	}
	if in.Windows, err = policy.Windows(active, t); err != nil {
		return in, nil, err
	}
	var states []dirState
	images := map[string]bool{}
	allAbsent := true
	dirs := map[string]bool{}
	for _, u := range units {
		dirs[u.Dir] = true
		st, err := tree.Compare(o.Out, unitFiles(u, o.Layout), u.Dir)
		if err != nil {
			return in, nil, err
		}
		states = append(states, dirState{u.Dir, st})
		if st != tree.Same {
			in.Change.Changed = true
			in.Change.Environments = append(in.Change.Environments, u.Environment)
		}
		if st != tree.Absent {
			allAbsent = false
		}
		class, standby := strings.CutSuffix(u.Environment, "-standby")
		env := policy.Environment{
			Name: u.Environment, Class: class, Standby: standby,
			Namespace: render.Namespace(name, class), Cluster: u.Cluster,
			Region:  e.Platform.Clusters[u.Cluster].Region,
			Objects: u.Built,
		}
		if p := platform[u.Cluster]; p != nil {
			env.PlatformObjects = concerning(p.Built, name, env.Namespace)
		}
		for _, img := range render.ContainerImages(u.Built) {
			images[img] = true
		}
		in.Environments = append(in.Environments, env)
	}
	// Directories of the tenant on disk that the render no longer has:
	// removed environments are a change too.
	removed := 0
	for _, d := range tenantDirs(o.Out, name) {
		if !dirs[d] {
			removed++
			in.Change.Changed = true
			in.Change.Environments = append(in.Change.Environments, filepath.Base(d))
		}
	}
	sort.Strings(in.Change.Environments)
	in.Change.New = allAbsent && removed == 0
	for _, ref := range slices.Sorted(maps.Keys(images)) {
		in.Images = append(in.Images, policy.Image{Ref: ref, Reason: "not verified: image verification is not part of this render"})
	}
	return in, states, nil
}

// concerning are the platform objects that concern a tenant environment:
// its Database and role secret, and the PostgreSQL cluster and backups of
// the namespace they live in.
func concerning(objs []map[string]any, tenant, ns string) []map[string]any {
	var out []map[string]any
	dbNamespaces := map[string]bool{}
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		labels, _ := md["labels"].(map[string]any)
		name, _ := md["name"].(string)
		if labels["palisade.io/tenant"] == tenant && name == ns || name == "role-"+ns {
			out = append(out, o)
			if n, ok := md["namespace"].(string); ok {
				dbNamespaces[n] = true
			}
		}
	}
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		kind, _ := o["kind"].(string)
		n, _ := md["namespace"].(string)
		if dbNamespaces[n] && (kind == "Cluster" || kind == "ScheduledBackup") {
			out = append(out, o)
		}
	}
	return out
}

// tenantDirs lists the environment directories a tenant has on disk.
func tenantDirs(out, tenant string) []string {
	m, _ := filepath.Glob(filepath.Join(out, "clusters", "*", "tenants", tenant, "*"))
	var dirs []string
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			rel, _ := filepath.Rel(out, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
	}
	return dirs
}

// removedDirs are a tenant's directories on disk the render no longer has.
func removedDirs(out, tenant string, res *render.Result) []string {
	all := map[string]bool{}
	for _, d := range res.Dirs() {
		all[d] = true
	}
	var gone []string
	for _, d := range tenantDirs(out, tenant) {
		if !all[d] {
			gone = append(gone, d)
		}
	}
	return gone
}

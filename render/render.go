package render

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// Targets of the GitOps wiring.
const (
	TargetArgoCD = "argocd"
	TargetFlux   = "flux"
)

// Layouts of the environment tree.
const (
	// LayoutKustomize writes overlays over generated bases.
	LayoutKustomize = "kustomize"
	// LayoutHydrated writes each directory's built objects as manifest.yaml.
	LayoutHydrated = "hydrated"
)

// Options tune a render.
type Options struct {
	// Target is the GitOps controller: TargetArgoCD (default) or TargetFlux.
	Target string
	// Tenants restricts the tenants rendered; empty renders all (unless
	// NoTenants). Platform and GitOps objects always reflect the whole
	// estate.
	Tenants []string
	// NoTenants renders no tenant environment, only the bases and the
	// clusters' platform and GitOps directories: an incremental render
	// with no tenant to redo.
	NoTenants bool
	// TenantsOnly leaves out the clusters' platform and GitOps
	// directories: for a caller that only compares tenant environments
	// (the base side of a pull-request check).
	TenantsOnly bool
	// NoGitOps leaves out the clusters' GitOps directories (their sync
	// windows cost a calendar expansion per tenant), keeping the platform
	// ones: a baseline that only needs those.
	NoGitOps bool
	// Digests maps image references, as the estate writes them, to the
	// verified digests to pin them to.
	Digests map[string]string
	// At is the instant of the render. Generated sync windows cover the
	// freeze calendar from the start of its month for SyncWindowHorizon.
	At time.Time
	// Workers bounds the tenant environments built in parallel; zero means
	// GOMAXPROCS.
	Workers int
	// Engine builds the hydrated objects: EngineDirect (default) or
	// EngineKrusty. Both give the same bytes; tests hold them to it.
	Engine string
	// SkipManifests leaves Unit.Manifest empty for tenant environments:
	// the kustomize layout does not need the built objects, and building
	// them is most of a render's cost. Objects still counts them.
	SkipManifests bool
	// KeepObjects keeps each directory's built objects in Unit.Built.
	KeepObjects bool
	// KeepPlatform keeps the built objects of the platform directories in
	// Unit.Built, whatever KeepObjects says: they are few, and a render
	// compares them with the previous one.
	KeepPlatform bool
	// Inspect, when set, is called (from the render's goroutines) with each
	// tenant's built directories, their objects in Unit.Built, and the
	// platform directory of every cluster with its objects — as soon as
	// the tenant is built, so a caller can evaluate policies without
	// holding every object of the estate. Unless KeepObjects is set, the
	// objects are dropped afterwards. An error stops the render.
	Inspect func(tenant string, units []*Unit, platform map[string]*Unit) error
	// Exclude leaves these tenant environment directories out of the
	// render entirely — not rendered, not wired into GitOps, not given a
	// database in a platform cluster, not listed in the cluster's
	// kustomization: the new environments of tenants a --tenant render
	// leaves out.
	Exclude map[string]bool
	// Retain are tenant environment directories ("clusters/<cluster>/
	// tenants/<tenant>/<environment>") the estate no longer has that a
	// previous render wrote and the caller keeps as they are: the removed
	// or moved environments of a tenant a --tenant render leaves out (Held
	// does the same, and more, for a tenant a freeze holds back). They are
	// not rendered, but keep their wiring — their Application or
	// Kustomization, their AppProject destination, their place in the
	// cluster's kustomization and their database in a platform cluster
	// (when the tenant's tier still has the environment's class) — so that
	// the GitOps controller does not prune what is kept. A directory of a tenant no longer in the
	// estate, or that the estate still has, is ignored.
	Retain []string
	// Held are tenants a freeze holds back whole, by name. None of their
	// environments is rendered; instead their directories in the previous
	// render (Held.Dirs) are wired, as Retain's are, and given their
	// databases in the platform clusters, placed by the tier and segment
	// the previous render had them in: a held-back tier switch, segment
	// move or removal then changes nothing the tenant shares with others
	// — a shared PostgreSQL cluster's size, roles and backups — until it
	// is let through. A tenant no longer in the estate is held too, with
	// Held.TimeZone; one whose previous tier the estate no longer has is
	// wired in its current tier, or left out when it is gone. The caller
	// keeps the directories as they are.
	Held map[string]Held
}

// Held is what a previous render made of a tenant a freeze holds back
// (Options.Held).
type Held struct {
	// Tier and Segment are the tier and segment the previous render
	// placed the tenant in; an empty Tier keeps the estate's.
	Tier, Segment string
	// TimeZone is the tenant's zone, and Calendar its own calendar as the
	// previous render's estate had it, for a tenant no longer in the
	// estate: with Flux, its Kustomizations are suspended while a window
	// applies.
	TimeZone string
	Calendar map[string]estate.Window
	// Dirs are its environment directories in the previous render.
	Dirs []string
}

// Engines that build the hydrated objects.
const (
	// EngineDirect applies the overlays' transformations in Go: fast.
	EngineDirect = "direct"
	// EngineKrusty runs Kustomize (krusty) on every directory, in memory.
	EngineKrusty = "krusty"
)

// Kinds of units.
const (
	KindTenant   = "tenant"
	KindPlatform = "platform"
	KindGitOps   = "gitops"
)

// Unit is one directory of the environment tree: a tenant environment, or a
// cluster's platform or GitOps wiring.
type Unit struct {
	Kind        string
	Cluster     string
	Tenant      string // tenant units only
	Environment string // tenant units: the environment directory name
	Dir         string
	// BaseFiles are, for a tenant unit, the files of the tier base its
	// overlay builds on (by path in the tree): part of what the tenant's
	// output is, in the kustomize layout.
	BaseFiles map[string][]byte
	// Files are the directory's files in the kustomize layout.
	Files map[string][]byte
	// Manifest is what `kustomize build` of the directory prints.
	Manifest []byte
	// Objects counts the objects in Manifest.
	Objects int
	// Built holds the built objects (Options.KeepObjects), as maps in the
	// order of Manifest, for policy evaluation.
	Built []map[string]any
	// Suspended are, for a GitOps unit of the Flux target, the tenants
	// whose Kustomizations on the cluster are suspended: a window applies
	// to them at the render's instant.
	Suspended []string
}

// Result is a rendered estate.
type Result struct {
	// Bases are the generated tier bases, by path in the tree.
	Bases map[string][]byte
	// Units are sorted by directory.
	Units []*Unit
	// Clusters lists the clusters with at least one unit, sorted.
	Clusters []string
	// clusterDirs are, per cluster, every unit directory it has in the
	// whole estate (also those not rendered under Options.Tenants).
	clusterDirs map[string][]string
}

// Render renders the estate.
func Render(e *estate.Estate, o Options) (*Result, error) {
	if o.Target == "" {
		o.Target = TargetArgoCD
	}
	if o.Target != TargetArgoCD && o.Target != TargetFlux {
		return nil, fmt.Errorf("unknown target %q: want %s or %s", o.Target, TargetArgoCD, TargetFlux)
	}
	selected := map[string]bool{}
	for _, n := range o.Tenants {
		if _, ok := e.Tenants[n]; !ok {
			return nil, e.UnknownTenant(n)
		}
		selected[n] = true
	}
	all := planUnits(e)
	if len(o.Exclude) > 0 {
		kept := all[:0]
		for _, u := range all {
			if !o.Exclude[u.Dir()] {
				kept = append(kept, u)
			}
		}
		all = kept
	}
	if len(o.Held) > 0 {
		all = slices.DeleteFunc(all, func(u *unit) bool {
			_, held := o.Held[u.t.Name]
			return held
		})
	}
	res := &Result{Bases: map[string][]byte{}, clusterDirs: map[string][]string{}}
	byCluster := map[string][]*unit{}
	wired := withRetained(e, all, o.Retain, o.Held)
	for _, u := range wired {
		byCluster[u.place.Cluster] = append(byCluster[u.place.Cluster], u)
		res.clusterDirs[u.place.Cluster] = append(res.clusterDirs[u.place.Cluster], u.Dir())
	}
	var frozen map[string]bool
	if o.Target == TargetFlux && !o.NoGitOps && !o.TenantsOnly {
		var err error
		if frozen, err = frozenTenants(e, wired, o.At); err != nil {
			return nil, err
		}
	}
	baseObjs, err := bases(e, all, res.Bases)
	if err != nil {
		return nil, err
	}
	baseFiles := map[string]map[string][]byte{}
	for p, data := range res.Bases {
		dir := path.Dir(p)
		if baseFiles[dir] == nil {
			baseFiles[dir] = map[string][]byte{}
		}
		baseFiles[dir][p] = data
	}
	if o.Engine == "" {
		o.Engine = EngineDirect
	}
	if o.Engine != EngineDirect && o.Engine != EngineKrusty {
		return nil, fmt.Errorf("unknown engine %q: want %s or %s", o.Engine, EngineDirect, EngineKrusty)
	}
	krusty := o.Engine == EngineKrusty

	// Platform and GitOps directories first: a tenant's inspection sees
	// its cluster's platform objects.
	res.Clusters = slices.Sorted(maps.Keys(byCluster))
	var jobs []func(*builder) ([]*Unit, error)
	keepPlatform := o.KeepObjects || o.KeepPlatform || o.Inspect != nil
	for _, c := range res.Clusters {
		if o.TenantsOnly {
			break
		}
		units := byCluster[c]
		jobs = append(jobs,
			func(b *builder) ([]*Unit, error) {
				u, err := buildDir(b, KindPlatform, c, "clusters/"+c+"/platform", platformObjects(e, c, units, o.Digests), krusty, keepPlatform)
				return []*Unit{u}, err
			},
			func(b *builder) ([]*Unit, error) {
				if o.NoGitOps {
					return nil, nil
				}
				files, suspended, err := gitopsObjects(e, c, units, o, frozen)
				if err != nil {
					return nil, err
				}
				u, err := buildDir(b, KindGitOps, c, "clusters/"+c+"/gitops", files, krusty, o.KeepObjects)
				if u != nil {
					u.Suspended = suspended
				}
				return []*Unit{u}, err
			},
		)
	}
	shared, err := run(jobs, res.Bases, o.Workers, krusty)
	if err != nil {
		return nil, err
	}
	platform := map[string]*Unit{}
	for _, u := range shared {
		if u.Kind == KindPlatform {
			platform[u.Cluster] = u
		}
	}

	// Then each tenant, all its environments in one job, so that it can
	// be inspected (policies) as soon as it is built and its objects
	// dropped.
	byTenant := map[string][]*unit{}
	var names []string
	for _, u := range all {
		if o.NoTenants || len(selected) > 0 && !selected[u.t.Name] {
			continue
		}
		if _, ok := byTenant[u.t.Name]; !ok {
			names = append(names, u.t.Name)
		}
		byTenant[u.t.Name] = append(byTenant[u.t.Name], u)
	}
	ob := o
	ob.KeepObjects = o.KeepObjects || o.Inspect != nil
	jobs = jobs[:0]
	for _, name := range names {
		jobs = append(jobs, func(b *builder) ([]*Unit, error) {
			var built []*Unit
			for _, u := range byTenant[name] {
				bu, err := buildTenant(b, u, ob, baseObjs[baseName(u.t.Tier, u.class)], krusty)
				if bu != nil {
					bu.BaseFiles = baseFiles[baseName(u.t.Tier, u.class)]
				}
				if err != nil {
					return nil, err
				}
				built = append(built, bu)
			}
			if o.Inspect != nil {
				if err := o.Inspect(name, built, platform); err != nil {
					return nil, err
				}
				if !o.KeepObjects {
					for _, bu := range built {
						bu.Built = nil
					}
				}
			}
			return built, nil
		})
	}
	tenants, err := run(jobs, res.Bases, o.Workers, krusty)
	if err != nil {
		return nil, err
	}
	if !o.KeepObjects && !o.KeepPlatform {
		for _, u := range platform {
			u.Built = nil
		}
	}
	units := append(shared, tenants...)
	sort.Slice(units, func(i, j int) bool { return units[i].Dir < units[j].Dir })
	res.Units = units
	return res, nil
}

// planUnits lists every tenant environment, and the standby of each
// production environment that has one, sorted by directory.
func planUnits(e *estate.Estate) []*unit {
	var out []*unit
	for _, tn := range e.TenantNames() {
		t := e.Tenants[tn]
		tier := e.Tiers[t.Tier]
		for _, class := range estate.EnvironmentClasses {
			env, ok := t.Environments[class]
			if !ok {
				continue
			}
			u := &unit{e: e, t: t, tier: tier, tenv: tier.Environments[class], env: env, class: class,
				ns: Namespace(tn, class), place: env.Placement}
			out = append(out, u)
			if env.Standby != nil {
				s := *u
				s.standby, s.place = true, *env.Standby
				out = append(out, &s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir() < out[j].Dir() })
	return out
}

// PlannedDirs lists, by tenant and sorted, the environment directories the
// estate plans.
func PlannedDirs(e *estate.Estate) map[string][]string {
	out := map[string][]string{}
	for _, u := range planUnits(e) {
		out[u.t.Name] = append(out[u.t.Name], u.Dir())
	}
	return out
}

// withRetained adds to the planned units, in directory order, a unit for
// each directory of Options.Retain, and of each tenant of Options.Held: one
// that is wired but never built.
func withRetained(e *estate.Estate, all []*unit, retain []string, held map[string]Held) []*unit {
	if len(retain) == 0 && len(held) == 0 {
		return all
	}
	have := map[string]bool{}
	for _, u := range all {
		have[u.Dir()] = true
	}
	out := slices.Clone(all)
	add := func(t *estate.Tenant, dir string) {
		parts := strings.Split(dir, "/")
		if t == nil || len(parts) != 5 || parts[0] != "clusters" || parts[2] != "tenants" || parts[3] != t.Name || have[dir] {
			return
		}
		cl, known := e.Platform.Clusters[parts[1]]
		class, standby := strings.CutSuffix(parts[4], "-standby")
		if !known || !slices.Contains(estate.EnvironmentClasses, class) {
			return
		}
		tier := e.Tiers[t.Tier]
		place := estate.Placement{Region: cl.Region, Cluster: parts[1]}
		u := &unit{e: e, t: t, tier: tier, env: &estate.TenantEnvironment{Placement: place}, class: class,
			ns: Namespace(t.Name, class), place: place, standby: standby, retained: true}
		if tier != nil {
			u.tenv = tier.Environments[class]
		}
		have[dir] = true
		out = append(out, u)
	}
	for _, dir := range retain {
		parts := strings.Split(dir, "/")
		if len(parts) != 5 {
			continue
		}
		if _, ok := held[parts[3]]; !ok {
			add(e.Tenants[parts[3]], dir)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(held)) {
		t := HeldTenant(e, name, held[name])
		for _, dir := range held[name].Dirs {
			add(t, dir)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir() < out[j].Dir() })
	return out
}

// HeldTenant is the tenant a held-back one is wired as: the estate's, in
// the tier and segment the previous render placed it in, or, when the
// estate no longer has it, one with only its name, tier, segment and time
// zone. Nil when the estate has none of its tiers.
func HeldTenant(e *estate.Estate, name string, h Held) *estate.Tenant {
	if cur := e.Tenants[name]; cur != nil {
		if h.Tier == "" || e.Tiers[h.Tier] == nil {
			return cur
		}
		t := *cur
		t.Tier, t.Segment = h.Tier, h.Segment
		return &t
	}
	if e.Tiers[h.Tier] == nil {
		return nil
	}
	zone := cmp.Or(h.TimeZone, e.Platform.TimeZone, "UTC")
	return &estate.Tenant{Name: name, Tier: h.Tier, Segment: h.Segment, TimeZone: zone, Calendar: h.Calendar}
}

// bases generates one base per tier and environment class in use, once:
// its files, and its objects as built (for the direct engine).
func bases(e *estate.Estate, units []*unit, out map[string][]byte) (map[string][]map[string]any, error) {
	built := map[string][]map[string]any{}
	for _, u := range units {
		dir := baseName(u.t.Tier, u.class)
		if _, ok := built[dir]; ok {
			continue
		}
		objs := baseObjects(&e.Platform, u.tier, u.tenv)
		data, err := yamlStream(objs...)
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", dir, err)
		}
		labels := map[string]string{LabelManagedBy: "palisade"}
		k, err := kustomization(types.Kustomization{
			Resources: []string{"resources.yaml"},
			Labels:    []types.Label{{Pairs: labels, IncludeTemplates: true}},
		})
		if err != nil {
			return nil, err
		}
		out[dir+"/resources.yaml"] = data
		out[dir+"/kustomization.yaml"] = k
		var norm []map[string]any
		for _, o := range objs {
			n, err := normalize(o)
			if err != nil {
				return nil, fmt.Errorf("base %s: %w", dir, err)
			}
			norm = append(norm, n)
		}
		setLabels(norm, labels, true)
		built[dir] = norm
	}
	return built, nil
}

func buildTenant(b *builder, u *unit, o Options, base []map[string]any, krusty bool) (*Unit, error) {
	ov, err := u.overlay(o.Digests)
	if err != nil {
		return nil, fmt.Errorf("rendering tenant %q (%s): %w", u.t.Name, u.DirEnv(), err)
	}
	out := &Unit{Kind: KindTenant, Cluster: u.place.Cluster, Tenant: u.t.Name, Environment: u.DirEnv(),
		Dir: u.Dir(), Files: ov.files, Objects: len(base) + len(ov.objects)}
	if o.SkipManifests && !o.KeepObjects {
		return out, nil
	}
	var m []byte
	var objs []map[string]any
	if krusty {
		m, err = b.build(u.Dir(), ov.files)
	} else {
		objs = u.objects(ov, base)
		if !o.SkipManifests {
			m, err = marshalStream(objs)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("rendering tenant %q (%s): %w", u.t.Name, u.DirEnv(), err)
	}
	if o.KeepObjects {
		if objs == nil {
			if objs, err = parseStream(m); err != nil {
				return nil, err
			}
		}
		out.Built = objs
	}
	if !o.SkipManifests {
		out.Manifest, out.Objects = m, countObjects(m)
	}
	return out, nil
}

// buildDir builds a directory of plain resource files.
func buildDir(b *builder, kind, cluster, dir string, objs map[string][]any, krusty bool, keep bool) (*Unit, error) {
	files := map[string][]byte{}
	var res []string
	var all []map[string]any
	for _, name := range slices.Sorted(maps.Keys(objs)) {
		for _, o := range objs[name] {
			n, err := normalize(o)
			if err != nil {
				return nil, fmt.Errorf("rendering %s: %s: %w", dir, name, err)
			}
			all = append(all, n)
		}
		data, err := yamlStream(objs[name]...)
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %s: %w", dir, name, err)
		}
		files[name] = data
		res = append(res, name)
	}
	k, err := kustomization(types.Kustomization{Resources: res})
	if err != nil {
		return nil, err
	}
	files["kustomization.yaml"] = k
	var m []byte
	legacySort(all)
	if krusty {
		m, err = b.build(dir, files)
	} else {
		m, err = marshalStream(all)
	}
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", dir, err)
	}
	u := &Unit{Kind: kind, Cluster: cluster, Dir: dir, Files: files, Manifest: m, Objects: countObjects(m)}
	if keep {
		u.Built = all
	}
	return u, nil
}

// run runs the jobs on a bounded number of goroutines, each with its own
// builder, and returns their units in job order.
func run(jobs []func(*builder) ([]*Unit, error), shared map[string][]byte, workers int, krusty bool) ([]*Unit, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(jobs), 1))
	out := make([][]*Unit, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		var b *builder
		if krusty {
			var err error
			if b, err = newBuilder(shared); err != nil {
				return nil, err
			}
		}
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = jobs[i](b)
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(distinct(errs)...); err != nil {
		return nil, err
	}
	var flat []*Unit
	for _, us := range out {
		flat = append(flat, us...)
	}
	return flat, nil
}

func countObjects(m []byte) int {
	if len(bytes.TrimSpace(m)) == 0 {
		return 0
	}
	return bytes.Count(m, []byte("\n---\n")) + 1
}

// Objects counts the objects of all units.
func (r *Result) Objects() int {
	n := 0
	for _, u := range r.Units {
		n += u.Objects
	}
	return n
}

// Tenants lists the tenants rendered, sorted.
func (r *Result) Tenants() []string {
	var out []string
	for _, u := range r.Units {
		if u.Kind == KindTenant && !slices.Contains(out, u.Tenant) {
			out = append(out, u.Tenant)
		}
	}
	sort.Strings(out)
	return out
}

// distinct drops the errors whose message an earlier one already gave: a
// tenant's problem reaches every cluster it has a directory on, and one
// report of it is enough.
func distinct(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return out
}

package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

// platformFreeze judges what the final render changes in the platform
// directories. A hold-back keeps a tenant's directories and its place in
// the platform clusters as the previous render made them
// (render.Options.Held), but the platform objects that serve it — its
// Database and role secret, the PostgreSQL cluster, backups and network
// policy of the namespace holding them, and the cluster's shared Redis —
// are shared and rendered from the current estate: a PostgreSQL or Redis
// image bump, a tier's backup change or a neighbour's new database would
// reach a frozen tenant through them. For each
// tenant such a change reaches while a window applies to it, the engine
// evaluates PlatformQuery (freeze.platform-change); the platform's
// break-glass waivers (platform.waivers) then let through what they cover.
//
// The GitOps wiring is judged the same way: a tenant environment's
// Application or Flux Kustomization, and the cluster's platform
// Application or GitRepository that every one of them depends on, are
// rendered from the platform's GitOps settings, so a new repository URL,
// revision or sync policy would reach a frozen tenant through them.
//
// A platform or GitOps directory the baseline lacks is not compared: a
// first render, or the base of a pull-request check when no window is
// active.
//
// Directories in skip are not judged: held back, they stay as the
// baseline has them.
func (p *Prepared) platformFreeze(ctx context.Context, res *render.Result, base *parsedBaseline, held map[string]render.Held, skip map[string]bool) (*platformJudgement, error) {
	e, o := p.Estate, p.Options
	// changes[tenant][environment class] are the platform objects the
	// render changes that serve the tenant's environment.
	changes := map[string]map[string][]policy.PlatformObjectChange{}
	j := &platformJudgement{Frozen: map[string]policy.Input{}, Reach: map[envKey][]string{}}
	var dir string // the directory being compared
	add := func(te tenantEnv, objs []policy.PlatformObjectChange) {
		// A tenant the estate no longer has is judged when its removal
		// is held back: still wired, it still runs, frozen.
		_, isHeld := held[te.tenant]
		if e.Tenants[te.tenant] == nil && !isHeld || len(objs) == 0 {
			return // removed: freeze.tenant-removal judged the removal
		}
		if changes[te.tenant] == nil {
			changes[te.tenant] = map[string][]policy.PlatformObjectChange{}
		}
		changes[te.tenant][te.class] = append(changes[te.tenant][te.class], objs...)
		k := envKey{te.tenant, te.class}
		if !slices.Contains(j.Reach[k], dir) {
			j.Reach[k] = append(j.Reach[k], dir)
		}
	}
	for _, u := range res.Units {
		if u.Kind != render.KindPlatform && u.Kind != render.KindGitOps || skip[u.Dir] {
			continue
		}
		dir = u.Dir
		files := unitFiles(u, o.Layout)
		st, err := base.Compare(files, u.Dir)
		if err != nil {
			return nil, err
		}
		if st != tree.Changed {
			continue
		}
		prev, err := base.dirObjects(u.Dir)
		if err != nil {
			return nil, err
		}
		if u.Kind == render.KindGitOps {
			cur, err := yamlObjects(files)
			if err != nil {
				return nil, err
			}
			for te, objs := range wiringChanges(prev, cur) {
				add(te, objs)
			}
			continue
		}
		cur, err := normalized(u.Built)
		if err != nil {
			return nil, err
		}
		px, err := base.servingIndex(u.Dir)
		if err != nil {
			return nil, err
		}
		cx := newServingIndex(cur)
		for _, te := range servedEnvironments(e, u.Cluster, held, prev, cur) {
			add(te, objectChanges(px.serving(te), cx.serving(te)))
		}
	}
	var inputs []policy.Input
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		in, err := platformInput(e, base, name, o.At)
		if err != nil {
			return nil, err
		}
		if len(in.Windows) == 0 {
			continue
		}
		// The tenant's own waivers do not apply: the platform change is
		// made for every tenant it serves at once. The platform's
		// break-glass waivers do, below.
		in.Waivers = []policy.Waiver{}
		for _, env := range slices.Sorted(maps.Keys(changes[name])) {
			objs := changes[name][env]
			slices.SortFunc(objs, func(a, b policy.PlatformObjectChange) int { return compareRefs(a.Object, b.Object) })
			in.Change.Platform = append(in.Change.Platform, policy.PlatformChange{Environment: env, Objects: slices.CompactFunc(objs, func(a, b policy.PlatformObjectChange) bool { return a.Object == b.Object })})
		}
		inputs = append(inputs, in)
		j.Frozen[name] = in
	}
	var rs []policy.Result
	if len(inputs) > 0 {
		var err error
		if rs, err = p.Engine.EvaluatePlatform(ctx, inputs); err != nil {
			return nil, err
		}
	}
	// Every render reports the platform's waivers, used or not, as every
	// tenant's evaluation reports the tenant's.
	rs, err := policy.ApplyPlatformWaivers(o.At, policy.PlatformPolicy, policy.PlatformWaivers(e), rs)
	if err != nil {
		return nil, err
	}
	j.Results = rs
	return j, nil
}

// platformJudgement is what platformFreeze found in a render.
type platformJudgement struct {
	Results []policy.Result
	// Frozen are the inputs it evaluated, by tenant: the tenants the
	// changes reach while a window applies, with the changes.
	Frozen map[string]policy.Input
	// Reach are, by tenant environment, the platform and GitOps
	// directories whose change reaches it.
	Reach map[envKey][]string
}

// envKey is a tenant and the class of one of its environments, as the
// results of freeze.platform-change name them.
type envKey struct{ tenant, class string }

// platformInput is the input freeze.platform-change judges a tenant by,
// its windows set and no change yet: the estate's tenant, or what the
// previous render recorded of one whose removal is held back.
func platformInput(e *estate.Estate, base Baseline, name string, at time.Time) (policy.Input, error) {
	t := e.Tenants[name]
	if t == nil {
		in, err := removedInput(e, base, name, at)
		in.Change = policy.Change{Environments: []string{}}
		return in, err
	}
	in, err := policy.NewInput(e, name, at)
	if err != nil {
		return in, err
	}
	return in, in.SetWindows(e, t, at)
}

// neighbourHoldBacks finds, among the tenants whose changes (or removals)
// the render lets through (cands), a smallest set whose hold-back leaves the platform
// objects serving frozen tenants as they are — trial renders the platform
// directories with the tenants it is given held back, and judges them —
// and has the policies judge each tenant of the set
// (freeze.platform-neighbour) with what its change alone would alter, and
// for whom: inputOf gives a tenant's input with its change. It finds none
// when holding every candidate back does not clear the denials: then the
// platform change is the platform's own.
//
// The set is found by releasing halves of the candidates while the
// denials stay cleared, so that a handful of culprits among many changed
// tenants costs a few trials per culprit, not one per candidate.
func (p *Prepared) neighbourHoldBacks(ctx context.Context, cands []string, inputOf func(string) (policy.Input, error),
	trial func(hold []string) ([]policy.Result, map[string]policy.Input, error)) ([]policy.Result, map[string]HoldBack, error) {
	if len(cands) == 0 {
		return nil, nil, nil
	}
	cleared := func(hold []string) (bool, error) {
		rs, _, err := trial(hold)
		return err == nil && !policy.DeniedBeyondFreeze(rs), err
	}
	if ok, err := cleared(cands); err != nil || !ok {
		return nil, nil, err
	}
	hold := slices.Clone(cands)
	var release func(part []string) error
	release = func(part []string) error {
		rest := slices.DeleteFunc(slices.Clone(hold), func(t string) bool { return slices.Contains(part, t) })
		ok, err := cleared(rest)
		switch {
		case err != nil:
			return err
		case ok:
			hold = rest
			return nil
		case len(part) == 1:
			return nil
		}
		if err := release(part[:len(part)/2]); err != nil {
			return err
		}
		return release(part[len(part)/2:])
	}
	// Releasing them all at once is the render that was denied.
	if len(cands) > 1 {
		if err := release(cands[:len(cands)/2]); err != nil {
			return nil, nil, err
		}
		if err := release(cands[len(cands)/2:]); err != nil {
			return nil, nil, err
		}
	}
	var inputs []policy.Input
	hbs := map[string]HoldBack{}
	for _, t := range hold {
		rs, frozen, err := trial(slices.DeleteFunc(slices.Clone(hold), func(h string) bool { return h == t }))
		if err != nil {
			return nil, nil, err
		}
		in, err := inputOf(t)
		if err != nil {
			return nil, nil, err
		}
		// Not waivable by the tenant's waivers: the neighbours' windows
		// are not the tenant's to waive (the estate rejects a tenant
		// waiver for it). A platform waiver covering the neighbours'
		// platform change lets it through before this search runs.
		in.Waivers = []policy.Waiver{}
		hb := HoldBack{Tenant: t}
		latest := ""
		var denied []string
		for _, r := range rs {
			if r.Denies() && r.PolicyID != policy.NeighbourPolicy {
				denied = append(denied, r.Tenant)
			}
		}
		slices.Sort(denied)
		for _, f := range slices.Compact(denied) {
			fi := frozen[f]
			in.Change.Neighbours = append(in.Change.Neighbours, policy.Neighbour{
				Tenant: f, Windows: fi.Windows, FreeLocal: fi.FreeLocal, Platform: fi.Change.Platform,
			})
			hb.Serving = append(hb.Serving, f)
			hb.Windows = addWindows(hb.Windows, fi.Windows)
			if fi.FreeAt > latest {
				latest, hb.Free = fi.FreeAt, fi.FreeLocal
			}
		}
		if len(hb.Serving) == 0 {
			continue
		}
		inputs = append(inputs, in)
		hbs[t] = hb
	}
	if len(inputs) == 0 {
		return nil, nil, nil
	}
	rs, err := p.Engine.EvaluatePlatform(ctx, inputs)
	return rs, hbs, err
}

// wiringChanges are the changes of a cluster's GitOps objects, by the
// tenant environment they reach. A tenant environment's own Application
// or Kustomization (labelled with its tenant and environment) reaches it
// when it changes in a way the controller acts on: its spec, the Argo CD
// project aside (moving to another tier's project changes no workload),
// and its finalizers (a Flux Kustomization's suspension aside: it follows
// the calendar). An object it is added or removed with follows the
// tenant's own directories, which the tenant's own evaluation judged. The
// cluster-wide objects — the platform's Application, Flux's GitRepository
// and the platform's Kustomization — reach every tenant environment wired
// on the cluster. AppProjects are left out: their destinations follow the
// tenants, their sync windows the calendar, which a check reviews.
func wiringChanges(prev, cur []map[string]any) map[tenantEnv][]policy.PlatformObjectChange {
	type wired struct {
		te  tenantEnv
		obj map[string]any
	}
	view := func(objs []map[string]any) (map[policy.Object]wired, map[tenantEnv]bool) {
		m, envs := map[policy.Object]wired{}, map[tenantEnv]bool{}
		for _, o := range objs {
			ref := objectRef(o)
			if ref.Kind == "AppProject" {
				continue
			}
			md, _ := o["metadata"].(map[string]any)
			labels, _ := md["labels"].(map[string]any)
			t, _ := labels[render.LabelTenant].(string)
			class, _ := labels[render.LabelEnvironment].(string)
			spec, _ := o["spec"].(map[string]any)
			spec = maps.Clone(spec)
			delete(spec, "project")
			// A Flux Kustomization is suspended while a window applies to
			// its tenant: the freeze itself, not a change that reaches it.
			delete(spec, "suspend")
			w := wired{obj: map[string]any{"spec": spec, "finalizers": md["finalizers"]}}
			if t != "" {
				w.te = tenantEnv{tenant: t, class: class}
				envs[w.te] = true
			}
			m[ref] = w
		}
		return m, envs
	}
	pm, penvs := view(prev)
	cm, cenvs := view(cur)
	out := map[tenantEnv][]policy.PlatformObjectChange{}
	for _, ref := range slices.SortedFunc(maps.Keys(cm), compareRefs) {
		c, p := cm[ref], pm[ref]
		if p.obj == nil || reflect.DeepEqual(p.obj, c.obj) {
			continue
		}
		var fields []string
		diffPaths(p.obj, c.obj, "", &fields)
		for i, f := range fields {
			if f == "finalizers" {
				fields[i] = "metadata.finalizers"
			}
		}
		slices.Sort(fields)
		ch := policy.PlatformObjectChange{Object: ref, Change: "changed", Fields: fields}
		if c.te.tenant != "" {
			out[c.te] = append(out[c.te], ch)
			continue
		}
		for te := range penvs {
			if cenvs[te] {
				out[te] = append(out[te], ch)
			}
		}
	}
	return out
}

func compareRefs(a, b policy.Object) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// tenantEnv is a tenant environment served by a platform namespace of its
// cluster: tenant, environment class, the environment's namespace, and the
// platform namespace serving it.
type tenantEnv struct{ tenant, class, ns, platformNS string }

// servedEnvironments are the tenant environments a cluster's platform
// namespaces serve, sorted: each PostgreSQL namespace serves the
// environments whose Database it holds (in either object list), and the
// shared Redis serves the cluster's environments whose tier uses it.
func servedEnvironments(e *estate.Estate, cluster string, held map[string]render.Held, lists ...[]map[string]any) []tenantEnv {
	seen := map[tenantEnv]bool{}
	for _, objs := range lists {
		for _, o := range objs {
			if o["kind"] != "Database" {
				continue
			}
			md, _ := o["metadata"].(map[string]any)
			labels, _ := md["labels"].(map[string]any)
			t, _ := labels[render.LabelTenant].(string)
			class, _ := labels[render.LabelEnvironment].(string)
			ns, _ := md["name"].(string)
			pns, _ := md["namespace"].(string)
			if t != "" {
				seen[tenantEnv{t, class, ns, pns}] = true
			}
		}
	}
	sharedRedis := func(name, tier, class string) {
		if t := e.Tiers[tier]; t != nil && t.Environments[class] != nil && t.Environments[class].Redis.Mode != "dedicated" {
			seen[tenantEnv{name, class, render.Namespace(name, class), render.NamespaceRedis}] = true
		}
	}
	for _, name := range e.TenantNames() {
		if _, ok := held[name]; ok {
			continue
		}
		t := e.Tenants[name]
		for class, env := range t.Environments {
			if env != nil && env.Placement.Cluster == cluster {
				sharedRedis(name, t.Tier, class)
			}
		}
	}
	// A held-back tenant uses the shared Redis as the previous render
	// wired it: in its previous tier, removed from the estate or not.
	for name, h := range held {
		t := render.HeldTenant(e, name, h)
		if t == nil {
			continue
		}
		for _, d := range h.Dirs {
			parts := strings.Split(d, "/")
			if len(parts) == 5 && parts[1] == cluster && !strings.HasSuffix(parts[4], "-standby") {
				sharedRedis(name, t.Tier, parts[4])
			}
		}
	}
	return slices.SortedFunc(maps.Keys(seen), func(a, b tenantEnv) int {
		return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.class, b.class), cmp.Compare(a.ns, b.ns), cmp.Compare(a.platformNS, b.platformNS))
	})
}

// servingIndex indexes a platform directory's objects by the tenant
// environments they serve: looking each environment's up by scanning
// them all made judging a platform change quadratic in the tenants.
type servingIndex struct {
	// shared are, by platform namespace, the objects serving every tenant
	// environment there.
	shared map[string][]map[string]any
	// own are, by platform namespace and tenant namespace, the tenant
	// environment's own Database and role secret.
	own map[[2]string][]map[string]any
}

func newServingIndex(objs []map[string]any) *servingIndex {
	x := &servingIndex{shared: map[string][]map[string]any{}, own: map[[2]string][]map[string]any{}}
	for _, o := range objs {
		ref := objectRef(o)
		if owner, ok := tenantScoped(ref); ok {
			k := [2]string{ref.Namespace, owner}
			x.own[k] = append(x.own[k], o)
			continue
		}
		x.shared[ref.Namespace] = append(x.shared[ref.Namespace], o)
	}
	return x
}

// serving are the objects of te's platform namespace that serve it: the
// namespace's shared objects — a PostgreSQL cluster narrowed to te's own
// role — and te's own Database and role secret, but not other tenants'.
func (x *servingIndex) serving(te tenantEnv) []map[string]any {
	out := slices.Clone(x.own[[2]string{te.platformNS, te.ns}])
	for _, o := range x.shared[te.platformNS] {
		if objectRef(o).Kind == "Cluster" {
			o = ownRoles(o, "role-"+te.ns)
		}
		out = append(out, o)
	}
	return out
}

// tenantScoped tells whether a platform object belongs to one tenant
// environment (its Database, named after the environment's namespace, and
// its role secret, "role-<namespace>"), and to which namespace.
func tenantScoped(ref policy.Object) (string, bool) {
	switch {
	case ref.Kind == "Database":
		return ref.Name, true
	case ref.Kind == "ExternalSecret" && strings.HasPrefix(ref.Name, "role-"):
		return strings.TrimPrefix(ref.Name, "role-"), true
	}
	return "", false
}

// objectChanges compares two lists of objects by kind, namespace and name.
func objectChanges(prev, cur []map[string]any) []policy.PlatformObjectChange {
	byRef := func(objs []map[string]any) map[policy.Object]map[string]any {
		m := map[policy.Object]map[string]any{}
		for _, o := range objs {
			m[objectRef(o)] = o
		}
		return m
	}
	pm, cm := byRef(prev), byRef(cur)
	var out []policy.PlatformObjectChange
	for ref, c := range cm {
		p, ok := pm[ref]
		switch {
		case !ok:
			out = append(out, policy.PlatformObjectChange{Object: ref, Change: "added"})
		case !reflect.DeepEqual(p, c):
			var fields []string
			diffPaths(p, c, "", &fields)
			slices.Sort(fields)
			out = append(out, policy.PlatformObjectChange{Object: ref, Change: "changed", Fields: fields})
		}
	}
	for ref := range pm {
		if _, ok := cm[ref]; !ok {
			out = append(out, policy.PlatformObjectChange{Object: ref, Change: "removed"})
		}
	}
	return out
}

func objectRef(o map[string]any) policy.Object {
	md, _ := o["metadata"].(map[string]any)
	kind, _ := o["kind"].(string)
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	return policy.Object{Kind: kind, Namespace: ns, Name: name}
}

// diffPaths adds the dotted paths at which a and b differ: the deepest
// object keys, a list as a whole.
func diffPaths(a, b any, at string, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, at)
		}
		return
	}
	for _, k := range slices.Sorted(maps.Keys(am)) {
		diffPaths(am[k], bm[k], strings.TrimPrefix(at+"."+k, "."), out)
	}
	for _, k := range slices.Sorted(maps.Keys(bm)) {
		if _, ok := am[k]; !ok {
			*out = append(*out, strings.TrimPrefix(at+"."+k, "."))
		}
	}
}

// yamlObjects are the objects of a directory's YAML files other than its
// kustomization, as JSON decodes them.
func yamlObjects(files map[string][]byte) ([]map[string]any, error) {
	var out []map[string]any
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, "/kustomization.yaml") {
			continue
		}
		docs, err := yamlDocs(files[p])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, d := range docs {
			var o map[string]any
			if err := yaml.Unmarshal(d, &o); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if o != nil && o["kind"] != nil {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// normalized are objects as JSON decodes them (numbers as float64), to
// compare with objects read back from YAML.
func normalized(objs []map[string]any) ([]map[string]any, error) {
	data, err := json.Marshal(objs)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	return out, json.Unmarshal(data, &out)
}

// parsedBaseline is a baseline whose platform and GitOps directories are
// parsed once, with their serving index: every judgement of a render, and
// of the trials its hold-back searches make, reads them again.
type parsedBaseline struct {
	Baseline
	mu      sync.Mutex
	objects map[string][]map[string]any
	index   map[string]*servingIndex
}

func parseOnce(b Baseline) *parsedBaseline {
	return &parsedBaseline{Baseline: b, objects: map[string][]map[string]any{}, index: map[string]*servingIndex{}}
}

// dirObjects are the objects of the baseline's directory dir.
func (b *parsedBaseline) dirObjects(dir string) ([]map[string]any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if objs, ok := b.objects[dir]; ok {
		return objs, nil
	}
	files, err := b.DirFiles(dir)
	if err != nil {
		return nil, err
	}
	objs, err := yamlObjects(files)
	if err != nil {
		return nil, fmt.Errorf("reading the previous render's %s: %w", dir, err)
	}
	b.objects[dir] = objs
	return objs, nil
}

// servingIndex is the serving index of the baseline's directory dir.
func (b *parsedBaseline) servingIndex(dir string) (*servingIndex, error) {
	objs, err := b.dirObjects(dir)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	x, ok := b.index[dir]
	if !ok {
		x = newServingIndex(objs)
		b.index[dir] = x
	}
	return x, nil
}

package pipeline

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

func TestObjectChanges(t *testing.T) {
	obj := func(kind, name string, spec map[string]any) map[string]any {
		return map[string]any{"kind": kind, "metadata": map[string]any{"name": name, "namespace": "postgres-shared"}, "spec": spec}
	}
	prev := []map[string]any{
		obj("Cluster", "pg", map[string]any{"imageName": "pg@sha256:1", "storage": map[string]any{"size": "20Gi", "storageClass": "fast"}, "instances": 3.0}),
		obj("Database", "acme-prod", map[string]any{"name": "acme_prod"}),
		obj("ScheduledBackup", "pg", map[string]any{"schedule": "0 0 2 * * *"}),
	}
	cur := []map[string]any{
		obj("Cluster", "pg", map[string]any{"imageName": "pg@sha256:2", "storage": map[string]any{"size": "30Gi", "storageClass": "fast"}, "instances": 3.0, "monitoring": true}),
		obj("ScheduledBackup", "pg", map[string]any{"schedule": "0 0 2 * * *"}),
		obj("ExternalSecret", "role-acme-prod", nil),
	}
	got := map[policy.Object]policy.PlatformObjectChange{}
	for _, c := range objectChanges(prev, cur) {
		got[c.Object] = c
	}
	ref := func(kind, name string) policy.Object {
		return policy.Object{Kind: kind, Namespace: "postgres-shared", Name: name}
	}
	want := map[policy.Object]policy.PlatformObjectChange{
		ref("Cluster", "pg"): {Object: ref("Cluster", "pg"), Change: "changed",
			Fields: []string{"spec.imageName", "spec.monitoring", "spec.storage.size"}},
		ref("Database", "acme-prod"):            {Object: ref("Database", "acme-prod"), Change: "removed"},
		ref("ExternalSecret", "role-acme-prod"): {Object: ref("ExternalSecret", "role-acme-prod"), Change: "added"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// Numbers rendered as Go integers compare equal to the same numbers read
// back from YAML.
func TestNormalizedNumbers(t *testing.T) {
	prev, err := yamlObjects(map[string][]byte{
		"p/kustomization.yaml": []byte("resources:\n- a.yaml\n"),
		"p/a.yaml":             []byte("apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n  count: 3\n---\n# empty\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := normalized([]map[string]any{{"apiVersion": "v1", "kind": "X", "metadata": map[string]any{"name": "a"}, "spec": map[string]any{"count": 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if ch := objectChanges(prev, cur); len(ch) != 0 {
		t.Errorf("changes %+v, want none", ch)
	}
}

// What a render writes into its platform directories reads back as the
// objects it built, in both layouts: a platform object that did not change
// is never reported as changed.
func TestPlatformObjectsReadBack(t *testing.T) {
	_, res := platformRender(t)
	for _, layout := range []string{render.LayoutKustomize, render.LayoutHydrated} {
		files, err := res.Tree(layout)
		if err != nil {
			t.Fatal(err)
		}
		base := NewMapBaseline(files)
		n := 0
		for _, u := range res.Units {
			if u.Kind != render.KindPlatform {
				continue
			}
			prevFiles, err := base.DirFiles(u.Dir)
			if err != nil {
				t.Fatal(err)
			}
			prev, err := yamlObjects(prevFiles)
			if err != nil {
				t.Fatal(err)
			}
			cur, err := normalized(u.Built)
			if err != nil {
				t.Fatal(err)
			}
			if len(prev) != len(cur) || len(cur) == 0 {
				t.Fatalf("%s %s: %d objects read back, %d built", layout, u.Dir, len(prev), len(cur))
			}
			if ch := objectChanges(prev, cur); len(ch) != 0 {
				t.Errorf("%s %s: %+v", layout, u.Dir, ch)
			}
			n += len(cur)
		}
		if n == 0 {
			t.Fatalf("%s: no platform objects", layout)
		}
	}
}

// A platform namespace serves the environments whose Database it holds,
// and the shared Redis the cluster's environments whose tier uses it; each
// sees the namespace's shared objects and its own, not its neighbours'.
func TestServing(t *testing.T) {
	e, res := platformRender(t)
	var pg, redis int
	for _, u := range res.Units {
		if u.Kind != render.KindPlatform {
			continue
		}
		objs, err := normalized(u.Built)
		if err != nil {
			t.Fatal(err)
		}
		x := newServingIndex(objs)
		for _, te := range servedEnvironments(e, u.Cluster, nil, objs) {
			got := x.serving(te)
			own, shared := 0, 0
			for _, o := range got {
				ref := objectRef(o)
				if ref.Namespace != te.platformNS {
					t.Fatalf("%+v: %s is in another namespace", te, ref)
				}
				if owner, ok := tenantScoped(ref); ok {
					if owner != te.ns {
						t.Errorf("%+v: serves another tenant's %s", te, ref)
					}
					own++
					continue
				}
				shared++
				if ref.Kind == "Cluster" {
					spec := o["spec"].(map[string]any)
					roles := spec["managed"].(map[string]any)["roles"].([]any)
					if len(roles) != 1 || roles[0].(map[string]any)["passwordSecret"].(map[string]any)["name"] != "role-"+te.ns {
						t.Errorf("%+v: cluster roles not narrowed to its own: %v", te, roles)
					}
				}
			}
			switch te.platformNS {
			case render.NamespaceRedis:
				redis++
				if own != 0 || shared == 0 {
					t.Errorf("%+v: redis serves %d own and %d shared objects", te, own, shared)
				}
			default:
				pg++
				if own != 2 || shared < 3 {
					t.Errorf("%+v: postgres serves %d own and %d shared objects, want its Database and role secret and the cluster's", te, own, shared)
				}
			}
		}
	}
	if pg == 0 || redis == 0 {
		t.Fatalf("%d postgres and %d redis environments served", pg, redis)
	}
}

// platformRender renders the platform directories (no tenant) of a small
// synthetic estate, keeping their objects.
func platformRender(t *testing.T) (*estate.Estate, *render.Result) {
	t.Helper()
	root := t.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	e, err := estate.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(e, render.Options{At: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), KeepPlatform: true, NoTenants: true})
	if err != nil {
		t.Fatal(err)
	}
	return e, res
}

// wiringChanges reports what a controller acts on — an Application's
// source, a GitRepository's URL, finalizers — by the tenant environments
// it reaches, and leaves out what changes no workload: a move to another
// tier's project, labels, AppProjects, and Applications added or removed
// with their tenant's directories.
func TestWiringChanges(t *testing.T) {
	app := func(name, tenant, project, repo string, finalizers ...any) map[string]any {
		labels := map[string]any{render.LabelManagedBy: "palisade", render.LabelTier: project}
		if tenant != "" {
			labels[render.LabelTenant], labels[render.LabelEnvironment] = tenant, "production"
		}
		md := map[string]any{"name": name, "namespace": "argocd", "labels": labels}
		if len(finalizers) > 0 {
			md["finalizers"] = finalizers
		}
		return map[string]any{"kind": "Application", "metadata": md, "spec": map[string]any{
			"project": project, "source": map[string]any{"repoURL": repo, "path": "clusters/c/tenants/" + name},
		}}
	}
	project := func(windows string) map[string]any {
		return map[string]any{"kind": "AppProject", "metadata": map[string]any{"name": "shared-c", "namespace": "argocd"},
			"spec": map[string]any{"syncWindows": windows}}
	}
	const repo, repo2 = "https://git.example/env.git", "https://git.example/env-2.git"
	fin := "resources-finalizer.argocd.argoproj.io"
	a := tenantEnv{tenant: "a", class: "production"}

	prev := []map[string]any{project("x"), app("platform-c", "", "platform-c", repo), app("a-prod", "a", "shared-c", repo, fin), app("b-prod", "b", "shared-c", repo, fin)}
	for _, tc := range []struct {
		name string
		cur  []map[string]any
		want map[tenantEnv][]string
	}{
		{"unchanged", prev, map[tenantEnv][]string{}},
		{"tier switch: project and labels", []map[string]any{project("y"), app("platform-c", "", "platform-c", repo),
			app("a-prod", "a", "dedicated-c", repo, fin), app("b-prod", "b", "shared-c", repo, fin)}, map[tenantEnv][]string{}},
		{"added with a new tenant", append(slices.Clone(prev), app("n-prod", "n", "shared-c", repo, fin)), map[tenantEnv][]string{}},
		{"removed with its tenant", prev[:3], map[tenantEnv][]string{}},
		{"one tenant's source", []map[string]any{project("x"), app("platform-c", "", "platform-c", repo),
			app("a-prod", "a", "shared-c", repo2, fin), app("b-prod", "b", "shared-c", repo, fin)},
			map[tenantEnv][]string{a: {"Application argocd/a-prod changed spec.source.repoURL"}}},
		{"finalizer dropped", []map[string]any{project("x"), app("platform-c", "", "platform-c", repo),
			app("a-prod", "a", "shared-c", repo), app("b-prod", "b", "shared-c", repo, fin)},
			map[tenantEnv][]string{a: {"Application argocd/a-prod changed metadata.finalizers"}}},
		{"the platform's Application reaches every tenant wired before and after", []map[string]any{project("x"),
			app("platform-c", "", "platform-c", repo2), app("a-prod", "a", "shared-c", repo, fin)},
			map[tenantEnv][]string{a: {"Application argocd/platform-c changed spec.source.repoURL"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[tenantEnv][]string{}
			for te, chs := range wiringChanges(prev, tc.cur) {
				for _, c := range chs {
					got[te] = append(got[te], c.Object.Kind+" "+c.Object.Namespace+"/"+c.Object.Name+" "+c.Change+" "+strings.Join(c.Fields, ","))
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// neighbourHoldBacks finds the tenants whose changes alter the platform
// objects serving a frozen tenant — two among sixteen changed ones — in
// a few trials per culprit, and has the policies hold each back, naming
// the neighbour; when holding back every candidate does not help, the
// platform change is the platform's own and nothing is held back.
func TestNeighbourHoldBacks(t *testing.T) {
	root := t.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 17, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Prepare(ctx, Options{Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize,
		At: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	names := p.Estate.TenantNames()
	frozen, cands := names[0], names[1:]
	culprits := []string{cands[3], cands[11]}
	window := policy.Window{Name: "month-end", Kind: "financial-close", Calendar: "platform",
		Scope: policy.WindowScope{Level: "platform"}, EndLocal: "2026-11-03 00:00 Europe/Paris"}
	changes := map[string]policy.Change{}
	for _, c := range cands {
		changes[c] = policy.Change{Changed: true, New: true, Environments: []string{"production"}}
	}
	for _, tc := range []struct {
		name     string
		own      bool // the platform changes of its own too
		wantHeld []string
	}{{"tenants' changes", false, culprits}, {"the platform's own change", true, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			trials := 0
			trial := func(hold []string) ([]policy.Result, map[string]policy.Input, error) {
				trials++
				var objs []policy.PlatformObjectChange
				for _, c := range culprits {
					if !slices.Contains(hold, c) {
						objs = append(objs, policy.PlatformObjectChange{Object: policy.Object{Kind: "Database", Namespace: "postgres-shared", Name: c + "-prod"}, Change: "added"})
					}
				}
				if tc.own {
					objs = append(objs, policy.PlatformObjectChange{Object: policy.Object{Kind: "Cluster", Namespace: "postgres-shared", Name: "pg-shared"}, Change: "changed", Fields: []string{"spec.imageName"}})
				}
				if len(objs) == 0 {
					return nil, nil, nil
				}
				in := policy.Input{Windows: []policy.Window{window}, FreeLocal: window.EndLocal, FreeAt: "2026-11-02T23:00:00Z",
					Change: policy.Change{Platform: []policy.PlatformChange{{Environment: "production", Objects: objs}}}}
				return []policy.Result{{PolicyID: "freeze.platform-change", Severity: policy.SeverityDeny, Tenant: frozen}},
					map[string]policy.Input{frozen: in}, nil
			}
			inputOf := func(t string) (policy.Input, error) {
				in, err := policy.NewInput(p.Estate, t, p.Options.At)
				in.Change = changes[t]
				return in, err
			}
			rs, hbs, err := p.neighbourHoldBacks(ctx, cands, inputOf, trial)
			if err != nil {
				t.Fatal(err)
			}
			if held := policy.Frozen(rs); !slices.Equal(held, tc.wantHeld) {
				t.Fatalf("held back %q, want %q", held, tc.wantHeld)
			}
			if tc.own {
				if trials != 1 {
					t.Errorf("%d trials, want 1: holding every candidate back does not help", trials)
				}
				return
			}
			// 1 with every candidate held, at most 2·log2(16) releases
			// per culprit, 1 per culprit to name its neighbours.
			if trials > 1+2*2*4+2 {
				t.Errorf("%d trials", trials)
			}
			for _, r := range rs {
				want := fmt.Sprintf(`change to %q alters platform objects serving %q, frozen by financial-close window "month-end" (platform scope) until 2026-11-03 00:00 Europe/Paris: production: Database postgres-shared/%s-prod added`, r.Tenant, frozen, r.Tenant)
				if r.PolicyID != policy.NeighbourPolicy || r.Message != want {
					t.Errorf("result %s %q\nwant %q", r.PolicyID, r.Message, want)
				}
				if hb := hbs[r.Tenant]; !slices.Equal(hb.Serving, []string{frozen}) || hb.Free != window.EndLocal || len(hb.Windows) != 1 {
					t.Errorf("hold-back %+v", hb)
				}
			}
		})
	}
}

// A held-back tenant is served by the shared Redis as the previous render
// wired it: in its previous tier, even when the estate has moved it to a
// tier with its own Redis, or removed it.
func TestServedHeld(t *testing.T) {
	e, _ := platformRender(t)
	var name, cluster string
	for _, n := range e.TenantNames() {
		if env := e.Tenants[n].Environments["production"]; e.Tenants[n].Tier == "shared" && env != nil {
			name, cluster = n, env.Placement.Cluster
			break
		}
	}
	redis := tenantEnv{name, "production", render.Namespace(name, "production"), render.NamespaceRedis}
	served := func(e *estate.Estate, held map[string]render.Held) bool {
		return slices.Contains(servedEnvironments(e, cluster, held), redis)
	}
	if !served(e, nil) {
		t.Fatalf("%s: not served by the shared Redis to begin with", name)
	}
	h := map[string]render.Held{name: {Tier: "shared", Dirs: []string{"clusters/" + cluster + "/tenants/" + name + "/production"}}}
	moved, removed := *e, *e
	moved.Tenants, removed.Tenants = maps.Clone(e.Tenants), maps.Clone(e.Tenants)
	dedicated := *e.Tenants[name]
	dedicated.Tier = "dedicated"
	moved.Tenants[name] = &dedicated
	delete(removed.Tenants, name)
	for what, est := range map[string]*estate.Estate{"moved to dedicated": &moved, "removed": &removed} {
		if served(est, nil) {
			t.Errorf("%s, not held: still served by the shared Redis", what)
		}
		if !served(est, h) {
			t.Errorf("%s, held: not served by the shared Redis", what)
		}
	}
}

package render

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// parsed is a render with every unit's objects decoded.
type parsed struct {
	e     *estate.Estate
	r     *Result
	objs  map[string][]map[string]any // by unit directory
	units []*Unit
}

func parseResult(t *testing.T, e *estate.Estate, r *Result) *parsed {
	t.Helper()
	p := &parsed{e: e, r: r, objs: map[string][]map[string]any{}, units: r.Units}
	for _, u := range r.Units {
		p.objs[u.Dir] = decodeObjects(t, u.Manifest)
	}
	return p
}

// tenantUnit is what a tenant unit is in the estate.
type tenantUnit struct {
	*Unit
	t       *estate.Tenant
	tier    *estate.Tier
	tenv    *estate.TierEnvironment
	class   string
	standby bool
	ns      string
	objs    []map[string]any
}

func (p *parsed) tenantUnits() []tenantUnit {
	var out []tenantUnit
	for _, u := range p.units {
		if u.Kind != KindTenant {
			continue
		}
		class, standby := strings.CutSuffix(u.Environment, "-standby")
		tn := p.e.Tenants[u.Tenant]
		tier := p.e.Tiers[tn.Tier]
		out = append(out, tenantUnit{Unit: u, t: tn, tier: tier, tenv: tier.Environments[class], class: class,
			standby: standby, ns: Namespace(u.Tenant, class), objs: p.objs[u.Dir]})
	}
	return out
}

func (u tenantUnit) String() string { return u.Dir }

// app is the unit's Argo CD Application or Flux Kustomization name.
func (u tenantUnit) app() string {
	if u.standby {
		return AppName(u.Tenant, u.class) + "-standby"
	}
	return AppName(u.Tenant, u.class)
}

func kindOf(o map[string]any) string { return str(o, "kind") }
func nameOfObj(o map[string]any) string {
	return str(o, "metadata", "name")
}

// find returns the objects of a kind (and name, if not empty).
func find(objs []map[string]any, kind, name string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if kindOf(o) == kind && (name == "" || nameOfObj(o) == name) {
			out = append(out, o)
		}
	}
	return out
}

// cnpg reports whether an object is a CloudNativePG kind.
func cnpg(o map[string]any, kind string) bool {
	return kindOf(o) == kind && strings.HasPrefix(str(o, "apiVersion"), "postgresql.cnpg.io/")
}

// podSpecs are the pod specs of an object's workloads, by a description.
func podSpecs(o map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	id := kindOf(o) + " " + nameOfObj(o)
	switch kindOf(o) {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		out[id] = mapAt(o, "spec", "template", "spec")
	case "CronJob":
		out[id] = mapAt(o, "spec", "jobTemplate", "spec", "template", "spec")
	}
	return out
}

func hasToleration(ps map[string]any, key, value string) bool {
	for _, x := range listAt(ps, "tolerations") {
		tol, _ := x.(map[string]any)
		if str(tol, "key") == key && str(tol, "value") == value && str(tol, "operator") == "Equal" && str(tol, "effect") == "NoSchedule" {
			return true
		}
	}
	return false
}

func num(o map[string]any, keys ...string) (float64, bool) {
	f, ok := dig(o, keys...).(float64)
	return f, ok
}

// renderParsed renders the synthetic estates for a target.
func renderParsed(t *testing.T, target string) []*parsed {
	t.Helper()
	var out []*parsed
	for _, se := range syntheticEstates(t) {
		out = append(out, parseResult(t, se.e, mustRender(t, se.e, Options{Target: target})))
	}
	return out
}

// TestIsolation checks, on the objects of synthetic renders, what each
// isolation tier promises a tenant, and what every tenant environment gets.
func TestIsolation(t *testing.T) {
	for _, p := range renderParsed(t, TargetArgoCD) {
		counts := map[string]int{}
		for _, u := range p.tenantUnits() {
			switch u.tier.Isolation {
			case estate.IsolationDedicated:
				checkDedicated(t, p, u, counts)
			case estate.IsolationShared:
				checkShared(t, p, u, counts)
			case estate.IsolationSegmented:
				checkSegmented(t, p, u, counts)
			}
			checkEveryEnvironment(t, u, counts)
			counts["units"]++
		}
		for _, u := range p.units {
			for _, o := range find(p.objs[u.Dir], "Secret", "") {
				t.Errorf("%s: Secret %q: credentials must come from External Secrets, never from git", u.Dir, nameOfObj(o))
			}
		}
		// The checks above are conditional: make sure they ran.
		for _, k := range []string{"dedicated-prod-cluster", "pooler", "standby", "shared-db", "segment-db", "rate-limit",
			"pdb", "prometheusrule", "integrations", "restore-test", "scaledobject-prod"} {
			if counts[k] == 0 {
				t.Errorf("no tenant unit exercised the %q checks (counts %v)", k, counts)
			}
		}
	}
}

func checkDedicated(t *testing.T, p *parsed, u tenantUnit, counts map[string]int) {
	t.Helper()
	for _, o := range u.objs {
		for id, ps := range podSpecs(o) {
			if got := str(ps, "nodeSelector", LabelTenant); got != u.Tenant {
				t.Errorf("%s: %s: nodeSelector %s = %q, want %q", u, id, LabelTenant, got, u.Tenant)
			}
			if !hasToleration(ps, TaintDedicated, u.Tenant) {
				t.Errorf("%s: %s: no toleration of taint %s=%s:NoSchedule", u, id, TaintDedicated, u.Tenant)
			}
		}
		if kindOf(o) == "Middleware" && nameOfObj(o) == "rate-limit" {
			t.Errorf("%s: a dedicated tenant has a rate-limit Middleware", u)
		}
	}
	var clusters []map[string]any
	for _, o := range u.objs {
		if cnpg(o, "Cluster") {
			clusters = append(clusters, o)
		}
	}
	if len(clusters) != 1 {
		t.Errorf("%s: %d CloudNativePG Clusters, want its own one", u, len(clusters))
		return
	}
	cl := clusters[0]
	if ns := str(cl, "metadata", "namespace"); ns != u.ns {
		t.Errorf("%s: Cluster in namespace %q, want %q", u, ns, u.ns)
	}
	if got := str(cl, "spec", "affinity", "nodeSelector", LabelTenant); got != u.Tenant {
		t.Errorf("%s: Cluster affinity.nodeSelector %s = %q, want %q", u, LabelTenant, got, u.Tenant)
	}
	if !hasToleration(mapAt(cl, "spec", "affinity"), TaintDedicated, u.Tenant) {
		t.Errorf("%s: Cluster pods do not tolerate the dedicated pool's taint", u)
	}
	switch {
	case u.standby:
		counts["standby"]++
		if dig(cl, "spec", "replica", "enabled") != true {
			t.Errorf("%s: the standby's Cluster is not a replica cluster", u)
		}
	case u.class == estate.Production:
		counts["dedicated-prod-cluster"]++
		if n, _ := num(cl, "spec", "postgresql", "synchronous", "number"); n < 1 {
			t.Errorf("%s: production Cluster synchronous replicas = %v, want >= 1", u, dig(cl, "spec", "postgresql", "synchronous"))
		}
	}
	if u.tenv.Database.Pooler.Enabled && !u.standby {
		counts["pooler"]++
		var poolers []map[string]any
		for _, o := range u.objs {
			if cnpg(o, "Pooler") {
				poolers = append(poolers, o)
			}
		}
		if len(poolers) != 1 {
			t.Errorf("%s: %d Poolers, want 1", u, len(poolers))
		} else if got := str(poolers[0], "spec", "cluster", "name"); got != nameOfObj(cl) {
			t.Errorf("%s: Pooler for cluster %q, want %q", u, got, nameOfObj(cl))
		}
	}
	// Nothing of a dedicated tenant's lives in a platform database cluster.
	for _, c := range p.r.Clusters {
		for _, o := range p.objs["clusters/"+c+"/platform"] {
			if cnpg(o, "Database") && str(o, "metadata", "labels", LabelTenant) == u.Tenant {
				t.Errorf("%s: dedicated tenant has a Database in %s's platform", u, c)
			}
		}
	}
}

// checkPlatformDatabase finds the tenant environment's Database and role in
// its cluster's platform directory.
func checkPlatformDatabase(t *testing.T, p *parsed, u tenantUnit, ns, cluster string) {
	t.Helper()
	for _, o := range u.objs {
		if cnpg(o, "Cluster") || cnpg(o, "Pooler") {
			t.Errorf("%s: %s %q in the tenant's own directory, want its database in %s", u, kindOf(o), nameOfObj(o), cluster)
		}
	}
	id := dbIdent(u.Tenant, u.class)
	platform := p.objs["clusters/"+u.Cluster+"/platform"]
	var dbs []map[string]any
	for _, o := range platform {
		if cnpg(o, "Database") && str(o, "spec", "name") == id {
			dbs = append(dbs, o)
		}
	}
	if len(dbs) != 1 {
		t.Errorf("%s: %d Databases named %q in clusters/%s/platform, want 1", u, len(dbs), id, u.Cluster)
		return
	}
	db := dbs[0]
	if got := str(db, "metadata", "namespace"); got != ns {
		t.Errorf("%s: Database in namespace %q, want %q", u, got, ns)
	}
	if got := str(db, "spec", "cluster", "name"); got != cluster {
		t.Errorf("%s: Database in cluster %q, want %q", u, got, cluster)
	}
	if got := str(db, "spec", "owner"); got != id {
		t.Errorf("%s: Database owner %q, want %q", u, got, id)
	}
	if got := str(db, "metadata", "labels", LabelTenant); got != u.Tenant {
		t.Errorf("%s: Database labelled tenant %q", u, got)
	}
	var cl map[string]any
	for _, o := range platform {
		if cnpg(o, "Cluster") && nameOfObj(o) == cluster && str(o, "metadata", "namespace") == ns {
			cl = o
		}
	}
	if cl == nil {
		t.Errorf("%s: no Cluster %s/%s in clusters/%s/platform", u, ns, cluster, u.Cluster)
		return
	}
	found := false
	for _, x := range listAt(cl, "spec", "managed", "roles") {
		r, _ := x.(map[string]any)
		if str(r, "name") == id {
			found = true
			if dig(r, "login") != true || str(r, "ensure") != "present" || str(r, "passwordSecret", "name") == "" {
				t.Errorf("%s: managed role %v", u, r)
			}
		}
	}
	if !found {
		t.Errorf("%s: no managed role %q in Cluster %s/%s", u, id, ns, cluster)
	}
	// The tenant's Odoo reaches that database.
	host := cluster + "-rw." + ns + ".svc"
	for _, cm := range find(u.objs, "ConfigMap", configMapOdoo) {
		for _, w := range estate.WorkloadClasses {
			if got := str(cm, "data", w+".db_host"); got != host {
				t.Errorf("%s: %s.db_host = %q, want %q", u, w, got, host)
			}
		}
		if conf := str(cm, "data", "odoo.conf"); !strings.Contains(conf, "db_name = "+id+"\n") {
			t.Errorf("%s: odoo.conf does not name database %q:\n%s", u, id, conf)
		}
	}
}

func checkShared(t *testing.T, p *parsed, u tenantUnit, counts map[string]int) {
	t.Helper()
	counts["shared-db"]++
	checkPlatformDatabase(t, p, u, "postgres-shared", "pg-shared")
	if len(find(u.objs, "ResourceQuota", "")) == 0 {
		t.Errorf("%s: no ResourceQuota", u)
	}
	if u.standby {
		return
	}
	counts["rate-limit"]++
	if len(find(u.objs, "Middleware", "rate-limit")) != 1 {
		t.Errorf("%s: no rate-limit Middleware", u)
	}
	routes := find(u.objs, "IngressRoute", "")
	if len(routes) == 0 {
		t.Errorf("%s: no IngressRoute", u)
	}
	for _, ir := range routes {
		for _, x := range listAt(ir, "spec", "routes") {
			route, _ := x.(map[string]any)
			web := false
			for _, s := range listAt(route, "services") {
				if str(s.(map[string]any), "name") == "odoo-web" {
					web = true
				}
			}
			if !web {
				continue
			}
			limited := false
			for _, m := range listAt(route, "middlewares") {
				if str(m.(map[string]any), "name") == "rate-limit" {
					limited = true
				}
			}
			if !limited {
				t.Errorf("%s: IngressRoute %s: route %q to odoo-web is not rate-limited", u, nameOfObj(ir), str(route, "match"))
			}
		}
	}
}

func checkSegmented(t *testing.T, p *parsed, u tenantUnit, counts map[string]int) {
	t.Helper()
	counts["segment-db"]++
	if u.t.Segment == "" {
		t.Fatalf("%s: segmented tenant without a segment", u)
	}
	checkPlatformDatabase(t, p, u, "postgres-"+u.t.Segment, "pg-"+u.t.Segment)
	for _, o := range u.objs {
		for id, ps := range podSpecs(o) {
			if got := str(ps, "nodeSelector", LabelSegment); got != u.t.Segment {
				t.Errorf("%s: %s: nodeSelector %s = %q, want %q", u, id, LabelSegment, got, u.t.Segment)
			}
		}
	}
}

func checkEveryEnvironment(t *testing.T, u tenantUnit, counts map[string]int) {
	t.Helper()
	// Its namespace, restricted and labelled.
	nss := find(u.objs, "Namespace", "")
	if len(nss) != 1 || nameOfObj(nss[0]) != u.ns {
		t.Errorf("%s: Namespaces %v, want exactly %q", u, nss, u.ns)
	} else {
		for k, want := range map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted", LabelTenant: u.Tenant, LabelTier: u.t.Tier,
		} {
			if got := str(nss[0], "metadata", "labels", k); got != want {
				t.Errorf("%s: Namespace label %s = %q, want %q", u, k, got, want)
			}
		}
	}
	// Every namespaced object in it.
	for _, o := range u.objs {
		ns := str(o, "metadata", "namespace")
		if kindOf(o) == "Namespace" {
			if ns != "" {
				t.Errorf("%s: Namespace with metadata.namespace %q", u, ns)
			}
			continue
		}
		if ns != u.ns {
			t.Errorf("%s: %s %q in namespace %q, want %q", u, kindOf(o), nameOfObj(o), ns, u.ns)
		}
	}
	// Default deny.
	deny := false
	for _, np := range find(u.objs, "NetworkPolicy", "") {
		spec := mapAt(np, "spec")
		sel := mapAt(spec, "podSelector")
		types := listAt(spec, "policyTypes")
		if len(sel) == 0 && slices.Contains(types, any("Ingress")) && slices.Contains(types, any("Egress")) &&
			len(listAt(spec, "ingress")) == 0 && len(listAt(spec, "egress")) == 0 {
			deny = true
		}
	}
	if !deny {
		t.Errorf("%s: no default-deny NetworkPolicy", u)
	}
	// Restricted containers with limits.
	for _, o := range u.objs {
		for id, ps := range podSpecs(o) {
			podNonRoot := dig(ps, "securityContext", "runAsNonRoot") == true
			var cs []any
			cs = append(cs, listAt(ps, "initContainers")...)
			cs = append(cs, listAt(ps, "containers")...)
			if len(cs) == 0 {
				t.Errorf("%s: %s has no containers", u, id)
			}
			for _, x := range cs {
				c := x.(map[string]any)
				cid := fmt.Sprintf("%s container %q", id, str(c, "name"))
				if !podNonRoot && dig(c, "securityContext", "runAsNonRoot") != true {
					t.Errorf("%s: %s may run as root", u, cid)
				}
				if dig(c, "securityContext", "allowPrivilegeEscalation") != false {
					t.Errorf("%s: %s allows privilege escalation", u, cid)
				}
				if !slices.Contains(listAt(c, "securityContext", "capabilities", "drop"), any("ALL")) {
					t.Errorf("%s: %s does not drop ALL capabilities", u, cid)
				}
				if str(c, "resources", "limits", "cpu") == "" || str(c, "resources", "limits", "memory") == "" {
					t.Errorf("%s: %s has limits %v, want cpu and memory", u, cid, dig(c, "resources", "limits"))
				}
			}
		}
	}
	for _, sa := range find(u.objs, "ServiceAccount", "") {
		if dig(sa, "automountServiceAccountToken") != false {
			t.Errorf("%s: ServiceAccount %s mounts its token", u, nameOfObj(sa))
		}
	}
	// Disruption budgets for the Odoo workloads in production.
	if u.class == estate.Production && u.tenv.PDB.Enabled {
		counts["pdb"]++
		pdbs := find(u.objs, "PodDisruptionBudget", "")
		for _, w := range estate.WorkloadClasses {
			deps := find(u.objs, "Deployment", "odoo-"+w)
			if len(deps) != 1 {
				t.Errorf("%s: %d Deployments odoo-%s", u, len(deps), w)
				continue
			}
			labels := mapAt(deps[0], "spec", "template", "metadata", "labels")
			covered := false
			for _, pdb := range pdbs {
				sel := mapAt(pdb, "spec", "selector", "matchLabels")
				ok := len(sel) > 0
				for k, v := range sel {
					if labels[k] != v {
						ok = false
					}
				}
				covered = covered || ok
			}
			if !covered {
				t.Errorf("%s: no PodDisruptionBudget selects the pods of odoo-%s", u, w)
			}
		}
	}
	if u.standby {
		return
	}
	checkAlerts(t, u, counts)
	// Production autoscaling never relies on cpu alone.
	for _, so := range find(u.objs, "ScaledObject", "") {
		target := str(so, "spec", "scaleTargetRef", "name")
		if len(find(u.objs, "Deployment", target)) != 1 {
			t.Errorf("%s: ScaledObject %s scales %q, which is not a Deployment here", u, nameOfObj(so), target)
		}
		lo, _ := num(so, "spec", "minReplicaCount")
		hi, _ := num(so, "spec", "maxReplicaCount")
		if lo > hi {
			t.Errorf("%s: ScaledObject %s min %v > max %v", u, nameOfObj(so), lo, hi)
		}
		if u.class != estate.Production {
			continue
		}
		counts["scaledobject-prod"]++
		triggers := listAt(so, "spec", "triggers")
		cpuOnly := true
		for _, x := range triggers {
			if typ := str(x.(map[string]any), "type"); typ != "cpu" && typ != "cron" {
				cpuOnly = false
			}
		}
		if len(triggers) == 0 || cpuOnly {
			t.Errorf("%s: production ScaledObject %s scales on cpu only: %v", u, nameOfObj(so), triggers)
		}
	}
}

func checkAlerts(t *testing.T, u tenantUnit, counts map[string]int) {
	t.Helper()
	rules := find(u.objs, "PrometheusRule", "")
	if len(rules) != 1 {
		t.Errorf("%s: %d PrometheusRules, want 1", u, len(rules))
		return
	}
	counts["prometheusrule"]++
	alerts := map[string]bool{}
	for _, g := range listAt(rules[0], "spec", "groups") {
		for _, x := range listAt(g.(map[string]any), "rules") {
			r := x.(map[string]any)
			alerts[str(r, "alert")] = true
			if expr := str(r, "expr"); !strings.Contains(expr, fmt.Sprintf("namespace=%q", u.ns)) {
				t.Errorf("%s: alert %s is not scoped to the tenant's namespace: %s", u, str(r, "alert"), expr)
			}
		}
	}
	want := map[string]bool{
		"OdooQueueDepthHigh": true, "OdooCronBacklog": true, "FilestoreBackupTooOld": true,
		"IntegrationSyncFailed":      len(u.t.Integrations) > 0,
		"PostgresReplicationLagHigh": u.tier.Isolation == estate.IsolationDedicated,
		"RestoreTestFailed":          u.tenv.Backup.RestoreTest != nil,
	}
	if want["IntegrationSyncFailed"] {
		counts["integrations"]++
	}
	if want["RestoreTestFailed"] {
		counts["restore-test"]++
	}
	for alert, w := range want {
		if alerts[alert] != w {
			t.Errorf("%s: alert %s present = %v, want %v", u, alert, alerts[alert], w)
		}
	}
}

// TestArgoCDWiring checks the Argo CD objects: an AppProject per tier and
// cluster whose deny sync windows carry the freeze calendar, and one
// Application per tenant environment.
func TestArgoCDWiring(t *testing.T) {
	for _, p := range renderParsed(t, TargetArgoCD) {
		apps := map[string][]map[string]any{} // by source path
		projects := map[string]map[string]any{}
		for _, c := range p.r.Clusters {
			for _, o := range p.objs["clusters/"+c+"/gitops"] {
				switch kindOf(o) {
				case "Application":
					apps[str(o, "spec", "source", "path")] = append(apps[str(o, "spec", "source", "path")], o)
				case "AppProject":
					projects[c+"/"+nameOfObj(o)] = o
				}
				if ns := str(o, "metadata", "namespace"); ns != NamespaceArgoCD {
					t.Errorf("%s %s in namespace %q", kindOf(o), nameOfObj(o), ns)
				}
			}
		}
		tenantWindows := 0
		for _, u := range p.tenantUnits() {
			project := u.t.Tier + "-" + u.Cluster
			got := apps[u.Dir]
			if len(got) != 1 {
				t.Errorf("%s: %d Applications, want 1", u, len(got))
				continue
			}
			app := got[0]
			if nameOfObj(app) != u.app() || str(app, "spec", "project") != project ||
				str(app, "spec", "destination", "namespace") != u.ns || str(app, "spec", "source", "repoURL") != p.e.Platform.GitOps.RepoURL {
				t.Errorf("%s: Application %s: project %q, destination %q, repo %q", u, nameOfObj(app),
					str(app, "spec", "project"), str(app, "spec", "destination", "namespace"), str(app, "spec", "source", "repoURL"))
			}
			proj := projects[u.Cluster+"/"+project]
			if proj == nil {
				t.Errorf("%s: no AppProject %s on %s", u, project, u.Cluster)
				continue
			}
			admitted := false
			for _, x := range listAt(proj, "spec", "destinations") {
				d := x.(map[string]any)
				if m, _ := path.Match(str(d, "namespace"), u.ns); m && str(d, "server") == str(app, "spec", "destination", "server") {
					admitted = true
				}
			}
			if !admitted {
				t.Errorf("%s: AppProject %s does not admit namespace %s", u, project, u.ns)
			}
			windows := listAt(proj, "spec", "syncWindows")
			if len(windows) == 0 {
				t.Errorf("%s: AppProject %s has no sync windows", u, project)
			}
			for _, x := range windows {
				w := x.(map[string]any)
				if str(w, "kind") != "deny" || str(w, "timeZone") == "" || str(w, "schedule") == "" || str(w, "duration") == "" {
					t.Errorf("%s: AppProject %s: sync window %v", u, project, w)
				}
			}
			// Each of the tenant's own fixed windows is a deny window naming
			// this environment's application, in the tenant's zone.
			for name, cw := range u.t.Calendar {
				if cw.Fixed == nil {
					continue
				}
				zone := cw.TimeZone
				if zone == "" {
					zone = u.t.TimeZone
				}
				found := false
				for _, x := range windows {
					w := x.(map[string]any)
					if str(w, "description") == "palisade freeze window "+name && str(w, "timeZone") == zone &&
						slices.Contains(listAt(w, "applications"), any(u.app())) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: no deny window %q (%s) naming %s in AppProject %s", u, name, zone, u.app(), project)
				}
				tenantWindows++
			}
		}
		if tenantWindows == 0 {
			t.Error("no tenant-scoped fixed window was checked")
		}
		// A window only names applications of tenants it applies to.
		for id, proj := range projects {
			for _, x := range listAt(proj, "spec", "syncWindows") {
				w := x.(map[string]any)
				name := strings.TrimPrefix(str(w, "description"), "palisade freeze window ")
				if _, ok := p.e.Platform.Calendar[name]; ok {
					continue
				}
				for _, a := range listAt(w, "applications") {
					if !appHasWindow(p, a.(string), name) {
						t.Errorf("AppProject %s: window %q names %s, whose tenant has no such window", id, name, a)
					}
				}
			}
		}
		n := 0
		for _, list := range apps {
			n += len(list)
		}
		if want := len(p.tenantUnits()) + len(p.r.Clusters); n != want {
			t.Errorf("%d Applications, want one per tenant environment and one per cluster's platform: %d", n, want)
		}
	}
}

// appHasWindow reports whether the tenant of an application has a window
// of that name in its own or its tier's calendar.
func appHasWindow(p *parsed, app, window string) bool {
	for _, n := range p.e.TenantNames() {
		if !strings.HasPrefix(app, n+"-") {
			continue
		}
		tn := p.e.Tenants[n]
		if _, ok := tn.Calendar[window]; ok {
			return true
		}
		if _, ok := p.e.Tiers[tn.Tier].Calendar[window]; ok {
			return true
		}
	}
	return false
}

// TestFluxWiring checks the Flux objects: a GitRepository and a
// Kustomization per unit directory, from that repository.
func TestFluxWiring(t *testing.T) {
	for _, p := range renderParsed(t, TargetFlux) {
		ks := map[string][]map[string]any{} // by path
		for _, c := range p.r.Clusters {
			objs := p.objs["clusters/"+c+"/gitops"]
			if repos := find(objs, "GitRepository", "palisade-env"); len(repos) != 1 || str(repos[0], "spec", "url") != p.e.Platform.GitOps.RepoURL {
				t.Errorf("%s: GitRepository palisade-env: %v", c, repos)
			}
			for _, o := range find(objs, "Kustomization", "") {
				ks[str(o, "spec", "path")] = append(ks[str(o, "spec", "path")], o)
				if str(o, "metadata", "namespace") != NamespaceFlux {
					t.Errorf("Kustomization %s in namespace %q", nameOfObj(o), str(o, "metadata", "namespace"))
				}
			}
			if len(find(objs, "AppProject", ""))+len(find(objs, "Application", "")) > 0 {
				t.Errorf("%s: Argo CD objects in a Flux render", c)
			}
		}
		n := 0
		for _, u := range p.units {
			if u.Kind == KindGitOps {
				continue
			}
			n++
			got := ks["./"+u.Dir]
			if len(got) != 1 {
				t.Errorf("%s: %d Flux Kustomizations, want 1", u.Dir, len(got))
				continue
			}
			k := got[0]
			if str(k, "spec", "sourceRef", "kind") != "GitRepository" || str(k, "spec", "sourceRef", "name") != "palisade-env" {
				t.Errorf("%s: Kustomization %s source %v", u.Dir, nameOfObj(k), dig(k, "spec", "sourceRef"))
			}
			if u.Kind == KindTenant {
				deps := listAt(k, "spec", "dependsOn")
				if len(deps) != 1 || str(deps[0].(map[string]any), "name") != "platform-"+u.Cluster {
					t.Errorf("%s: Kustomization %s depends on %v, want platform-%s", u.Dir, nameOfObj(k), deps, u.Cluster)
				}
			}
		}
		total := 0
		for _, list := range ks {
			total += len(list)
		}
		if total != n {
			t.Errorf("%d Flux Kustomizations, want %d (one per tenant environment and platform)", total, n)
		}
	}
}

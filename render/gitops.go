package render

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// SyncWindowHorizon is how far ahead, from the start of the render's month,
// the freeze calendar is compiled into Argo CD sync windows. Cron has no
// year, so dated occurrences can only be emitted one by one: re-render at
// least monthly (every render does) to keep the horizon ahead.
const SyncWindowHorizon = 6 // months

// gitopsObjects wire a cluster's tenant environments to the GitOps
// controller: with Argo CD, an AppProject per tier whose deny sync windows
// mirror the freeze calendar, and an Application per tenant environment;
// with Flux, a GitRepository and a Kustomization per directory.
//
// Beyond each tenant environment's own directory, namespace, tier and
// labels, the Applications, Kustomizations and GitRepository are rendered
// from the platform's GitOps settings and the cluster's API server only
// (and a Flux Kustomization's suspension from the calendar, which the
// freeze judgement of the wiring leaves aside): the pull-request check
// renders the base's GitOps directories, to judge the wiring head changes
// under a freeze, only when those differ (internal/check's
// wiringInputsDiffer). Keep the two in step.
//
// With Flux, frozen holds the tenants a window applies to (frozenTenants);
// the second result names those of them wired on the cluster, whose
// Kustomizations are suspended, sorted.
func gitopsObjects(e *estate.Estate, cluster string, units []*unit, o Options, frozen map[string]bool) (map[string][]any, []string, error) {
	if o.Target == TargetFlux {
		files, suspended := fluxObjects(e, cluster, units, frozen)
		return files, suspended, nil
	}
	if o.At.IsZero() {
		return nil, nil, fmt.Errorf("rendering Argo CD sync windows needs the render's instant")
	}
	cl := e.Platform.Clusters[cluster]
	g := e.Platform.GitOps
	files := map[string][]any{}
	platformApp := "platform-" + cluster
	files["platform.yaml"] = []any{
		appProject(platformApp, "Platform services of cluster "+cluster+": shared PostgreSQL and Redis", g,
			[]any{obj{"server": cl.Server, "namespace": "*"}}, nil),
		application(platformApp, platformApp, "clusters/"+cluster+"/platform", cl.Server, "", g, map[string]string{LabelManagedBy: "palisade"}),
	}
	if cs := g.CommitSigning; cs != nil && cs.ArgoCDKeys {
		files["platform.yaml"] = append(files["platform.yaml"], argoKeyring(cs))
	}
	for _, tier := range tiersOf(units) {
		var tu []*unit
		for _, u := range units {
			if u.t.Tier == tier {
				tu = append(tu, u)
			}
		}
		project := tier + "-" + cluster
		// Exact namespaces: a "<tenant>-*" pattern would also admit the
		// namespaces of a tenant named "<tenant>-eu" of another tier.
		var dests []any
		seen := map[string]bool{}
		for _, u := range tu {
			if !seen[u.ns] {
				seen[u.ns] = true
				dests = append(dests, obj{"server": cl.Server, "namespace": u.ns})
			}
		}
		windows, err := syncWindows(e, tu, o.At)
		if err != nil {
			return nil, nil, err
		}
		objs := []any{appProject(project, fmt.Sprintf("Tenants of tier %s on cluster %s", tier, cluster), g, dests, windows)}
		for _, u := range tu {
			labels := u.labels()
			objs = append(objs, application(u.App(), project, u.Dir(), cl.Server, u.ns, g, labels))
		}
		files["tier-"+tier+".yaml"] = objs
	}
	return files, nil, nil
}

func appProject(name, description string, g estate.GitOps, dests []any, windows []any) obj {
	spec := obj{
		"description":              description,
		"sourceRepos":              []any{g.RepoURL},
		"destinations":             dests,
		"clusterResourceWhitelist": []any{obj{"group": "", "kind": "Namespace"}},
		// Credentials come from External Secrets, never from git.
		"namespaceResourceBlacklist": []any{obj{"group": "", "kind": "Secret"}},
		"orphanedResources":          obj{"warn": true},
	}
	if len(windows) > 0 {
		spec["syncWindows"] = windows
	}
	if cs := g.CommitSigning; cs != nil {
		// Argo CD syncs only commits signed by a listed key (imported into
		// its GnuPG keyring: argocd gpg add).
		var keys []any
		for _, id := range cs.KeyIDs() {
			keys = append(keys, obj{"keyID": id})
		}
		spec["signatureKeys"] = keys
	}
	return obj{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "AppProject",
		"metadata":   obj{"name": name, "namespace": NamespaceArgoCD, "labels": obj{LabelManagedBy: "palisade"}},
		"spec":       spec,
	}
}

func application(name, project, path, server, ns string, g estate.GitOps, labels map[string]string) obj {
	l := obj{}
	for k, v := range labels {
		l[k] = v
	}
	dest := obj{"server": server}
	if ns != "" {
		dest["namespace"] = ns
	}
	return obj{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata": obj{
			"name": name, "namespace": NamespaceArgoCD, "labels": l,
			"finalizers": []any{"resources-finalizer.argocd.argoproj.io"},
		},
		"spec": obj{
			"project":     project,
			"source":      obj{"repoURL": g.RepoURL, "targetRevision": g.Revision, "path": path},
			"destination": dest,
			"syncPolicy": obj{
				"automated":   obj{"prune": true, "selfHeal": true},
				"syncOptions": []any{"ServerSideApply=true"},
				"retry":       obj{"limit": 5, "backoff": obj{"duration": "10s", "factor": 2, "maxDuration": "5m"}},
			},
		},
	}
}

// syncWindows compiles the freeze windows that apply to the units' tenants
// into deny sync windows, one per window occurrence and time zone within
// the horizon, each naming the applications it freezes. Weekly windows
// become one recurring cron window per weekday instead.
func syncWindows(e *estate.Estate, units []*unit, at time.Time) ([]any, error) {
	from := time.Date(at.UTC().Year(), at.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, SyncWindowHorizon, 0)
	type key struct{ window, schedule, duration, zone string }
	apps := map[key][]string{}
	// Most windows are shared — the platform's by every tenant, a tier's by
	// its tenants: expand each once.
	type source struct{ calendar, owner, window, zone string }
	memo := map[source][]calendar.SyncWindow{}
	for _, u := range units {
		scoped, err := calendar.Applicable(e, u.t)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", u.t.Name, err)
		}
		for _, s := range scoped {
			src := source{s.Calendar, "", s.Window.Name, s.Zone}
			switch s.Calendar {
			case estate.ScopeTier:
				src.owner = u.t.Tier
			case estate.ScopeTenant:
				src.owner = u.t.Name
			}
			sws, done := memo[src]
			switch {
			case done:
			case s.Window.Weekly != nil:
				sws = weeklySyncWindows(s.Window.Weekly, s.Zone)
			default:
				occ, err := calendar.Occurrences(s.Window, s.Zone, e.Platform.Holidays, from, to)
				if err != nil {
					return nil, fmt.Errorf("tenant %q: %w", u.t.Name, err)
				}
				if sws, err = calendar.SyncWindows(occ, s.Zone); err != nil {
					return nil, fmt.Errorf("tenant %q: %w", u.t.Name, err)
				}
			}
			memo[src] = sws
			for _, sw := range sws {
				k := key{s.Window.Name, sw.Schedule, sw.Duration, sw.TimeZone}
				if !slices.Contains(apps[k], u.App()) {
					apps[k] = append(apps[k], u.App())
				}
			}
		}
	}
	keys := slices.Collect(maps.Keys(apps))
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.window != b.window {
			return a.window < b.window
		}
		if a.zone != b.zone {
			return a.zone < b.zone
		}
		if a.schedule != b.schedule {
			return a.schedule < b.schedule
		}
		return a.duration < b.duration
	})
	var out []any
	for _, k := range keys {
		list := apps[k]
		sort.Strings(list)
		names := make([]any, len(list))
		for i, a := range list {
			names[i] = a
		}
		out = append(out, obj{
			"kind":         "deny",
			"schedule":     k.schedule,
			"duration":     k.duration,
			"timeZone":     k.zone,
			"applications": names,
			"manualSync":   false,
			"description":  "palisade freeze window " + k.window,
		})
	}
	return out, nil
}

// weeklySyncWindows expresses a weekly window as cron windows, which Argo
// CD reads on the local wall clock exactly as the calendar does.
func weeklySyncWindows(w *estate.WeeklyRule, zone string) []calendar.SyncWindow {
	from, _ := calendar.ParseClock(w.From)
	to, _ := calendar.ParseClock(w.To)
	d := to - from
	if d <= 0 {
		d += 24 * time.Hour
	}
	dur := fmt.Sprintf("%dm", int(d.Minutes()))
	if int(d.Minutes())%60 == 0 {
		dur = fmt.Sprintf("%dh", int(d.Hours()))
	}
	var out []calendar.SyncWindow
	for _, day := range w.Days {
		out = append(out, calendar.SyncWindow{
			Schedule: fmt.Sprintf("%d %d * * %s", int(from.Minutes())%60, int(from.Hours()), cronDays([]string{day})),
			Duration: dur,
			TimeZone: zone,
		})
	}
	return out
}

// gitRepositorySpec is the spec of Flux's GitRepository of the
// environment repository: with commit signing, Flux verifies the head
// commit's signature with the keys of the platform's secret, and applies
// nothing from a commit the render job did not sign.
func gitRepositorySpec(g estate.GitOps) obj {
	spec := obj{"interval": "1m", "url": g.RepoURL, "ref": obj{"branch": g.Revision}}
	if cs := g.CommitSigning; cs != nil {
		spec["verify"] = obj{"mode": "HEAD", "secretRef": obj{"name": cs.FluxSecret}}
	}
	return spec
}

// verificationKeys is the Secret Flux verifies the environment
// repository's head commit with: the estate's public keys, one
// "<key ID>.asc" entry each (public, so no secret store is needed). Once
// Flux applies from the repository, a key added in the estate reaches it
// before the render job signs with that key: the rotation the estate
// describes works without touching the cluster. The first apply, before
// Flux can verify anything, is by hand (kubectl apply -f
// clusters/<cluster>/gitops/platform.yaml).
func verificationKeys(cs *estate.CommitSigning) obj {
	keys := obj{}
	for _, k := range cs.Keys {
		keys[k.KeyID+".asc"] = string(k.Armored)
	}
	return obj{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   obj{"name": cs.FluxSecret, "namespace": NamespaceFlux, "labels": obj{LabelManagedBy: "palisade"}},
		"type":       "Opaque",
		"stringData": keys,
	}
}

// ArgoCDKeyring is the ConfigMap Argo CD's GnuPG keyring is kept in.
const ArgoCDKeyring = "argocd-gpg-keys-cm"

// argoKeyring is Argo CD's GnuPG keyring (commitSigning.argocdKeys): the
// estate's public keys, one entry each, named by key ID as argocd gpg add
// names them. As with Flux's Secret, once Argo CD applies from the
// repository a key added in the estate reaches it before the render job
// signs with that key; the first apply is by hand.
func argoKeyring(cs *estate.CommitSigning) obj {
	keys := obj{}
	for _, k := range cs.Keys {
		keys[k.KeyID] = string(k.Armored)
	}
	return obj{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": obj{"name": ArgoCDKeyring, "namespace": NamespaceArgoCD, "labels": obj{
			LabelManagedBy: "palisade",
			// Argo CD finds its configuration by these labels.
			"app.kubernetes.io/name":    ArgoCDKeyring,
			"app.kubernetes.io/part-of": "argocd",
		}},
		"data": keys,
	}
}

// fluxObjects wire the cluster to Flux: the environment repository as a
// GitRepository, the platform as one Kustomization and each tenant
// environment as another that depends on it.
//
// Flux has no sync windows. Palisade holds a frozen tenant's changes back,
// and the Kustomizations of the tenants in frozen (a window applies to
// them at the render's instant) are suspended (spec.suspend), so that
// Flux does not revert what the cluster's operators do by hand during the
// window either (an emergency scale-up on Black Friday), as an Argo CD
// deny window stops self-heal. The suspension begins and ends with the
// first render after the window does: the render workflow runs on a
// schedule for it. The tenants suspended on the cluster are returned,
// sorted.
func fluxObjects(e *estate.Estate, cluster string, units []*unit, frozen map[string]bool) (map[string][]any, []string) {
	g := e.Platform.GitOps
	source := obj{"kind": "GitRepository", "name": "palisade-env"}
	platform := "platform-" + cluster
	ks := func(name, path string, labels map[string]string, dependsOn string, suspend bool) obj {
		l := obj{}
		for k, v := range labels {
			l[k] = v
		}
		spec := obj{
			"interval":  "10m",
			"path":      "./" + path,
			"prune":     true,
			"sourceRef": source,
			"timeout":   "10m",
		}
		if dependsOn != "" {
			spec["dependsOn"] = []any{obj{"name": dependsOn}}
		}
		if suspend {
			spec["suspend"] = true
		}
		return obj{
			"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
			"kind":       "Kustomization",
			"metadata":   obj{"name": name, "namespace": NamespaceFlux, "labels": l},
			"spec":       spec,
		}
	}
	files := map[string][]any{
		"platform.yaml": {
			obj{
				"apiVersion": "source.toolkit.fluxcd.io/v1",
				"kind":       "GitRepository",
				"metadata":   obj{"name": "palisade-env", "namespace": NamespaceFlux, "labels": obj{LabelManagedBy: "palisade"}},
				"spec":       gitRepositorySpec(g),
			},
			ks(platform, "clusters/"+cluster+"/platform", map[string]string{LabelManagedBy: "palisade"}, "", false),
		},
	}
	if cs := g.CommitSigning; cs != nil {
		files["platform.yaml"] = append(files["platform.yaml"], verificationKeys(cs))
	}
	for _, tier := range tiersOf(units) {
		var objs []any
		for _, u := range units {
			if u.t.Tier == tier {
				objs = append(objs, ks(u.App(), u.Dir(), u.labels(), platform, frozen[u.t.Name]))
			}
		}
		files["tier-"+tier+".yaml"] = objs
	}
	var suspended []string
	for _, u := range units {
		if frozen[u.t.Name] {
			suspended = append(suspended, u.t.Name)
		}
	}
	slices.Sort(suspended)
	return files, slices.Compact(suspended)
}

// frozenTenants are the tenants of units a window applies to at at, for
// the Flux wiring (fluxObjects): each looked up once, however many
// clusters it is wired on.
func frozenTenants(e *estate.Estate, units []*unit, at time.Time) (map[string]bool, error) {
	if at.IsZero() {
		return nil, fmt.Errorf("rendering Flux Kustomizations needs the render's instant: a frozen tenant's are suspended")
	}
	frozen := map[string]bool{}
	for _, u := range units {
		if _, done := frozen[u.t.Name]; done {
			continue
		}
		active, err := calendar.ActiveAt(e, u.t, at)
		if err != nil {
			return nil, err
		}
		frozen[u.t.Name] = len(active) > 0
	}
	return frozen, nil
}

package pipeline

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// platformHoldBacks are the clusters whose platform change is held back
// for the denials of freeze.platform-change in a judgement: on each, the
// platform and GitOps directories whose change reaches a frozen tenant
// environment it was denied for. ok is false when a denial cannot be held
// back this way: another rule's, or one no directory carries.
func platformHoldBacks(j *platformJudgement) (phbs []PlatformHoldBack, ok bool) {
	byCluster := map[string]*PlatformHoldBack{}
	for _, r := range j.Results {
		if !r.Denies() {
			continue
		}
		dirs := j.Reach[envKey{r.Tenant, r.Environment}]
		if r.PolicyID != policy.PlatformPolicy || len(dirs) == 0 {
			return nil, false
		}
		fi := j.Frozen[r.Tenant]
		for _, d := range dirs {
			c := clusterOf(d)
			ph := byCluster[c]
			if ph == nil {
				ph = &PlatformHoldBack{Cluster: c}
				byCluster[c] = ph
			}
			ph.addDirs(d)
			ph.add(policy.Neighbour{
				Tenant: fi.Tenant.Name, Windows: fi.Windows, FreeLocal: fi.FreeLocal, Platform: fi.Change.Platform,
			}, fi.FreeAt)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(byCluster)) {
		phbs = append(phbs, *byCluster[c])
	}
	return phbs, true
}

// addDirs records directories held back.
func (ph *PlatformHoldBack) addDirs(dirs ...string) {
	for _, d := range dirs {
		if !slices.Contains(ph.Directories, d) {
			ph.Directories = append(ph.Directories, d)
		}
	}
	slices.Sort(ph.Directories)
}

// add records a frozen tenant the held directories serve, free of every
// window at freeAt (RFC 3339, UTC; "" when unknown).
func (ph *PlatformHoldBack) add(n policy.Neighbour, freeAt string) {
	if slices.Contains(ph.Serving, n.Tenant) {
		return
	}
	ph.Serving = append(ph.Serving, n.Tenant)
	slices.Sort(ph.Serving)
	ph.neighbours = append(ph.neighbours, n)
	slices.SortFunc(ph.neighbours, func(a, b policy.Neighbour) int { return cmp.Compare(a.Tenant, b.Tenant) })
	ph.Windows = addWindows(ph.Windows, n.Windows)
	if freeAt > ph.freeAt {
		ph.freeAt, ph.Free = freeAt, n.FreeLocal
	}
}

// addWindows adds to ws the windows of add it does not list yet (by name
// and end).
func addWindows(ws, add []policy.Window) []policy.Window {
	for _, w := range add {
		if !slices.ContainsFunc(ws, func(x policy.Window) bool { return x.Name == w.Name && x.EndLocal == w.EndLocal }) {
			ws = append(ws, w)
		}
	}
	return ws
}

// mergePlatformHoldBacks adds the clusters of more to phbs, merging those
// both hold back.
func mergePlatformHoldBacks(phbs, more []PlatformHoldBack) []PlatformHoldBack {
	for _, m := range more {
		i := slices.IndexFunc(phbs, func(ph PlatformHoldBack) bool { return ph.Cluster == m.Cluster })
		if i < 0 {
			phbs = append(phbs, m)
			continue
		}
		ph := &phbs[i]
		ph.addDirs(m.Directories...)
		for _, n := range m.neighbours {
			ph.add(n, "")
		}
		if m.freeAt > ph.freeAt {
			ph.freeAt, ph.Free = m.freeAt, m.Free
		}
	}
	slices.SortFunc(phbs, func(a, b PlatformHoldBack) int { return cmp.Compare(a.Cluster, b.Cluster) })
	return phbs
}

// heldPlatformInput is the input freeze.platform-held judges tenant t by,
// whose change alters the directories dirs: the clusters among phbs it
// alters directories on (none: it is not concerned), and the hold-back it
// gets when the rule holds it back.
func heldPlatformInput(t string, dirs []string, phbs []PlatformHoldBack, inputOf func(string) (policy.Input, error)) (policy.Input, HoldBack, error) {
	hb := HoldBack{Tenant: t}
	var hps []policy.HeldPlatform
	latest := ""
	for _, ph := range phbs {
		if !slices.ContainsFunc(dirs, func(d string) bool { return clusterOf(d) == ph.Cluster }) {
			continue
		}
		hps = append(hps, policy.HeldPlatform{
			Cluster: ph.Cluster, Directories: ph.Directories, Neighbours: ph.neighbours, FreeLocal: ph.Free,
		})
		hb.Clusters = append(hb.Clusters, ph.Cluster)
		for _, s := range ph.Serving {
			if !slices.Contains(hb.Serving, s) {
				hb.Serving = append(hb.Serving, s)
			}
		}
		hb.Windows = addWindows(hb.Windows, ph.Windows)
		if ph.freeAt > latest {
			latest, hb.Free = ph.freeAt, ph.Free
		}
	}
	if len(hps) == 0 {
		return policy.Input{}, hb, nil
	}
	slices.Sort(hb.Serving)
	in, err := inputOf(t)
	if err != nil {
		return in, hb, err
	}
	// Not waivable by the tenant's waivers: the windows are the frozen
	// tenants', and a platform waiver lets the platform change through
	// before it is held back.
	in.Waivers = []policy.Waiver{}
	in.Change.HeldPlatform = hps
	return in, hb, nil
}

// tenantChangedDirs are a tenant's directories that a render changes: its
// rendered environments that change (c.Environments) and those of the
// previous render (have) it no longer renders.
func tenantChangedDirs(units []*render.Unit, c policy.Change, have []string) []string {
	var out []string
	rendered := map[string]bool{}
	for _, u := range units {
		rendered[u.Dir] = true
		if slices.Contains(c.Environments, u.Environment) {
			out = append(out, u.Dir)
		}
	}
	for _, d := range have {
		if !rendered[d] {
			out = append(out, d)
		}
	}
	return out
}

// clusterOf is the cluster of a directory "clusters/<cluster>/...".
func clusterOf(dir string) string {
	parts := strings.SplitN(dir, "/", 3)
	if len(parts) < 2 || parts[0] != "clusters" {
		return ""
	}
	return parts[1]
}

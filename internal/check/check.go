// Package check is the pull-request check: it renders the estate at a base
// and a head revision of its git repository, and reports what merging the
// change would do — the tenants it reaches (blast radius), their rendered
// objects' diff, the policy verdict on head, the tenants a freeze would
// hold back if it were merged now, and the waivers in play.
//
// Which tenants a change reaches is computed, not guessed from paths:
// every tenant whose render inputs (platform, tier, tenant, image digests)
// differ between the two revisions is rendered at both, and the renders
// decide whether its output changes. Tenants whose inputs are equal render
// identically and are not rendered at all, which keeps a one-tenant change
// in a large estate fast.
package check

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/internal/report"
	"github.com/palisade-gitops/palisade/render"
)

// Options of a check.
type Options struct {
	// Root is the estate directory inside its git repository.
	Root       string
	Base, Head string
	At         time.Time
	Target     string
	Layout     string
	PolicyDirs []string
	Images     pipeline.ImageStage
}

// estateSource selects the estate's CUE files, which only the estate
// loader reads: a check keeps them in memory instead of writing them
// out (about a thousand files a revision at 1,000 tenants).
func estateSource(rel string) bool {
	dir := path.Dir(rel)
	return path.Ext(rel) == ".cue" && (dir == "." || dir == estate.TiersDir || dir == estate.TenantsDir)
}

// ExpiringWithin is how far ahead a waiver's expiry is reported.
const ExpiringWithin = 7 * 24 * time.Hour

// Run runs the check.
func Run(ctx context.Context, o Options) (*report.Check, error) {
	repo, err := gitsrc.Open(o.Root)
	if err != nil {
		return nil, err
	}
	if o.Head == "" {
		o.Head = "HEAD"
	}
	base, err := repo.Resolve(o.Base)
	if err != nil {
		return nil, err
	}
	head, err := repo.Resolve(o.Head)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "palisade-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	baseRoot, baseFS, err := repo.ExtractFS(base, tmp+"/base", estateSource)
	if err != nil {
		return nil, err
	}
	headRoot, headFS, err := repo.ExtractFS(head, tmp+"/head", estateSource)
	if err != nil {
		return nil, err
	}
	changes, err := repo.Changes(base, head)
	if err != nil {
		return nil, err
	}
	c := &report.Check{
		Base: report.Rev{Ref: o.Base, Commit: base.Hash}, Head: report.Rev{Ref: o.Head, Commit: head.Hash},
		At: o.At, PlatformFile: "platform.cue",
	}
	if repo.Sub != "." {
		c.EstateDir = repo.Sub
	}
	ps, err := mapPolicyDirs(repo, o.PolicyDirs, tmp+"/base", tmp+"/head", base, head)
	if err != nil {
		return nil, err
	}
	po := pipeline.Options{Target: o.Target, Layout: o.Layout, At: o.At, Images: o.Images, KeepObjects: true}
	bo, ho := po, po
	bo.Root, ho.Root = baseRoot, headRoot
	bo.FS, ho.FS = baseFS, headFS
	bo.Policies, ho.Policies = ps.base, ps.head
	// The base's rules judge, they are not judged: one reading a field the
	// input lacks is the base's to have, and never fires.
	bo.UntypedPolicies = true
	// The head decides; a base that no longer loads (say, a schema change)
	// is reported, and every head tenant counts as changed.
	// Both revisions load at once: loading is most of a small check. When
	// only tenant files differ, the base's estate loads beside the
	// head's, evaluating just those (estate.LoadFSBeside), its policies
	// compiling meanwhile.
	if repo.SameBesideTenants(base.Hash, head.Hash) {
		var (
			headEstate *estate.Estate
			once       sync.Once
		)
		loaded := make(chan struct{})
		ho.Loaded = func(e *estate.Estate) {
			once.Do(func() { headEstate = e; close(loaded) })
		}
		bo.Beside = func() *estate.Estate { <-loaded; return headEstate }
	}
	var bp *pipeline.Prepared
	var berr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		bp, berr = pipeline.Prepare(ctx, bo)
	}()
	hp, err := pipeline.Prepare(ctx, ho)
	if ho.Loaded != nil {
		ho.Loaded(nil) // the head did not get as far as its estate
	}
	<-done
	if err != nil {
		return nil, err
	}
	if berr != nil {
		c.Notes = append(c.Notes, fmt.Sprintf("the base revision's estate does not load (%v); every tenant counts as changed", oneLine(berr)))
	}
	hf, err := pipeline.Fingerprints(hp)
	if err != nil {
		return nil, err
	}
	bf := map[string]string{}
	if bp != nil {
		if bf, err = pipeline.Fingerprints(bp); err != nil {
			return nil, err
		}
	}
	policyChanged := len(ps.changed) > 0
	if policyChanged {
		c.Policies = &report.PolicyChange{Files: ps.changed}
		// What the change to the policies lets through: head judged by
		// the base revision's policies too.
		if bp == nil {
			c.Notes = append(c.Notes, "the policies changed, but the base revision does not load: head is judged by its own policies only")
		} else if hp.Compare, err = policy.NewFrom(ctx, ps.base); err != nil {
			// Rules that read input fields it lacks never fire; the
			// others still judge the head.
			typeErr := err
			if hp.Compare, err = policy.NewFromUntyped(ctx, ps.base); err == nil {
				c.Notes = append(c.Notes, fmt.Sprintf("the base revision's policies do not type-check against the input (%v): head is judged by them unchecked, as OPA would without a schema", oneLine(typeErr)))
			} else {
				c.Notes = append(c.Notes, fmt.Sprintf("the policies changed, but the base revision's policies do not compile (%v): head is judged by its own policies only", oneLine(err)))
			}
		}
		if hp.Compare != nil && hp.Engine != nil {
			c.Policies.RulesAdded, c.Policies.RulesRemoved = policy.RuleDiff(hp.Compare.Rules(), hp.Engine.Rules())
		}
	}
	if bp != nil {
		if c.Calendar, err = calendarChanges(bp.Estate, hp.Estate, o.At); err != nil {
			return nil, err
		}
	}
	var inHead, inBase []string
	for t, f := range hf {
		if bf[t] != f || policyChanged {
			inHead = append(inHead, t)
		}
	}
	for t, f := range bf {
		if hf[t] != f {
			inBase = append(inBase, t)
		}
	}
	slices.Sort(inHead)
	slices.Sort(inBase)
	if len(inHead) == 0 && len(inBase) == 0 {
		c.Notes = append(c.Notes, "no tenant's render inputs differ between base and head: nothing to render")
		c.Finalize()
		return c, nil
	}

	// Base: the affected tenants as they render today, and the tenants
	// head renders for a policy change only, as the baseline that finds
	// them unchanged; and the platform directories, against which head's
	// platform changes are judged (freeze.platform-change).
	baseFiles := map[string][]byte{}
	baseObjs := map[string][]map[string]any{}
	renderBase := slices.Clone(inBase)
	for _, t := range inHead {
		if _, ok := bf[t]; ok && !slices.Contains(inBase, t) {
			renderBase = append(renderBase, t)
		}
	}
	slices.Sort(renderBase)
	// The platform directories only matter when a window is active for
	// some tenant: otherwise no platform change can be frozen, and they
	// cost a tenth of a one-tenant check at a thousand tenants.
	frozenAny, err := anyWindowActive(hp.Estate, o.At)
	if err != nil {
		return nil, err
	}
	// With a window active, the base's platform directories are rendered
	// even when head only adds tenants: a new tenant's database grows the
	// shared cluster serving frozen ones (freeze.platform-neighbour).
	// The GitOps directories too when the change can alter the wiring
	// that every tenant environment's Application or Flux Kustomization
	// shares: at a thousand tenants they cost more than the platform's.
	// Otherwise neither side renders them.
	wiring := frozenAny && bp != nil && wiringInputsDiffer(bp.Estate, hp.Estate)
	if bp != nil && (len(renderBase) > 0 || frozenAny) {
		res, err := render.Render(bp.Estate, render.Options{
			Target: o.Target, Tenants: renderBase, NoTenants: len(renderBase) == 0, At: o.At, Digests: bp.Images.Digests(), KeepObjects: true,
			NoGitOps: !wiring, TenantsOnly: !frozenAny,
		})
		if err != nil {
			return nil, fmt.Errorf("rendering the base revision: %w", err)
		}
		if baseFiles, err = res.Tree(o.Layout); err != nil {
			return nil, err
		}
		for _, u := range res.Units {
			if u.Kind == render.KindTenant {
				baseObjs[u.Tenant+"/"+u.Environment] = u.Built
			}
		}
	}

	// Head: the same tenants, judged against the base render (and a
	// tenant head removes by its calendar on base).
	var prev *estate.Estate
	if bp != nil {
		prev = bp.Estate
	}
	headObjs := map[string][]map[string]any{}
	var out *pipeline.Outcome
	// A tenant head removes is judged too (a freeze still applies to it),
	// so head renders even when only removals reach tenants.
	removes := slices.ContainsFunc(inBase, func(t string) bool { return hp.Estate.Tenants[t] == nil })
	if len(inHead) > 0 || removes {
		hp.Options.Tenants, hp.Options.NoTenants, hp.Options.NoGitOps = inHead, len(inHead) == 0, !wiring
		if out, err = hp.Render(ctx, pipeline.WithPrevious(pipeline.NewMapBaseline(baseFiles), prev)); err != nil {
			return nil, err
		}
		for _, u := range out.Proposed.Units {
			if u.Kind == render.KindTenant {
				headObjs[u.Tenant+"/"+u.Environment] = u.Built
			}
		}
	}

	reasons := reasonsOf(changes)
	for _, t := range inBase {
		if _, ok := hp.Estate.Tenants[t]; ok {
			continue
		}
		tier := bp.Estate.Tenants[t].Tier
		c.Blast.Tenants = append(c.Blast.Tenants, report.TenantImpact{
			Tenant: t, Tier: tier, Change: report.Removed, Environments: envNames(tenantDirs(baseFiles, t)),
			Production: production(envNames(tenantDirs(baseFiles, t))), Reasons: []string{"removed from the estate"},
		})
	}
	if out != nil {
		for _, t := range inHead {
			ts, ok := out.Tenants[t]
			changed := ok && ts.Changed
			tn := hp.Estate.Tenants[t]
			// A change to when the tenant is frozen reaches it even when
			// its objects stay as they are: the sync windows (or Flux
			// suspensions) that gate its environments follow it.
			var wcs []calendar.WindowChange
			if prev != nil && prev.Tenants[t] != nil && tn != nil {
				if wcs, err = calendar.WindowChanges(prev, hp.Estate, prev.Tenants[t], tn); err != nil {
					return nil, err
				}
			}
			if !changed && len(wcs) == 0 {
				continue
			}
			ch := report.Changed
			if _, inB := bf[t]; !inB {
				ch = report.Added
			}
			var envs, why []string
			if changed {
				envs, why = envNames(ts.Environments), reasons.of(hp.Estate, t)
			} else {
				envs = envNames(tenantDirs(baseFiles, t))
			}
			if len(wcs) > 0 {
				why = append(why, windowReason(wcs))
			}
			c.Blast.Tenants = append(c.Blast.Tenants, report.TenantImpact{
				Tenant: t, Tier: tn.Tier, Change: ch, Environments: envs, Production: production(envs),
				Reasons: why, File: tenantFile(hp.Estate, t),
			})
		}
		for _, r := range out.Report.Results {
			c.Results = append(c.Results, report.Finding{Result: r, Position: position(hp.Estate, prev, r)})
		}
		for _, h := range out.Report.HeldBack {
			for _, w := range h.Windows {
				c.Freeze = append(c.Freeze, forecast(h.Tenant, w))
			}
		}
		for _, ph := range out.Report.PlatformHeldBack {
			free := ""
			if ph.Free != "" {
				free = " until " + ph.Free
			}
			c.Notes = append(c.Notes, fmt.Sprintf("if merged now, the platform change of cluster %s (%s) is held back%s: it reaches %s, frozen",
				ph.Cluster, strings.Join(ph.Directories, ", "), free, report.Names(ph.Serving, 5)))
		}
		for _, r := range out.Report.Results {
			if (r.PolicyID == policy.FreezePolicy || r.PolicyID == policy.PlatformPolicy) && r.Waived {
				f := report.Forecast{Tenant: r.Tenant, Window: r.Window}
				if w, ok := activeWindow(hp.Estate, r.Tenant, r.Window, o.At); ok {
					f = forecast(r.Tenant, w)
				}
				f.Environment, f.Waived, f.Waiver = r.Environment, true, r.WaiverID
				c.Freeze = append(c.Freeze, f)
			}
		}
		c.Waivers = waiverNotes(hp.Estate, inHead, out.Report.Results, o.At)
		if c.Policies != nil && out.Compared != nil {
			for _, r := range relaxed(out.Compared, out.Report.Results) {
				c.Policies.Relaxed = append(c.Policies.Relaxed, report.Relaxed{
					Finding:       report.Finding{Result: r, Position: position(hp.Estate, prev, r)},
					InputsChanged: bf[r.Tenant] != hf[r.Tenant],
				})
			}
		}
	}
	// One diff per tenant environment: a tenant's production and its
	// standby have objects of the same names on two clusters.
	envs := map[string]bool{}
	for k := range baseObjs {
		envs[k] = true
	}
	for k := range headObjs {
		envs[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(envs)) {
		d, err := report.ObjectDiffs(baseObjs[k], headObjs[k])
		if err != nil {
			return nil, fmt.Errorf("diffing %s: %w", k, err)
		}
		if len(d) > 0 {
			c.Diffs = append(c.Diffs, report.TenantDiff{Tenant: k, Objects: d})
		}
	}
	c.Finalize()
	return c, nil
}

// wiringInputsDiffer reports whether two estates differ in what the GitOps
// objects of a cluster's tenant environments are rendered from beyond the
// tenants themselves: the platform's GitOps settings and the clusters' API
// servers (see render's gitopsObjects). When they agree, what head
// changes in the GitOps directories follows its tenants' own changes,
// which their own evaluation judges.
func wiringInputsDiffer(base, head *estate.Estate) bool {
	bg, hg := base.Platform.GitOps, head.Platform.GitOps
	if bg.RepoURL != hg.RepoURL || bg.Revision != hg.Revision || bg.SecretStore != hg.SecretStore {
		return true
	}
	if (bg.CommitSigning == nil) != (hg.CommitSigning == nil) {
		return true
	}
	if bc, hc := bg.CommitSigning, hg.CommitSigning; bc != nil && (!slices.EqualFunc(bc.Keys, hc.Keys, sameKey) || bc.FluxSecret != hc.FluxSecret || bc.ArgoCDKeys != hc.ArgoCDKeys) {
		return true
	}
	for name, c := range head.Platform.Clusters {
		if b, ok := base.Platform.Clusters[name]; ok && b.Server != c.Server {
			return true
		}
	}
	return false
}

// sameKey reports whether two commit keys render alike: the AppProjects
// name their IDs, Flux's Secret and Argo CD's keyring hold their text
// (which a key's extended expiry changes).
func sameKey(a, b estate.CommitKey) bool {
	return a.KeyID == b.KeyID && bytes.Equal(a.Armored, b.Armored)
}

// anyWindowActive reports whether a freeze window applies to any tenant
// of the estate at at.
func anyWindowActive(e *estate.Estate, at time.Time) (bool, error) {
	for _, name := range e.TenantNames() {
		a, err := calendar.ActiveAt(e, e.Tenants[name], at)
		if err != nil || len(a) > 0 {
			return len(a) > 0, err
		}
	}
	return false, nil
}

// relaxed are the denials of the base revision's policies (no waiver lets
// them through) that head's policies do not deny at all: the same policy
// id, tenant, environment and object, denied (waived or not) by head's
// policies, is not relaxed; a denial turned into a warning is.
func relaxed(byBase, byHead []policy.Result) []policy.Result {
	type key struct {
		id, tenant, env string
		obj             policy.Object
	}
	keyOf := func(r policy.Result) key { return key{r.PolicyID, r.Tenant, r.Environment, r.Object} }
	denied := map[key]bool{}
	for _, r := range byHead {
		if r.Severity == policy.SeverityDeny {
			denied[keyOf(r)] = true
		}
	}
	var out []policy.Result
	for _, r := range byBase {
		if r.Denies() && !denied[keyOf(r)] {
			out = append(out, r)
		}
	}
	return out
}

// policySources are the --policy directories as each revision has them.
type policySources struct {
	base, head []policy.Dir
	// changed are the policy files (Rego modules other than tests, and
	// data) the change adds, modifies or deletes, repository-relative.
	changed []string
}

// mapPolicyDirs maps the --policy directories onto the two revisions. A
// directory inside the repository is read from each revision's tree (its
// extracted copy under baseTree and headTree), as committed, and named by
// its repository path: head is judged by the policies it would merge
// with, whatever the working tree holds, and a change to them is seen. A
// directory outside the repository, or inside its work tree but not in
// head's tree, is read from the disk for both. A directory head has and
// base lacks gives base no policies from it.
func mapPolicyDirs(repo *gitsrc.Repo, dirs []string, baseTree, headTree string, base, head *gitsrc.Commit) (policySources, error) {
	var ps policySources
	baseFS, headFS := os.DirFS(baseTree), os.DirFS(headTree)
	for _, d := range dirs {
		rel, ok := repoPath(repo.Dir, d)
		if ok {
			// Committed at head; a directory inside the work tree that
			// git does not track (say, a checkout of the platform team's
			// policies) is read from the disk.
			st, err := fs.Stat(headFS, rel)
			ok = err == nil && st.IsDir()
		}
		if !ok {
			ps.base = append(ps.base, policy.Dir{Path: d})
			ps.head = append(ps.head, policy.Dir{Path: d})
			continue
		}
		ps.head = append(ps.head, policy.Dir{FS: headFS, Path: rel})
		if st, err := fs.Stat(baseFS, rel); err == nil && st.IsDir() {
			ps.base = append(ps.base, policy.Dir{FS: baseFS, Path: rel})
		}
		chs, err := repo.ChangesUnder(base, head, rel)
		if err != nil {
			return ps, err
		}
		for _, ch := range chs {
			if policyFile(ch.Path) {
				ps.changed = append(ps.changed, path.Join(rel, ch.Path))
			}
		}
	}
	slices.Sort(ps.changed)
	ps.changed = slices.Compact(ps.changed)
	return ps, nil
}

// repoPath is dir relative to the repository's top (slash-separated, "."
// for the top), if it is inside it.
func repoPath(top, dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// policyFile holds for the files the policy engine evaluates with: Rego
// modules other than unit tests, and data documents.
func policyFile(p string) bool {
	switch path.Ext(p) {
	case ".rego":
		return !strings.HasSuffix(p, "_test.rego")
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}

// position is where a result points in the estate: the field it names, or
// the tenant. For a tenant the estate no longer has, it is the field as
// base (the previous estate, when known) writes it, in the file the
// change deletes, and otherwise none: its name would resolve to no file.
func position(e, base *estate.Estate, r policy.Result) estate.Position {
	if len(r.Path) > 0 {
		if p := e.Position(r.Path...); p.IsValid() {
			return p
		}
	}
	if _, ok := e.Tenants[r.Tenant]; ok {
		return e.Position("tenants", r.Tenant)
	}
	if base != nil && len(r.Path) > 0 {
		// A tenant the change removes: where base has the value the
		// result is about (its own freeze window), in a file head
		// deletes. Nothing more precise: the tenant's file is gone.
		return base.Position(r.Path...)
	}
	return estate.Position{}
}

func tenantFile(e *estate.Estate, t string) string {
	return e.Position("tenants", t).File
}

// forecast is window w, applying to tenant, as the freeze forecast lists
// it: ending in the zone it is declared in.
func forecast(tenant string, w policy.Window) report.Forecast {
	end, _ := time.Parse(time.RFC3339, w.End)
	if loc, err := time.LoadLocation(w.Zone); err == nil {
		end = end.In(loc)
	}
	return report.Forecast{Tenant: tenant, Window: w.Name, Scope: scopeOf(w), Ends: end, TimeZone: w.Zone, Endless: w.Endless}
}

// activeWindow is the window of that name applying to tenant at at.
func activeWindow(e *estate.Estate, tenant, name string, at time.Time) (policy.Window, bool) {
	t := e.Tenants[tenant]
	if t == nil {
		return policy.Window{}, false
	}
	var in policy.Input
	if err := in.SetWindows(e, t, at); err != nil {
		return policy.Window{}, false
	}
	for _, w := range in.Windows {
		if w.Name == name {
			return w, true
		}
	}
	return policy.Window{}, false
}

func scopeOf(w policy.Window) string {
	if w.Scope.Name != "" {
		return w.Scope.Level + " " + w.Scope.Name
	}
	return w.Scope.Level
}

// tenantDirs are a tenant's environment directories in a tree.
func tenantDirs(files map[string][]byte, t string) []string {
	return pipeline.NewMapBaseline(files).TenantDirs(t)
}

// envNames turns environment directories into environment names.
func envNames(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		out = append(out, path.Base(d))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func production(envs []string) []string {
	var out []string
	for _, e := range envs {
		if strings.HasPrefix(e, "production") {
			out = append(out, e)
		}
	}
	return out
}

// reasons maps the changed files to what they reach.
type reasons struct {
	tenants  map[string]bool
	tiers    map[string]bool
	platform bool
	other    []string
}

func reasonsOf(changes []gitsrc.Change) reasons {
	r := reasons{tenants: map[string]bool{}, tiers: map[string]bool{}}
	for _, ch := range changes {
		dir, file := path.Split(ch.Path)
		name := strings.TrimSuffix(file, ".cue")
		switch {
		case dir == "tenants/" && strings.HasSuffix(file, ".cue"):
			r.tenants[name] = true
		case dir == "tiers/" && strings.HasSuffix(file, ".cue"):
			r.tiers[name] = true
		case dir == "" && strings.HasSuffix(file, ".cue"):
			r.platform = true
		default:
			r.other = append(r.other, ch.Path)
		}
	}
	return r
}

func (r reasons) of(e *estate.Estate, t string) []string {
	var out []string
	if f := tenantFile(e, t); f != "" && r.tenants[strings.TrimSuffix(path.Base(f), ".cue")] {
		out = append(out, f+" changed")
	}
	if tier := e.Tenants[t].Tier; r.tiers[tier] {
		out = append(out, "tier "+tier+" changed")
	}
	if r.platform {
		out = append(out, "the platform changed")
	}
	if len(out) == 0 {
		out = append(out, "its rendered output changed (images, keys or other inputs)")
	}
	return out
}

// waiverNotes lists the affected tenants' waivers, and the platform's
// (no tenant): not approved, used, expiring within ExpiringWithin of at,
// expired.
func waiverNotes(e *estate.Estate, tenants []string, results []policy.Result, at time.Time) []report.WaiverNote {
	// used[[tenant, id]] for a tenant's waiver, used[["", id]] for the
	// platform's: only the platform's waive a platform change.
	used := map[[2]string]bool{}
	for _, r := range results {
		switch {
		case r.Waived && r.PolicyID == policy.PlatformPolicy:
			used[[2]string{"", r.WaiverID}] = true
		case r.Waived:
			used[[2]string{r.Tenant, r.WaiverID}] = true
		}
	}
	var out []report.WaiverNote
	add := func(tenant string, ws map[string]estate.Waiver) {
		for id, w := range ws {
			n := report.WaiverNote{Tenant: tenant, ID: id, Policy: w.Policy, Expires: w.Expires}
			switch {
			case w.NotApproved != "":
				n.State = report.WaiverNotApproved
			case !w.Expires.After(at):
				n.State = report.WaiverExpired
			case used[[2]string{tenant, id}]:
				n.State = report.WaiverUsed
			case w.Expires.Sub(at) <= ExpiringWithin:
				n.State = report.WaiverExpiring
			default:
				continue
			}
			out = append(out, n)
		}
	}
	for _, t := range tenants {
		add(t, e.Tenants[t].Waivers)
	}
	add("", e.Platform.Waivers)
	return out
}

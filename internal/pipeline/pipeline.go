// Package pipeline is the entry point for the main job: load the estate,
// render it, gather the facts the policies need (change against the
// previous output, active freeze windows, images), evaluate the policies,
// and write the environment tree — holding back tenants a freeze window
// covers and refusing the whole change on any other denial.
package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

// Options of a render run.
type Options struct {
	Root string
	// FS, when set, holds the estate's files in place of Root (which
	// still holds its image mirrors): a pull-request check reads them
	// from git (gitsrc.Repo.ExtractFS).
	FS fs.FS
	// Out is the output directory Run writes; empty for runs that only
	// evaluate (Prepare and Render).
	Out     string
	Tenants []string
	// KeepOthers (--tenant) keeps the output of the tenants Tenants leaves
	// out as it is: an environment the estate drops stays, wired, and one
	// it adds stays out, until a render that includes the tenant. Without
	// it (an incremental render, whose other tenants have not changed, or a
	// pull-request check) they are wired as the estate says.
	KeepOthers bool
	// NoTenants renders no tenant (with an empty Tenants): see
	// render.Options.NoTenants.
	NoTenants bool
	// NoGitOps leaves the clusters' GitOps directories out of the render:
	// for a run that does not write, judged against a baseline without
	// them (a pull-request check whose change cannot alter the wiring).
	NoGitOps bool
	Target   string
	Layout   string
	At       time.Time
	// PolicyDirs add user Rego and data to the built-in policies.
	PolicyDirs []string
	// Policies, when set, are the user policy directories instead of
	// PolicyDirs: read from a git revision, say. Only for runs that do not
	// write: the digest a written record carries reads PolicyDirs.
	Policies []policy.Dir
	// UntypedPolicies compiles the policies without checking their use of
	// input against its schema (policy.NewFromUntyped): for a check's base
	// revision, whose rules are not the change's to fix.
	UntypedPolicies bool
	// KeepObjects keeps every unit's built objects in the outcome's
	// render result (for diffs); otherwise they are dropped once judged.
	KeepObjects bool
	// Images is the image stage. Nil leaves images unverified and
	// unpinned, and the supply-chain rules only warn: for benchmarks and
	// tests of other stages; the command line always sets it.
	Images ImageStage
	// Beside, when set with FS, returns an estate loaded already, beside
	// which this one loads (estate.LoadFSBeside: only the tenant files
	// that differ are evaluated); nil loads it whole. Prepare calls it
	// once the policies are compiled: it may wait for that estate. A
	// pull-request check loads the base revision beside the head's.
	Beside func() *estate.Estate
	// Loaded, when set, is called as soon as the estate is loaded, or
	// with nil when it does not load.
	Loaded func(*estate.Estate)
}

// HoldBack is a tenant a freeze window held back: its previous output
// stays as it was.
type HoldBack struct {
	Tenant  string          `json:"tenant"`
	Windows []policy.Window `json:"windows"`
	// Free is when the tenant is next free of every window, in its time
	// zone ("2026-12-02 00:00 Europe/Paris"): the windows' end, or later
	// when other windows follow them.
	Free string `json:"free,omitempty"`
	// Pinned are the tenant's directories (kustomize layout) whose tier
	// base changed: they keep their files and get a copy of the previous
	// base, under FrozenBase, to build on instead of the shared one.
	Pinned []string `json:"pinned,omitempty"`
	// Serving are, when no window applies to the tenant itself, the
	// frozen tenants whose platform objects its change would alter
	// (freeze.platform-neighbour): Windows are theirs, and Free when the
	// last of them is free.
	Serving []string `json:"serving,omitempty"`
	// Removal is set when the change held back is the tenant's removal
	// from the estate: the tenant stays as the previous render made it.
	Removal bool `json:"removal,omitempty"`
	// CalendarFrom is, for a held-back removal, the estate commit whose
	// definition of the tenant gave its own freeze calendar: the next
	// render reads it from there too (HeldCalendarTrailer), until the
	// removal lands.
	CalendarFrom string `json:"calendarFrom,omitempty"`
	// Clusters are, for a change held back with the platform change of
	// the clusters it alters directories on (freeze.platform-held), those
	// clusters; Serving are then the frozen tenants their platform change
	// serves, Windows theirs, and Free when the last of them is free.
	Clusters []string `json:"clusters,omitempty"`
}

// PlatformHoldBack is a cluster whose platform change a freeze held back
// (freeze.platform-change): its platform and GitOps directories that
// carry the change stay as the previous render made them, and land once
// the frozen tenants they serve are free.
type PlatformHoldBack struct {
	Cluster     string   `json:"cluster"`
	Directories []string `json:"directories"`
	// Serving are the frozen tenants the held change would reach, Windows
	// the windows that apply to them, and Free when the last of them is
	// free, in its time zone.
	Serving []string        `json:"serving"`
	Windows []policy.Window `json:"windows"`
	Free    string          `json:"free,omitempty"`

	// neighbours are the frozen tenants as freeze.platform-held reads
	// them, freeAt when the last is free (RFC 3339, UTC).
	neighbours []policy.Neighbour
	freeAt     string
}

// Report is the outcome of a run.
type Report struct {
	Estate   *estate.Estate  `json:"-"`
	Results  []policy.Result `json:"results"`
	HeldBack []HoldBack      `json:"heldBack"`
	// PlatformHeldBack are the clusters whose platform change a freeze
	// held back.
	PlatformHeldBack []PlatformHoldBack `json:"platformHeldBack,omitempty"`
	// Denied is true when a denial other than a freeze hold-back stopped
	// the run; nothing was written.
	Denied bool `json:"denied"`
	// Suspended are the tenants whose Flux Kustomizations the render
	// suspends: a window applies to them at the render's instant.
	Suspended []string `json:"suspended,omitempty"`
	// Rendered lists the tenants whose output was written.
	Rendered []string `json:"rendered"`
	// Changed lists the rendered tenants whose output differs from the
	// baseline (new tenants included).
	Changed []string `json:"changed"`
	// Removed lists tenants the baseline has and the estate no longer.
	Removed []string `json:"removed,omitempty"`
	// Repaired are the tenants whose committed files had been edited
	// since the last render commit, rendered again and so restored
	// (EditedTenants): only a render into an environment repository
	// repairs.
	Repaired []Repair `json:"repaired,omitempty"`
	// Notes are what the run could not do as it should have, for the
	// reader: the removal of a tenant judged without its own calendar.
	Notes []string `json:"notes,omitempty"`
	// StateEdited is true when the render state had been edited since the
	// last render commit: not trusted, every tenant was rendered again.
	StateEdited bool `json:"stateEdited,omitempty"`
	// Images are the estate's images as the image stage found them.
	Images      []ImageFact `json:"images"`
	Directories int         `json:"directories"`
	Clusters    int         `json:"clusters"`
	Objects     int         `json:"objects"`
	Files       int         `json:"files"`
	Bytes       int64       `json:"bytes"`
}

// Repair is a tenant whose edited files a render restored.
type Repair struct {
	Tenant string `json:"tenant"`
	// Files are those the edits since the last render commit changed.
	Files []string `json:"files"`
}

// Owned are the top-level entries of the tree Palisade writes.
var Owned = []string{"bases", "clusters"}

// Prepared is an estate loaded, its policies compiled and its images
// resolved and verified: everything a render needs that does not depend on
// the baseline, done once even when a render is retried against a moved
// environment repository.
type Prepared struct {
	Options Options
	Estate  *estate.Estate
	Engine  *policy.Engine
	Images  *ImageReport
	// Compare, when set, is a second set of policies every tenant is also
	// evaluated with; the outcome's Compared holds its results. Nothing
	// else depends on them: a pull-request check sets the base revision's
	// policies here to see what a change to the policies lets through.
	Compare *policy.Engine
}

// Prepare loads the estate, compiles the policies and runs the image stage.
func Prepare(ctx context.Context, o Options) (*Prepared, error) {
	dirs := o.Policies
	if dirs == nil {
		for _, d := range o.PolicyDirs {
			dirs = append(dirs, policy.Dir{Path: d})
		}
	}
	compile := policy.NewFrom
	if o.UntypedPolicies {
		compile = policy.NewFromUntyped
	}
	var engine *policy.Engine
	var err error
	if o.Beside != nil && o.FS != nil {
		// The policies compile while the estate beside loads.
		if engine, err = compile(ctx, dirs); err != nil {
			if o.Loaded != nil {
				o.Loaded(nil)
			}
			return nil, err
		}
	}
	var e *estate.Estate
	switch {
	case o.FS != nil && o.Beside != nil:
		e, err = estate.LoadFSBeside(o.FS, o.Root, o.Beside())
	case o.FS != nil:
		e, err = estate.LoadFS(o.FS, o.Root)
	default:
		e, err = estate.Load(o.Root)
	}
	if o.Loaded != nil {
		o.Loaded(e)
	}
	if err != nil {
		return nil, err
	}
	if engine == nil {
		if engine, err = compile(ctx, dirs); err != nil {
			return nil, err
		}
	}
	p := &Prepared{Options: o, Estate: e, Engine: engine, Images: &ImageReport{}}
	if o.Images != nil {
		refs, err := EstateImages(e, o.Tenants)
		if err != nil {
			return nil, err
		}
		if p.Images, err = o.Images.Verify(ctx, e, refs); err != nil {
			return nil, err
		}
		p.Images.enforced = true
	}
	return p, nil
}

// Outcome is a render evaluated against a baseline, not yet written.
type Outcome struct {
	Report *Report
	// Result is the render written: held-back tenants are not rendered
	// in it (their directories are kept).
	Result *render.Result
	// Proposed is the render as the estate asks for it, before any
	// hold-back: what the change makes of every tenant it renders (a
	// pull-request check diffs it). The same as Result when nothing is
	// held back.
	Proposed *render.Result
	// Files are the rendered files; those under Keep are not part of the
	// new tree.
	Files map[string][]byte
	// Keep are directories whose baseline content stays: tenants held
	// back by a freeze, or not selected.
	Keep []string
	// Tenants holds what the render made of each tenant it rendered.
	Tenants map[string]TenantState
	// Compared are the results of the Prepared's Compare policies, sorted,
	// waivers applied; nil without them.
	Compared []policy.Result

	images map[string][]policy.Image
	// removedTiers are the tiers of the tenants the estate no longer has,
	// as the previous render labelled them.
	removedTiers map[string]string
}

// TenantState is what a render made of one tenant.
type TenantState struct {
	// Changed is true when the tenant's output differs from the baseline.
	Changed bool `json:"changed"`
	// New is true when the baseline has nothing of the tenant.
	New bool `json:"new,omitempty"`
	// Environments lists the tenant's environments whose output differs
	// from the baseline (removed ones included).
	Environments []string `json:"environments"`
}

// Run runs the main job into the output directory.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := tree.CheckTarget(o.Out); err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.Out, err)
	}
	p, err := Prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	base, notes, _ := p.previousBaseline(NewDirBaseline(o.Out), "", "", nil, "an output directory does not record the estate commit it was rendered from (an environment repository does: --env-repo)", nil)
	out, err := p.Render(ctx, base)
	if err != nil {
		return nil, err
	}
	out.Report.Notes = append(out.Report.Notes, notes...)
	if out.Report.Denied {
		return out.Report, nil
	}
	st, err := tree.Write(o.Out, out.Files, tree.Options{Owned: Owned, Keep: out.Keep})
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.Out, err)
	}
	out.Report.Files, out.Report.Bytes = st.Files, st.Bytes
	return out.Report, nil
}

// Render renders the prepared estate and evaluates its policies against
// the baseline: it decides hold-backs and denials, and returns the files to
// write. The baseline is only read.
func (p *Prepared) Render(ctx context.Context, base Baseline) (*Outcome, error) {
	o, e := p.Options, p.Estate
	var mu sync.Mutex
	var results, compared []policy.Result
	windows := map[string][]policy.Window{}
	frees := map[string]string{}
	changes := map[string]policy.Change{}
	imgs := map[string][]policy.Image{}
	// changedDirs are, by tenant, its directories the render changes,
	// adds or removes.
	changedDirs := map[string][]string{}
	pidx := &platformIndexes{}
	ro := render.Options{
		Target: o.Target, Tenants: o.Tenants, NoTenants: o.NoTenants, NoGitOps: o.NoGitOps, At: o.At, Digests: p.Images.Digests(),
		SkipManifests: o.Layout != render.LayoutHydrated, KeepObjects: o.KeepObjects, KeepPlatform: true,
		// Each tenant is evaluated as soon as it is built, and its objects
		// dropped: the estate's objects are never all in memory.
		Inspect: func(tenant string, units []*render.Unit, platform map[string]*render.Unit) error {
			in, err := p.inputFor(tenant, units, platform, base, pidx)
			if err != nil {
				return err
			}
			rs, err := p.Engine.Evaluate(ctx, []policy.Input{in})
			if err != nil {
				return err
			}
			var cs []policy.Result
			if p.Compare != nil {
				if cs, err = p.Compare.Evaluate(ctx, []policy.Input{in}); err != nil {
					return err
				}
			}
			mu.Lock()
			defer mu.Unlock()
			results = append(results, rs...)
			compared = append(compared, cs...)
			windows[tenant] = in.Windows
			frees[tenant] = in.FreeLocal
			changes[tenant] = in.Change
			changedDirs[tenant] = tenantChangedDirs(units, in.Change, base.TenantDirs(tenant))
			imgs[tenant] = in.Images
			return nil
		},
	}
	// A tenant --tenant leaves out keeps its output as it is: environments
	// the estate no longer has stay, wired, and new ones stay out (neither
	// is judged in this render). A tenant the baseline has nothing of stays
	// out altogether, platform and GitOps wiring included: wired without
	// its directories, the controller would find a missing path, and its
	// onboarding would go unjudged.
	if o.KeepOthers && len(o.Tenants) > 0 {
		planned := render.PlannedDirs(e)
		for t := range e.Tenants {
			if slices.Contains(o.Tenants, t) {
				continue
			}
			have := base.TenantDirs(t)
			ro.Retain = append(ro.Retain, have...)
			for _, d := range planned[t] {
				if !slices.Contains(have, d) {
					if ro.Exclude == nil {
						ro.Exclude = map[string]bool{}
					}
					ro.Exclude[d] = true
				}
			}
		}
		slices.Sort(ro.Retain)
	}
	res, err := render.Render(e, ro)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, t := range base.Tenants() {
		if _, ok := e.Tenants[t]; !ok {
			removed = append(removed, t)
		}
	}
	// The tenants the change removes are judged too: a freeze window
	// still applies to what the previous render recorded of them.
	// removals are the changes of the removed tenants, for a hold-back.
	removals := map[string]policy.Change{}
	removedTiers := map[string]string{}
	for _, t := range removed {
		in, err := removedInput(e, base, t, o.At)
		if err != nil {
			return nil, err
		}
		removedTiers[t] = in.Tier.Name
		windows[t], frees[t], removals[t] = in.Windows, in.FreeLocal, in.Change
		changedDirs[t] = base.TenantDirs(t)
		rs, err := p.Engine.Evaluate(ctx, []policy.Input{in})
		if err != nil {
			return nil, err
		}
		results = append(results, rs...)
		if p.Compare != nil {
			if rs, err = p.Compare.Evaluate(ctx, []policy.Input{in}); err != nil {
				return nil, err
			}
			compared = append(compared, rs...)
		}
	}
	// A platform window shortened while it runs is lifted for every
	// tenant it applies to: the platform's break-glass waivers for
	// freeze.window-lifted let it through for them all at once.
	if results, err = policy.ApplyPlatformWaivers(o.At, policy.LiftedPolicy, policy.PlatformWaivers(e), results); err != nil {
		return nil, err
	}
	policy.SortResults(results)
	rep := &Report{Estate: e, Results: results, Images: p.Images.Facts, Removed: removed}
	out := &Outcome{Report: rep, Result: res, Proposed: res, Tenants: map[string]TenantState{}, images: imgs, removedTiers: removedTiers}
	if p.Compare != nil {
		policy.SortResults(compared)
		out.Compared = orEmpty(compared)
	}
	for t, c := range changes {
		ts := TenantState{Changed: c.Changed, New: c.New, Environments: slices.Compact(c.Environments)}
		out.Tenants[t] = ts
	}
	if policy.DeniedBeyondFreeze(results) {
		rep.Denied = true
		return out, nil
	}
	frozen := policy.Frozen(results)
	first := res
	var keep []string
	// heldDirs are the kept directories of held-back tenants, by the index
	// of their hold-back in the report.
	heldDirs := map[string]int{}
	// facts are what the baseline recorded of the tenants considered for
	// a hold-back.
	facts := map[string]render.Held{}
	previous := func(t string) (render.Held, error) {
		if h, ok := facts[t]; ok {
			return h, nil
		}
		r, err := removedFacts(base, t)
		if err != nil {
			return render.Held{}, err
		}
		h := render.Held{Tier: r.Tier, Segment: r.Segment, TimeZone: r.TimeZone, Calendar: r.Calendar, Dirs: base.TenantDirs(t)}
		facts[t] = h
		return h, nil
	}
	// holdBack keeps a tenant as the baseline has it: its directories as
	// they are, wired and given their databases as the previous render
	// made them (render.Options.Held). Its environments that do not exist
	// yet stay out; its removed (or moved) ones are kept, and so is their
	// wiring: without their Application the controller would prune them.
	held := map[string]render.Held{}
	holdBack := func(t string, hb HoldBack) error {
		h, err := previous(t)
		if err != nil {
			return err
		}
		_, hb.Removal = removals[t]
		if hb.Removal {
			hb.CalendarFrom = calendarFrom(base, t)
		}
		if hb.Removal && render.HeldTenant(e, t, h) == nil {
			// Held back unwired, its Application would be pruned and its
			// workloads deleted: fail closed, writing nothing.
			return fmt.Errorf("cannot hold back the removal of tenant %q until it is free (%s): its tier %q is removed from the estate too, and without it the tenant cannot be kept wired; keep the tier until then", t, hb.Free, h.Tier)
		}
		held[t] = h
		for _, d := range h.Dirs {
			keep = append(keep, d)
			heldDirs[d] = len(rep.HeldBack)
		}
		rep.HeldBack = append(rep.HeldBack, hb)
		return nil
	}
	rerender := func() error {
		ro.Held, ro.Inspect = held, nil
		var err error
		res, err = render.Render(e, ro)
		out.Result = res
		return err
	}
	for _, t := range frozen {
		if err := holdBack(t, HoldBack{Tenant: t, Windows: windows[t], Free: frees[t]}); err != nil {
			return nil, err
		}
	}
	if len(frozen) > 0 {
		if err := rerender(); err != nil {
			return nil, err
		}
	}
	// The platform objects of the final render: what they change reaches
	// the tenants they serve, held back or not.
	pb := parseOnce(base)
	pj, err := p.platformFreeze(ctx, res, pb, held, nil)
	if err != nil {
		return nil, err
	}
	inputOf := func(t string) (policy.Input, error) {
		if c, ok := removals[t]; ok {
			in, err := removedInput(e, base, t, o.At)
			in.Change = c
			return in, err
		}
		in, err := policy.NewInput(e, t, o.At)
		in.Change = changes[t]
		return in, err
	}
	if policy.DeniedBeyondFreeze(pj.Results) {
		// Other tenants' changes may be what alters them — a new tenant's
		// database grows the shared cluster — and those can be held back
		// instead, while the rest proceeds.
		var cands []string
		for _, t := range first.Tenants() {
			if out.Tenants[t].Changed && !slices.Contains(frozen, t) {
				cands = append(cands, t)
			}
		}
		for _, t := range removed {
			if !slices.Contains(frozen, t) {
				cands = append(cands, t)
			}
		}
		slices.Sort(cands)
		trial := func(hold []string) ([]policy.Result, map[string]policy.Input, error) {
			to := ro
			to.Held = maps.Clone(held)
			for _, t := range hold {
				h, err := previous(t)
				if err != nil {
					return nil, nil, err
				}
				to.Held[t] = h
			}
			to.NoTenants, to.NoGitOps, to.Tenants, to.Inspect = true, true, nil, nil
			r, err := render.Render(e, to)
			if err != nil {
				return nil, nil, err
			}
			j, err := p.platformFreeze(ctx, r, pb, to.Held, nil)
			if err != nil {
				return nil, nil, err
			}
			return j.Results, j.Frozen, nil
		}
		nrs, hbs, err := p.neighbourHoldBacks(ctx, cands, inputOf, trial)
		if err != nil {
			return nil, err
		}
		if hold := policy.Frozen(nrs); len(hold) > 0 {
			for _, t := range hold {
				if err := holdBack(t, hbs[t]); err != nil {
					return nil, err
				}
			}
			frozen = append(frozen, hold...)
			slices.Sort(frozen)
			if err := rerender(); err != nil {
				return nil, err
			}
			rep.Results = append(rep.Results, nrs...)
			if pj, err = p.platformFreeze(ctx, res, pb, held, nil); err != nil {
				return nil, err
			}
		}
	}
	// What the neighbours' hold-backs do not clear is the platform's own
	// change — a new PostgreSQL image, a new backup bucket, a new
	// repository URL. The directories carrying it are held back on the
	// clusters where it reaches frozen tenants, with the changes of the
	// tenants whose directories there change (freeze.platform-held), and
	// everything else proceeds. Holding those tenants back changes the
	// platform directories again, so this repeats until nothing more is
	// denied; a denial it cannot hold back stops the render.
	skip := map[string]bool{}
	var heldResults []policy.Result
	for round := 0; round < 3 && policy.DeniedBeyondFreeze(pj.Results); round++ {
		phbs, ok := platformHoldBacks(pj)
		if !ok {
			break
		}
		var inputs []policy.Input
		hbs := map[string]HoldBack{}
		for _, t := range slices.Sorted(maps.Keys(changedDirs)) {
			_, isHeld := held[t]
			_, isRemoval := removals[t]
			if isHeld || !out.Tenants[t].Changed && !isRemoval {
				continue
			}
			in, hb, err := heldPlatformInput(t, changedDirs[t], phbs, inputOf)
			if err != nil {
				return nil, err
			}
			if len(in.Change.HeldPlatform) > 0 {
				inputs = append(inputs, in)
				hbs[t] = hb
			}
		}
		if len(inputs) > 0 {
			hrs, err := p.Engine.EvaluatePlatform(ctx, inputs)
			if err != nil {
				return nil, err
			}
			hold := policy.Frozen(hrs)
			for _, t := range hold {
				if err := holdBack(t, hbs[t]); err != nil {
					return nil, err
				}
			}
			rep.Results = append(rep.Results, hrs...)
			if len(hold) > 0 {
				frozen = append(frozen, hold...)
				slices.Sort(frozen)
				if err := rerender(); err != nil {
					return nil, err
				}
			}
		}
		for _, ph := range phbs {
			for _, d := range ph.Directories {
				skip[d] = true
			}
		}
		rep.PlatformHeldBack = mergePlatformHoldBacks(rep.PlatformHeldBack, phbs)
		heldResults = append(heldResults, slices.DeleteFunc(slices.Clone(pj.Results), func(r policy.Result) bool { return !r.Denies() })...)
		if pj, err = p.platformFreeze(ctx, res, pb, held, skip); err != nil {
			return nil, err
		}
	}
	prs := append(pj.Results, heldResults...)
	if len(prs) > 0 {
		rep.Results = append(rep.Results, prs...)
	}
	policy.SortResults(rep.Results)
	if policy.DeniedBeyondFreeze(pj.Results) {
		// Nothing is written, so nothing is held back either.
		rep.Denied, rep.HeldBack, rep.PlatformHeldBack = true, nil, nil
		return out, nil
	}
	keep = append(keep, slices.Sorted(maps.Keys(skip))...)
	// A removal held back is not made.
	rep.Removed = slices.DeleteFunc(rep.Removed, func(t string) bool { return slices.Contains(frozen, t) })
	files, err := res.Tree(o.Layout)
	if err != nil {
		return nil, err
	}
	if o.Layout != render.LayoutHydrated {
		for _, dir := range slices.Sorted(maps.Keys(heldDirs)) {
			pin, err := pinBase(base, dir, files)
			if err != nil {
				return nil, err
			}
			if pin == nil {
				continue
			}
			for p := range files {
				if underAny(p, []string{dir}) {
					delete(files, p)
				}
			}
			maps.Copy(files, pin)
			keep = slices.DeleteFunc(keep, func(d string) bool { return d == dir })
			hb := &rep.HeldBack[heldDirs[dir]]
			hb.Pinned = append(hb.Pinned, dir)
		}
	}
	if len(o.Tenants) > 0 || o.NoTenants {
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
	for _, t := range res.Tenants() {
		if !slices.Contains(frozen, t) {
			rep.Rendered = append(rep.Rendered, t)
			if out.Tenants[t].Changed {
				rep.Changed = append(rep.Changed, t)
			}
		}
	}
	rep.Directories, rep.Clusters, rep.Objects = len(res.Units), len(res.Clusters), res.Objects()
	for _, u := range res.Units {
		// A GitOps directory held back keeps the previous render's
		// suspensions: this render's land with its change.
		if !underAny(u.Dir, keep) {
			rep.Suspended = append(rep.Suspended, u.Suspended...)
		}
	}
	slices.Sort(rep.Suspended)
	rep.Suspended = slices.Compact(rep.Suspended)
	for p := range files {
		if !underAny(p, keep) {
			rep.Files++
			rep.Bytes += int64(len(files[p]))
		}
	}
	out.Files, out.Keep = files, keep
	return out, nil
}

// underAny reports whether the slash path p is one of dirs or below one.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
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
func (p *Prepared) inputFor(name string, units []*render.Unit, platform map[string]*render.Unit, base Baseline, pidx *platformIndexes) (policy.Input, error) {
	e, o := p.Estate, p.Options
	t := e.Tenants[name]
	in, err := policy.NewInput(e, name, o.At)
	if err != nil {
		return in, err
	}
	if err := in.SetWindows(e, t, o.At); err != nil {
		return in, err
	}
	if in.Change.Lifted, err = lifted(base, e, name, o.At); err != nil {
		return in, err
	}
	images := map[string]bool{}
	allAbsent := true
	dirs := map[string]bool{}
	for _, u := range units {
		dirs[u.Dir] = true
		st, err := base.Compare(unitFiles(u, o.Layout), u.Dir)
		if err != nil {
			return in, err
		}
		if st == tree.Same && o.Layout != render.LayoutHydrated && len(u.BaseFiles) > 0 {
			// The tier base the overlay builds on may have changed: that
			// changes the tenant's objects too, even when its overlay is
			// the same (a hold-back then pins the previous base).
			var dir string
			for p := range u.BaseFiles {
				dir = path.Dir(p)
				break
			}
			bst, err := base.Compare(u.BaseFiles, dir)
			if err != nil {
				return in, err
			}
			if bst != tree.Same {
				st = tree.Changed
			}
		}
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
			env.PlatformObjects = pidx.of(p).concerning(name, env.Namespace)
		}
		for _, img := range render.ContainerImages(u.Built) {
			images[img] = true
		}
		for _, img := range operandImages(u.Built) {
			images[img] = true
		}
		in.Environments = append(in.Environments, env)
	}
	// Directories of the tenant on disk that the render no longer has:
	// removed environments are a change too.
	removed := 0
	for _, d := range base.TenantDirs(name) {
		if !dirs[d] {
			removed++
			in.Change.Changed = true
			in.Change.Environments = append(in.Change.Environments, filepath.Base(d))
		}
	}
	sort.Strings(in.Change.Environments)
	in.Change.New = allAbsent && removed == 0
	in.Images = p.Images.For(slices.Sorted(maps.Keys(images)), e.Tiers[t.Tier].SigningKeys)
	in.SupplyChain.Enforced = p.Images.enforced
	return in, nil
}

// concerning are the platform objects that concern a tenant environment:
// its Database and role secret, and the PostgreSQL cluster and backups of
// the namespace they live in.
func concerning(objs []map[string]any, tenant, ns string) []map[string]any {
	return newPlatformIndex(objs).concerning(tenant, ns)
}

// platformIndex indexes a cluster's platform objects by name, and its
// PostgreSQL clusters and backups by namespace: every tenant environment
// of the cluster looks its own up, and scanning them all for each made a
// render quadratic in the tenants.
type platformIndex struct {
	objs     []map[string]any
	byName   map[string][]int
	clusters map[string][]int // namespace → Cluster and ScheduledBackup objects
}

func newPlatformIndex(objs []map[string]any) *platformIndex {
	x := &platformIndex{objs: objs, byName: map[string][]int{}, clusters: map[string][]int{}}
	for i, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		x.byName[name] = append(x.byName[name], i)
		kind, _ := o["kind"].(string)
		if n, _ := md["namespace"].(string); kind == "Cluster" || kind == "ScheduledBackup" {
			x.clusters[n] = append(x.clusters[n], i)
		}
	}
	return x
}

func (x *platformIndex) concerning(tenant, ns string) []map[string]any {
	var out []map[string]any
	dbNamespaces := map[string]bool{}
	own := slices.Concat(x.byName[ns], x.byName["role-"+ns])
	slices.Sort(own)
	for _, i := range slices.Compact(own) {
		o := x.objs[i]
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
	var held []int
	for n := range dbNamespaces {
		held = append(held, x.clusters[n]...)
	}
	slices.Sort(held)
	for _, i := range held {
		o := x.objs[i]
		if kind, _ := o["kind"].(string); kind == "Cluster" {
			out = append(out, ownRoles(o, "role-"+ns))
		} else {
			out = append(out, o)
		}
	}
	return out
}

// platformIndexes are the platform indexes of one render, by platform unit.
type platformIndexes struct {
	mu sync.Mutex
	m  map[*render.Unit]*platformIndex
}

func (p *platformIndexes) of(u *render.Unit) *platformIndex {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[*render.Unit]*platformIndex{}
	}
	x, ok := p.m[u]
	if !ok {
		x = newPlatformIndex(u.Built)
		p.m[u] = x
	}
	return x
}

// ownRoles is a view of a shared PostgreSQL Cluster narrowed to the roles
// of one tenant environment: those whose password is its role secret. The
// cluster lists the roles of every tenant it serves; they are none of this
// environment's business, and copying them into every tenant's policy
// input would make the inputs grow with the estate (a shared cluster of
// 500 tenants is over 100 KB). The cluster itself is not modified.
func ownRoles(cluster map[string]any, secret string) map[string]any {
	spec, _ := cluster["spec"].(map[string]any)
	managed, _ := spec["managed"].(map[string]any)
	roles, ok := managed["roles"].([]any)
	if !ok {
		return cluster
	}
	var own []any
	for _, r := range roles {
		role, _ := r.(map[string]any)
		ps, _ := role["passwordSecret"].(map[string]any)
		if ps["name"] == secret {
			own = append(own, r)
		}
	}
	view := maps.Clone(cluster)
	view["spec"] = maps.Clone(spec)
	view["spec"].(map[string]any)["managed"] = maps.Clone(managed)
	view["spec"].(map[string]any)["managed"].(map[string]any)["roles"] = orEmpty(own)
	return view
}

// operandImages are the images operators run for the objects: a
// CloudNativePG Cluster's spec.imageName.
func operandImages(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		if o["kind"] != "Cluster" {
			continue
		}
		spec, _ := o["spec"].(map[string]any)
		if img, ok := spec["imageName"].(string); ok {
			out = append(out, img)
		}
	}
	return out
}

// FrozenBase is the directory, inside a held-back tenant environment's
// directory, that holds a copy of the tier base it built on before.
const FrozenBase = "frozen-base"

// pinBase keeps a held-back environment's directory exactly as the
// baseline has it, except that it builds on a copy of the baseline's tier
// base when the new tree's base differs (the tier changed, or no longer
// exists): without it, the overlay kept "untouched" would build on the new
// base, and the controller would apply the tier's change to a frozen
// tenant. It returns the directory's files, or nil when nothing needs
// pinning: the base is unchanged, the directory builds on a copy already,
// or the baseline lacks the base.
func pinBase(base Baseline, dir string, files map[string][]byte) (map[string][]byte, error) {
	old, err := base.DirFiles(dir)
	if err != nil {
		return nil, err
	}
	k := old[dir+"/kustomization.yaml"]
	m := baseRef.FindSubmatch(k)
	if m == nil {
		return nil, nil
	}
	baseDir := path.Join(dir, string(m[1]))
	if !strings.HasPrefix(baseDir, "bases/") {
		return nil, nil
	}
	oldBase, err := base.DirFiles(baseDir)
	if err != nil || len(oldBase) == 0 {
		return nil, err
	}
	same := true
	for p, data := range oldBase {
		if !bytes.Equal(files[p], data) {
			same = false
		}
	}
	for p := range files {
		if _, ok := oldBase[p]; !ok && strings.HasPrefix(p, baseDir+"/") {
			same = false
		}
	}
	if same {
		return nil, nil
	}
	out := maps.Clone(old)
	out[dir+"/kustomization.yaml"] = bytes.Replace(k, m[0], []byte("\n- "+FrozenBase+"\n"), 1)
	for p, data := range oldBase {
		out[dir+"/"+FrozenBase+"/"+strings.TrimPrefix(p, baseDir+"/")] = data
	}
	return out, nil
}

// baseRef is the resources entry of an overlay's kustomization.yaml that
// names its tier base, relative to the overlay.
var baseRef = regexp.MustCompile(`\n- ((?:\.\./)+bases/[^\s]+)\n`)

// TenantInput is the policy input a render builds for tenant name against
// base (the previous output; an empty baseline for a first render): for a
// user writing rules, `palisade policy input`.
func (p *Prepared) TenantInput(name string, base Baseline) (policy.Input, error) {
	if p.Estate.Tenants[name] == nil {
		return policy.Input{}, p.Estate.UnknownTenant(name)
	}
	var in policy.Input
	pidx := &platformIndexes{}
	_, err := render.Render(p.Estate, render.Options{
		Target: p.Options.Target, At: p.Options.At, Digests: p.Images.Digests(),
		SkipManifests: p.Options.Layout != render.LayoutHydrated, KeepPlatform: true,
		Tenants: []string{name},
		Inspect: func(tenant string, units []*render.Unit, platform map[string]*render.Unit) error {
			var err error
			in, err = p.inputFor(tenant, units, platform, base, pidx)
			return err
		},
	})
	return in, err
}

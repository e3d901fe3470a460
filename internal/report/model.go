package report

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// Verdicts of a check.
const (
	Pass = "pass"
	Fail = "fail"
)

// Changes to a tenant or an object between base and head.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// States of a waiver at the check's instant.
const (
	WaiverUsed     = "used"
	WaiverExpiring = "expiring"
	WaiverExpired  = "expired"
	WaiverUnused   = "unused"
	// WaiverNotApproved: the platform names approvers, and the waiver's
	// approver is not one of them or did not sign it; not in force.
	WaiverNotApproved = "not-approved"
)

// Check is the outcome of `palisade check`: what a change to the estate
// would do if merged. It is also the json format, field for field.
type Check struct {
	Base Rev `json:"base"`
	Head Rev `json:"head"`
	// At is the instant freezes and waiver expiry were evaluated at.
	At time.Time `json:"at"`
	// EstateDir is the estate root relative to the repository root, with
	// forward slashes; empty when the estate is the repository root.
	// Positions and tenant files are relative to the estate root; the
	// sarif and github formats, which GitHub resolves against the
	// repository root, prefix them with EstateDir.
	EstateDir string `json:"estateDir,omitempty"`
	// PlatformFile is the estate's platform file (such as "platform.cue"),
	// relative to the estate root. The sarif and github formats point a
	// result with neither a position nor a known tenant file there; without
	// it such a result has no location, and GitHub code scanning rejects a
	// SARIF file holding one.
	PlatformFile string `json:"platformFile,omitempty"`
	// Verdict is Fail when a denial no waiver lets through stands on head
	// (Finalize sets it), else Pass.
	Verdict string `json:"verdict"`
	// Blast is the blast radius: the tenants whose rendered output the
	// change alters.
	Blast Blast `json:"blast"`
	// Diffs are the rendered changes, per tenant.
	Diffs []TenantDiff `json:"diffs"`
	// Results are the policy results on head, denials and warnings, the
	// waived ones marked.
	Results []Finding `json:"results"`
	// Freeze lists the tenants a freeze window active at At would hold back
	// if the change were merged now.
	Freeze []Forecast `json:"freeze"`
	// Waivers are the waivers of the affected tenants and their state.
	Waivers []WaiverNote `json:"waivers"`
	// Calendar lists the freeze windows active at At that the change ends
	// early for some tenants: for review, it does not fail the check.
	Calendar []CalendarChange `json:"calendar"`
	// Policies is what the change does to the policies themselves: set
	// when it changes a policy file of a --policy directory inside the
	// repository.
	Policies *PolicyChange `json:"policies,omitempty"`
	// Notes are remarks for a person, printed as given, in order.
	Notes []string `json:"notes"`
}

// CalendarChange is a freeze window active at a check's instant that the
// change ends early for some tenants.
type CalendarChange struct {
	Window string `json:"window"`
	// Calendar is where the window is defined: platform, tier or tenant;
	// Owner names the tier or tenant.
	Calendar string `json:"calendar"`
	Owner    string `json:"owner,omitempty"`
	// Change is WindowRemoved, WindowNoLongerApplies or WindowShortened.
	Change  string   `json:"change"`
	Tenants []string `json:"tenants"`
	// Ends is when the window ends on base (the latest, over the tenants);
	// EndsNow when it ends on head, for WindowShortened.
	Ends    time.Time `json:"ends"`
	EndsNow time.Time `json:"endsNow,omitzero"`
	// Endless is true when, on base, the window's occurrences followed one
	// another without a gap: Ends is where the calendar stopped following
	// them, not an end.
	Endless bool `json:"endless,omitempty"`
	// Position is the window's definition on head, else its owner's.
	Position Position `json:"position,omitzero"`
}

// Changes of a calendar change.
const (
	WindowRemoved         = calendar.LiftRemoved
	WindowNoLongerApplies = calendar.LiftNoLongerApplies
	WindowShortened       = calendar.LiftEndsEarlier
)

// PolicyChange is a change to the user policies a check evaluates with.
type PolicyChange struct {
	// Files are the policy files (Rego modules and data) the change adds,
	// modifies or deletes, relative to the repository's top.
	Files []string `json:"files"`
	// Relaxed are denials the base revision's policies give on head that
	// head's own policies do not: what the change to the policies lets
	// through.
	Relaxed []Relaxed `json:"relaxed"`
	// RulesAdded and RulesRemoved are the rule ids head's policies give
	// and the base revision's do not, and the other way round (policy
	// list): a rule removed relaxes the policies even where it denied
	// nothing yet.
	RulesAdded   []string `json:"rulesAdded,omitempty"`
	RulesRemoved []string `json:"rulesRemoved,omitempty"`
}

// Relaxed is a denial a change to the policies lets through.
type Relaxed struct {
	Finding
	// InputsChanged is true when the same change also alters the tenant's
	// render inputs: the change relaxes a policy for something it brings
	// in itself, and the check fails. A relaxation alone, for a tenant
	// the change does not touch, is reported for review.
	InputsChanged bool `json:"inputsChanged"`
}

// SelfApproved lists the relaxed denials of tenants the change also
// alters.
func (p *PolicyChange) SelfApproved() []Relaxed {
	if p == nil {
		return nil
	}
	var out []Relaxed
	for _, r := range p.Relaxed {
		if r.InputsChanged {
			out = append(out, r)
		}
	}
	return out
}

// Rev is a revision: what the user named and the commit it resolved to.
type Rev struct {
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit"`
}

// Blast is the blast radius of a change.
type Blast struct {
	Tenants []TenantImpact `json:"tenants"`
	// Counts are derived from Tenants by Finalize.
	Counts Counts `json:"counts"`
}

// Counts summarise a blast radius.
type Counts struct {
	Tenants int `json:"tenants"`
	Added   int `json:"added"`
	Removed int `json:"removed"`
	// Tiers is the number of distinct tiers of the tenants.
	Tiers int `json:"tiers"`
	// Environments is the number of tenant environments affected, and
	// Production how many of them are of the production class.
	Environments int `json:"environments"`
	Production   int `json:"production"`
}

// TenantImpact is one tenant in the blast radius.
type TenantImpact struct {
	Tenant string `json:"tenant"`
	Tier   string `json:"tier"`
	// Change is Added, Removed or Changed.
	Change string `json:"change"`
	// Environments are the tenant's environments whose output changes.
	Environments []string `json:"environments"`
	// Production are those of Environments that are of the production
	// class.
	Production []string `json:"production,omitempty"`
	// Reasons say why the tenant is affected, e.g. "tenants/acme.cue
	// changed", "tier shared changed", "platform.cue changed".
	Reasons []string `json:"reasons"`
	// File is the tenant's CUE file, relative to the estate root: where a
	// result about the tenant points when it has no position of its own.
	File string `json:"file,omitempty"`
}

// TenantDiff is the rendered change of one tenant.
type TenantDiff struct {
	Tenant  string       `json:"tenant"`
	Objects []ObjectDiff `json:"objects"`
}

// ObjectDiff is the change of one rendered object.
type ObjectDiff struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// Change is Added, Removed or Changed.
	Change string `json:"change"`
	// Unified is the unified diff of the object's YAML, with headers
	// "a/Kind/namespace/name" and "b/Kind/namespace/name" (or /dev/null).
	Unified string `json:"unified"`
	// Flags are the review flags the change raises (FlagImage...), in
	// the order of Flags.
	Flags []string `json:"flags,omitempty"`
}

// Finding is a policy result with the place in the estate it concerns.
type Finding struct {
	policy.Result
	// Position is where in the estate the result points (relative to the
	// estate root): the value at the result's CUE path, as the estate
	// package resolves it. Zero when unknown.
	Position Position `json:"position,omitzero"`
}

// Position is a place in an estate file, as the estate package resolves
// it: File relative to the estate root, Line and Column 1-based and zero
// when unknown.
type Position = estate.Position

// Forecast is a tenant a freeze window would hold back if the change were
// merged at the check's instant.
type Forecast struct {
	Tenant      string `json:"tenant"`
	Environment string `json:"environment,omitempty"`
	Window      string `json:"window"`
	// Scope is where the window is declared: "platform", "tier shared",
	// "tenant acme".
	Scope string `json:"scope"`
	// Ends is when the window closes; TimeZone is the zone it is declared
	// in.
	Ends     time.Time `json:"ends"`
	TimeZone string    `json:"timeZone,omitempty"`
	// Endless is true when the window's occurrences follow one another
	// without a gap: Ends is where the calendar stopped following them,
	// not an end.
	Endless bool `json:"endless,omitempty"`
	// Waived is true when a break-glass waiver lets the change through;
	// Waiver names it.
	Waived bool   `json:"waived,omitempty"`
	Waiver string `json:"waiver,omitempty"`
}

// WaiverNote is one waiver of an affected tenant, or of the platform, and
// its state at the check's instant.
type WaiverNote struct {
	// Tenant is empty for the platform's waivers.
	Tenant  string    `json:"tenant"`
	ID      string    `json:"id"`
	Policy  string    `json:"policy"`
	Expires time.Time `json:"expires"`
	// State is WaiverUsed, WaiverExpiring, WaiverExpired, WaiverUnused or
	// WaiverNotApproved.
	State string `json:"state"`
}

// Finalize puts c in report order: it sorts every list but Notes, fills
// the blast-radius counts and sets the verdict: Fail when a denial stands
// or the change relaxes its policies for a tenant it alters, else
// whatever the caller set, else Pass. Write works on a finalized copy,
// so calling Finalize first only matters to read Verdict or Counts.
func (c *Check) Finalize() {
	slices.SortFunc(c.Blast.Tenants, func(a, b TenantImpact) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Tier, b.Tier))
	})
	counts := Counts{Tenants: len(c.Blast.Tenants)}
	tiers := map[string]bool{}
	for i := range c.Blast.Tenants {
		t := &c.Blast.Tenants[i]
		slices.Sort(t.Environments)
		slices.Sort(t.Production)
		slices.Sort(t.Reasons)
		switch t.Change {
		case Added:
			counts.Added++
		case Removed:
			counts.Removed++
		}
		tiers[t.Tier] = true
		counts.Environments += len(t.Environments)
		counts.Production += len(t.Production)
	}
	counts.Tiers = len(tiers)
	c.Blast.Counts = counts

	slices.SortFunc(c.Diffs, func(a, b TenantDiff) int { return cmp.Compare(a.Tenant, b.Tenant) })
	for i := range c.Diffs {
		slices.SortFunc(c.Diffs[i].Objects, compareObjects)
	}
	slices.SortStableFunc(c.Results, compareFindings)
	slices.SortFunc(c.Freeze, func(a, b Forecast) int {
		return cmp.Or(
			cmp.Compare(a.Tenant, b.Tenant),
			cmp.Compare(a.Environment, b.Environment),
			cmp.Compare(a.Window, b.Window),
			cmp.Compare(a.Scope, b.Scope),
			a.Ends.Compare(b.Ends),
		)
	})
	slices.SortFunc(c.Waivers, func(a, b WaiverNote) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Policy, b.Policy))
	})
	if c.Policies != nil {
		slices.Sort(c.Policies.Files)
		slices.SortStableFunc(c.Policies.Relaxed, func(a, b Relaxed) int { return compareFindings(a.Finding, b.Finding) })
	}
	switch {
	case slices.ContainsFunc(c.Results, func(f Finding) bool { return f.Denies() }):
		c.Verdict = Fail
	case len(c.Policies.SelfApproved()) > 0:
		c.Verdict = Fail
	case c.Verdict != Fail:
		c.Verdict = Pass
	}
}

// finalized returns a finalized copy of c that shares no slice with it.
func (c *Check) finalized() *Check {
	d := *c
	d.Blast.Tenants = slices.Clone(c.Blast.Tenants)
	for i := range d.Blast.Tenants {
		t := &d.Blast.Tenants[i]
		t.Environments = slices.Clone(t.Environments)
		t.Production = slices.Clone(t.Production)
		t.Reasons = slices.Clone(t.Reasons)
	}
	d.Diffs = slices.Clone(c.Diffs)
	for i := range d.Diffs {
		d.Diffs[i].Objects = slices.Clone(d.Diffs[i].Objects)
	}
	d.Results = slices.Clone(c.Results)
	d.Freeze = slices.Clone(c.Freeze)
	d.Waivers = slices.Clone(c.Waivers)
	d.Notes = slices.Clone(c.Notes)
	d.Calendar = slices.Clone(c.Calendar)
	if c.Policies != nil {
		p := *c.Policies
		p.Files = slices.Clone(p.Files)
		p.Relaxed = slices.Clone(p.Relaxed)
		d.Policies = &p
	}
	d.Finalize()
	return &d
}

func compareObjects(a, b ObjectDiff) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.APIVersion, b.APIVersion),
	)
}

// compareFindings orders findings as policy.SortResults orders results,
// then by position.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		policy.CompareResults(a.Result, b.Result),
		cmp.Compare(a.Severity, b.Severity),
		cmp.Compare(a.Position.File, b.Position.File),
		cmp.Compare(a.Position.Line, b.Position.Line),
		cmp.Compare(a.Position.Column, b.Position.Column),
	)
}

// tally counts what a report's summary states.
type tally struct {
	denials, waived, warnings int
	frozen                    []string // tenants held back (not waived), sorted
	objects                   int
	added, removed, changed   int
	waivers                   map[string]int // by state
}

func tallyOf(c *Check) tally {
	var t tally
	for _, f := range c.Results {
		switch {
		case f.Denies():
			t.denials++
		case f.Severity == policy.SeverityDeny:
			t.waived++
		default:
			t.warnings++
		}
	}
	for _, f := range c.Freeze {
		if !f.Waived {
			t.frozen = append(t.frozen, f.Tenant)
		}
	}
	slices.Sort(t.frozen)
	t.frozen = slices.Compact(t.frozen)
	for _, d := range c.Diffs {
		for _, o := range d.Objects {
			t.objects++
			switch o.Change {
			case Added:
				t.added++
			case Removed:
				t.removed++
			default:
				t.changed++
			}
		}
	}
	t.waivers = map[string]int{}
	for _, w := range c.Waivers {
		t.waivers[w.State]++
	}
	return t
}

// repoPath returns file, relative to the estate root, relative to the
// repository root.
func (c *Check) repoPath(file string) string {
	if file == "" {
		return ""
	}
	if c.EstateDir == "" || c.EstateDir == "." {
		return path.Clean(file)
	}
	return path.Join(c.EstateDir, file)
}

// repoPos returns p with its file relative to the repository root.
func (c *Check) repoPos(p Position) Position {
	p.File = c.repoPath(p.File)
	return p
}

// tenantFiles maps tenants to their CUE files, from the blast radius.
func (c *Check) tenantFiles() map[string]string {
	m := map[string]string{}
	for _, t := range c.Blast.Tenants {
		if t.File != "" {
			m[t.Tenant] = t.File
		}
	}
	return m
}

// location is where a finding points, relative to the estate root: its
// position, else its tenant's file (no line), else nothing.
func location(f Finding, files map[string]string) Position {
	if f.Position.IsValid() {
		return f.Position
	}
	return Position{File: files[f.Tenant]}
}

// anchor is where the sarif and github formats point a finding, relative
// to the estate root: its location, else the platform file.
func (c *Check) anchor(f Finding, files map[string]string) Position {
	if p := location(f, files); p.IsValid() {
		return p
	}
	return Position{File: c.PlatformFile}
}

// where formats the subject of a result: "tenant/env Kind ns/name".
func where(r policy.Result) string {
	var b strings.Builder
	b.WriteString(owner(r.Tenant))
	if r.Environment != "" {
		b.WriteString("/" + r.Environment)
	}
	if !r.Object.IsZero() {
		b.WriteString(" " + objectName(r.Object.Kind, r.Object.Namespace, r.Object.Name))
	}
	return b.String()
}

// owner names whom a result or waiver is about: its tenant, or the
// platform for the platform's own waivers (no tenant).
func owner(tenant string) string {
	if tenant == "" {
		return "platform"
	}
	return tenant
}

// objectName formats an object as "Kind ns/name" or "Kind name".
func objectName(kind, ns, name string) string {
	return kind + " " + nsName(ns, name)
}

// nsName formats "ns/name", or "name" without a namespace.
func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func shortCommit(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return itoa(n) + " " + one
	}
	return itoa(n) + " " + many
}

// describe is the calendar change in words, for the text and github
// formats: `window "x" (tenant acme) removed: it froze acme, bolt until …`.
func (cc CalendarChange) describe() string {
	where := cc.Calendar
	if cc.Owner != "" {
		where += " " + cc.Owner
	}
	names := cc.Tenants
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(cc.Tenants)-10)
	}
	s := fmt.Sprintf("window %q (%s) %s: it froze %s%s until %s", cc.Window, where, cc.Change,
		strings.Join(names, ", "), more, endText(cc.Ends.UTC(), "", cc.Endless))
	if !cc.EndsNow.IsZero() {
		s += ", now until " + cc.EndsNow.UTC().Format(time.RFC3339)
	}
	return s
}

// endText is how a window's end reads in a report: the instant in RFC 3339,
// followed by zone when given, or "further notice" for an endless window.
func endText(t time.Time, zone string, endless bool) string {
	switch {
	case endless:
		return "further notice"
	case zone != "":
		return t.Format(time.RFC3339) + " " + zone
	}
	return t.Format(time.RFC3339)
}

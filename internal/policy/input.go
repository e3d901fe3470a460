package policy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/render"
)

// Input is the document the rules read as `input`, one per tenant.
// policies/README.md documents every field; rules must not rely on
// anything else.
type Input struct {
	// At is the instant of the evaluation, RFC 3339.
	At       string   `json:"at"`
	Platform Platform `json:"platform"`
	Tenant   Tenant   `json:"tenant"`
	Tier     Tier     `json:"tier"`
	// Environments are the tenant's rendered environments, warm standbys
	// included, in a stable order.
	Environments []Environment `json:"environments"`
	// Images are the verification facts of the images the environments
	// run, as the image stage established them.
	Images      []Image     `json:"images"`
	SupplyChain SupplyChain `json:"supplyChain"`
	Change      Change      `json:"change"`
	// Windows are the freeze windows active for the tenant at At.
	Windows []Window `json:"windows"`
	// FreeAt is, when a window is active, the first instant no window
	// applies to the tenant: the windows' end, followed through windows
	// that begin before or when others end (RFC 3339, UTC); FreeLocal is
	// it in the tenant's zone, as Window.EndLocal. Empty when no window is
	// active, or when the tenant is not free within two years.
	FreeAt    string `json:"freeAt,omitempty"`
	FreeLocal string `json:"freeLocal,omitempty"`
	// Waivers are the tenant's waivers, for information: the engine, not
	// the rules, applies them.
	Waivers []Waiver `json:"waivers"`
}

// Platform holds the platform facts rules read.
type Platform struct {
	Name       string     `json:"name"`
	Registries Registries `json:"registries"`
	// Keys are the names of the platform's signing keys, sorted.
	Keys []string `json:"keys"`
	// Namespaces are the platform's own namespaces that tenant objects may
	// refer to: shared databases and Redis, ingress, monitoring, operators.
	Namespaces []string `json:"namespaces"`
}

// Registries is the platform's image source policy.
type Registries struct {
	// Allowed are registry prefixes such as "registry.example/odoo".
	Allowed []string `json:"allowed"`
}

// Tenant identifies the tenant under evaluation.
type Tenant struct {
	Name     string `json:"name"`
	Brand    string `json:"brand"`
	Tier     string `json:"tier"`
	Segment  string `json:"segment,omitempty"`
	TimeZone string `json:"timeZone"`
	// File is the tenant's CUE file, relative to the estate root.
	File string `json:"file"`
}

// Tier holds the facts of the tenant's tier.
type Tier struct {
	Name        string   `json:"name"`
	Isolation   string   `json:"isolation"`
	SigningKeys []string `json:"signingKeys"`
	// Environments are the tier's facts per environment class.
	Environments map[string]TierEnvironment `json:"environments"`
}

// TierEnvironment is what a tier requires of one environment class.
type TierEnvironment struct {
	Replicas    map[string]estate.ReplicaBounds `json:"replicas"`
	Zones       int                             `json:"zones"`
	PDB         estate.PDB                      `json:"pdb"`
	NodePool    string                          `json:"nodePool"`
	Database    estate.Database                 `json:"database"`
	Redis       estate.Redis                    `json:"redis"`
	Backup      estate.Backup                   `json:"backup"`
	Autoscaling estate.Autoscaling              `json:"autoscaling"`
	Quota       estate.Quota                    `json:"quota"`
}

// Environment is one rendered tenant environment.
type Environment struct {
	// Name is the environment's directory name: its class, or
	// "<class>-standby" for a warm standby.
	Name      string `json:"name"`
	Class     string `json:"class"`
	Namespace string `json:"namespace"`
	Cluster   string `json:"cluster"`
	Region    string `json:"region"`
	Standby   bool   `json:"standby"`
	// Objects are the environment's hydrated Kubernetes objects. The
	// engine adds to the environment, for the rules, the indexes of the
	// objects per kind ("kinds") and per namespace ("namespaces").
	Objects []map[string]any `json:"objects"`
	// PlatformObjects are the objects of the platform directory of the
	// environment's cluster that concern this environment: its Database,
	// the Cluster and ScheduledBackups holding it, its role secrets.
	PlatformObjects []map[string]any `json:"platformObjects"`
}

// Image is what the image stage established about one image reference.
type Image struct {
	// Ref is the reference as the objects or the estate write it.
	Ref string `json:"ref"`
	// Digest is the digest Ref resolved to ("sha256:…").
	Digest   string `json:"digest"`
	Verified bool   `json:"verified"`
	// Signer names the platform key whose signature verified.
	Signer string `json:"signer,omitempty"`
	// SignerIdentity and SignerIssuer are, when Signer is a keyless
	// signer, the identity its certificate names and the OIDC issuer.
	SignerIdentity string `json:"signerIdentity,omitempty"`
	SignerIssuer   string `json:"signerIssuer,omitempty"`
	// Reason says why verification failed.
	Reason string `json:"reason,omitempty"`
}

// SupplyChain says whether supply-chain rules deny (true, once images are
// verified) or only warn.
type SupplyChain struct {
	Enforced bool `json:"enforced"`
}

// Change is what the change under evaluation does to the tenant.
type Change struct {
	// Changed is true when any of the tenant's rendered files change.
	Changed bool `json:"changed"`
	// New is true when the tenant did not exist before.
	New bool `json:"new"`
	// Removed is true when the tenant is no longer in the estate: the
	// change deletes its environments, listed in Environments, and its
	// platform and GitOps wiring. The input then has no environments and
	// no waivers, and its tenant and tier are what the previous render
	// recorded (see RemovedInput).
	Removed bool `json:"removed,omitempty"`
	// Environments lists the names of the changed environments, sorted.
	Environments []string `json:"environments"`
	// Platform lists, per environment, the platform objects serving it
	// that the render changes: its Database and role secret, and the
	// PostgreSQL cluster and backups holding them. Set only for
	// PlatformQuery, which the engine evaluates once the render is final.
	Platform []PlatformChange `json:"platform,omitempty"`
	// Neighbours are the frozen tenants whose platform objects the
	// tenant's change would alter (a new tenant's database growing the
	// shared PostgreSQL cluster they are served by): holding the change
	// back leaves those objects as they are. Set only for PlatformQuery.
	Neighbours []Neighbour `json:"neighbours,omitempty"`
	// HeldPlatform are the clusters whose platform change the render holds
	// back (freeze.platform-change denied it for frozen tenants) on which
	// the tenant's change alters directories: rendered from the same
	// estate, they would not match the platform objects the cluster keeps
	// running. Set only for PlatformQuery.
	HeldPlatform []HeldPlatform `json:"heldPlatform,omitempty"`
	// Lifted are the windows that applied to the tenant at At by the
	// calendars of the estate the baseline was rendered from and that the
	// change ends early: removed from a calendar, no longer applying to
	// the tenant (rescheduled, rescoped, or the tenant moved out of their
	// scope), or ending sooner. Each is as that estate had it. Absent
	// when none is, or when that estate is not known (a render to --out).
	Lifted []LiftedWindow `json:"lifted,omitempty"`
}

// LiftedWindow is a window a change ends early for the tenant: the window
// as the previous estate had it, and how the change ends it.
type LiftedWindow struct {
	Window
	// Change is "removed", "no longer applies" or "ends earlier".
	Change string `json:"change"`
	// EndsNowLocal is, for "ends earlier", the window's new end in the
	// tenant's time zone.
	EndsNowLocal string `json:"endsNowLocal,omitempty"`
}

// LiftedWindows converts calendar.Lifts for tenant t (as the estate the
// windows were active in defines it) into input windows, ends written in
// t's time zone.
func LiftedWindows(lifts []calendar.Lift, t *estate.Tenant) ([]LiftedWindow, error) {
	if len(lifts) == 0 {
		return nil, nil
	}
	was := make([]calendar.Active, len(lifts))
	for i, l := range lifts {
		was[i] = l.Was
	}
	ws, err := Windows(was, t)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: time zone %q: %w", t.Name, t.TimeZone, err)
	}
	out := make([]LiftedWindow, len(lifts))
	for i, l := range lifts {
		out[i] = LiftedWindow{Window: ws[i], Change: l.Change}
		if !l.EndsNow.IsZero() {
			out[i].EndsNowLocal = l.EndsNow.In(loc).Format("2006-01-02 15:04") + " " + t.TimeZone
		}
	}
	return out, nil
}

// HeldPlatform is a cluster whose platform change a render holds back:
// its platform and GitOps directories stay as the previous render made
// them until the frozen tenants they serve are free.
type HeldPlatform struct {
	Cluster string `json:"cluster"`
	// Directories are the held directories ("clusters/<cluster>/platform").
	Directories []string `json:"directories"`
	// Neighbours are the frozen tenants the held change serves, with
	// their windows and what it changes for them, sorted by name.
	Neighbours []Neighbour `json:"neighbours"`
	// FreeLocal is when the last of them is next free of every window, in
	// that tenant's time zone.
	FreeLocal string `json:"freeLocal"`
}

// Neighbour is a tenant a freeze window applies to, and what another
// tenant's change would alter in the platform objects serving it.
type Neighbour struct {
	Tenant string `json:"tenant"`
	// Windows are the windows that apply to it, FreeLocal when it is next
	// free of every window, as in its own input.
	Windows   []Window `json:"windows"`
	FreeLocal string   `json:"freeLocal"`
	// Platform are the platform objects serving its environments that the
	// change alters.
	Platform []PlatformChange `json:"platform"`
}

// PlatformChange is what a render changes in the platform objects that
// serve one environment of a tenant.
type PlatformChange struct {
	Environment string                 `json:"environment"`
	Objects     []PlatformObjectChange `json:"objects"`
}

// PlatformObjectChange is one platform object a render adds, changes or
// removes.
type PlatformObjectChange struct {
	Object Object `json:"object"`
	// Change is added, changed or removed.
	Change string `json:"change"`
	// Fields are the paths of the values that differ, such as
	// "spec.imageName" (changed objects only), sorted.
	Fields []string `json:"fields,omitempty"`
}

// Window is a freeze window active at the evaluation instant.
type Window struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Calendar is where the window is defined: platform, tier or tenant.
	Calendar string      `json:"calendar"`
	Scope    WindowScope `json:"scope"`
	// Zone is the zone the window is read in.
	Zone string `json:"zone"`
	// Start and End bound the active occurrence, RFC 3339 in UTC.
	Start string `json:"start"`
	End   string `json:"end"`
	// EndLocal is End in the tenant's time zone, e.g. "2026-12-02 00:00
	// Europe/Paris", for messages.
	EndLocal string `json:"endLocal"`
	// Endless marks a window whose occurrences follow one another without
	// a gap for as far as the calendar follows them (three years past the
	// evaluation instant): End and EndLocal are where it stopped following,
	// not an end. Absent when false.
	Endless bool `json:"endless,omitempty"`
}

// Until tells how long the window applies, for messages: "until
// 2026-12-02 00:00 Europe/Paris", or "until further notice" when it is
// endless.
func (w Window) Until() string {
	if w.Endless {
		return "until further notice (its occurrences follow one another without a gap)"
	}
	return "until " + w.EndLocal
}

// WindowScope is whom a window applies to.
type WindowScope struct {
	Level string `json:"level"`
	Name  string `json:"name"`
}

// Waiver is a tenant's waiver, as the rules see it.
type Waiver struct {
	ID         string      `json:"id"`
	Policy     string      `json:"policy"`
	Scope      WaiverScope `json:"scope"`
	Reason     string      `json:"reason"`
	Ticket     string      `json:"ticket"`
	Approver   string      `json:"approver"`
	Expires    string      `json:"expires"`
	BreakGlass bool        `json:"breakGlass"`
	// NotApproved, when set, says why the waiver is not in force: the
	// platform names approvers, and this waiver's approver is not one of
	// them or did not sign it (platform.approvers). The engine ignores
	// such a waiver and reports it (waiver.not-approved).
	NotApproved string `json:"notApproved,omitempty"`
}

// WaiverScope narrows a waiver; empty fields match everything. It is the
// estate's own scope, as the tenant wrote it.
type WaiverScope = estate.WaiverScope

// NewInput returns the input for tenant name with the platform, tenant,
// tier and waiver parts filled from e. The caller adds the environments,
// images, supply-chain state, change and windows.
func NewInput(e *estate.Estate, name string, at time.Time) (Input, error) {
	t := e.Tenants[name]
	if t == nil {
		return Input{}, e.UnknownTenant(name)
	}
	tier := e.Tiers[t.Tier]
	if tier == nil {
		return Input{}, fmt.Errorf("tenant %q: unknown tier %q", name, t.Tier)
	}
	in := Input{
		At: at.UTC().Format(time.RFC3339),
		Platform: Platform{
			Name:       e.Platform.Name,
			Registries: Registries{Allowed: slices.Clone(e.Platform.Registries.Allowed)},
			Keys:       sortedKeys(e.Platform.Keys),
			Namespaces: render.PlatformNamespaces(e),
		},
		Tenant: Tenant{
			Name: t.Name, Brand: t.Brand, Tier: t.Tier, Segment: t.Segment,
			TimeZone: t.TimeZone, File: t.File,
		},
		Tier: Tier{
			Name:         tier.Name,
			Isolation:    tier.Isolation,
			SigningKeys:  slices.Clone(tier.SigningKeys),
			Environments: map[string]TierEnvironment{},
		},
		Environments: []Environment{},
		Images:       []Image{},
		Change:       Change{Environments: []string{}},
		Windows:      []Window{},
		Waivers:      Waivers(t),
	}
	if in.Tier.Name == "" {
		in.Tier.Name = t.Tier
	}
	for class, te := range tier.Environments {
		if te == nil {
			continue
		}
		in.Tier.Environments[class] = TierEnvironment{
			Replicas: te.Replicas, Zones: te.Zones, PDB: te.PDB, NodePool: te.NodePool,
			Database: te.Database, Redis: te.Redis, Backup: te.Backup,
			Autoscaling: te.Autoscaling, Quota: te.Quota,
		}
	}
	return in, nil
}

// Removed is what the previous render recorded of a tenant that is no
// longer in the estate: enough to tell which freeze windows still apply
// to it.
type Removed struct {
	Name, Tier, Segment, TimeZone string
	// Environments are the names of its environments in the previous
	// render.
	Environments []string
	// Calendar is its own calendar as the estate the previous render came
	// from had it; nil when that estate is unknown.
	Calendar map[string]estate.Window
}

// RemovedInput returns the input for a tenant the change removes from the
// estate: its facts as recorded, the tier of that name in e (if any), the
// windows of e's platform, tier and segment calendars and of its own
// previous calendar (r.Calendar) active for it at at, no environments and
// no waivers.
func RemovedInput(e *estate.Estate, r Removed, at time.Time) (Input, error) {
	t := &estate.Tenant{Name: r.Name, Tier: r.Tier, Segment: r.Segment, TimeZone: r.TimeZone, Calendar: r.Calendar}
	if t.TimeZone == "" {
		t.TimeZone = e.Platform.TimeZone
	}
	if t.TimeZone == "" {
		t.TimeZone = "UTC"
	}
	e2 := *e
	e2.Tenants = map[string]*estate.Tenant{r.Name: t}
	in, err := NewInput(&e2, r.Name, at)
	if err != nil {
		// A tier removed with the tenant: the platform's and the
		// segment's calendars still apply.
		in, err = NewInput(withTier(&e2, r.Tier), r.Name, at)
		if err != nil {
			return Input{}, err
		}
	}
	in.Tenant.File = ""
	if err := in.SetWindows(&e2, t, at); err != nil {
		return Input{}, err
	}
	envs := slices.Clone(r.Environments)
	slices.Sort(envs)
	in.Change = Change{Changed: true, Removed: true, Environments: slices.Compact(envs)}
	if in.Change.Environments == nil {
		in.Change.Environments = []string{}
	}
	return in, nil
}

// withTier is e with an empty tier of that name added.
func withTier(e *estate.Estate, name string) *estate.Estate {
	e2 := *e
	e2.Tiers = maps.Clone(e.Tiers)
	if e2.Tiers == nil {
		e2.Tiers = map[string]*estate.Tier{}
	}
	e2.Tiers[name] = &estate.Tier{Name: name}
	return &e2
}

// Waivers lists tenant t's waivers sorted by id.
func Waivers(t *estate.Tenant) []Waiver { return waivers(t.Waivers) }

// PlatformWaivers lists the platform's break-glass waivers sorted by id:
// ApplyPlatformWaivers applies them.
func PlatformWaivers(e *estate.Estate) []Waiver { return waivers(e.Platform.Waivers) }

func waivers(ws map[string]estate.Waiver) []Waiver {
	out := []Waiver{}
	for _, id := range sortedKeys(ws) {
		w := ws[id]
		if w.ID == "" {
			w.ID = id
		}
		out = append(out, Waiver{
			ID: w.ID, Policy: w.Policy, Reason: w.Reason, Ticket: w.Ticket, Approver: w.Approver,
			Expires:    w.Expires.UTC().Format(time.RFC3339),
			BreakGlass: w.BreakGlass,
			Scope:      w.Scope, NotApproved: w.NotApproved,
		})
	}
	return out
}

// SetWindows sets the windows active for tenant t at at, and when the
// tenant is next free of them.
func (in *Input) SetWindows(e *estate.Estate, t *estate.Tenant, at time.Time) error {
	active, err := calendar.ActiveAt(e, t, at)
	if err != nil {
		return err
	}
	if in.Windows, err = Windows(active, t); err != nil {
		return err
	}
	in.FreeAt, in.FreeLocal = "", ""
	if len(active) == 0 {
		return nil
	}
	free, err := calendar.NextFree(e, t, at)
	if errors.Is(err, calendar.ErrNotFree) {
		return nil // the windows' ends say enough
	}
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return fmt.Errorf("tenant %q: time zone %q: %w", t.Name, t.TimeZone, err)
	}
	in.FreeAt = free.UTC().Format(time.RFC3339)
	in.FreeLocal = free.In(loc).Format("2006-01-02 15:04") + " " + t.TimeZone
	return nil
}

// Windows converts the windows calendar.ActiveAt returns for tenant t into
// input windows, with their ends written in the tenant's time zone.
func Windows(active []calendar.Active, t *estate.Tenant) ([]Window, error) {
	zone := t.TimeZone
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: time zone %q: %w", t.Name, zone, err)
	}
	out := make([]Window, 0, len(active))
	for _, a := range active {
		level, name := a.Window.Scope.Level, a.Window.Scope.Name
		switch a.Calendar {
		case estate.ScopeTier:
			// Tier and tenant calendars apply where they are defined.
			level, name = estate.ScopeTier, t.Tier
		case estate.ScopeTenant:
			level, name = estate.ScopeTenant, t.Name
		}
		if level == "" {
			level, name = estate.ScopePlatform, ""
		}
		out = append(out, Window{
			Name:     a.Window.Name,
			Kind:     a.Window.Kind,
			Calendar: a.Calendar,
			Scope:    WindowScope{Level: level, Name: name},
			Zone:     a.Zone,
			Start:    a.Start.UTC().Format(time.RFC3339),
			End:      a.End.UTC().Format(time.RFC3339),
			EndLocal: a.End.In(loc).Format("2006-01-02 15:04") + " " + zone,
			Endless:  a.OpenEnd,
		})
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

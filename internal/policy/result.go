package policy

import (
	"cmp"
	"fmt"
	"slices"
)

// Severities of results.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// Policy ids the engine itself reports.
const (
	// FreezePolicy is the rule a change-freeze denial comes from.
	FreezePolicy = "freeze.window-active"
	// NeighbourPolicy is the rule that holds a tenant's change back
	// because it would alter the platform objects serving a frozen
	// tenant (Change.Neighbours).
	NeighbourPolicy = "freeze.platform-neighbour"
	// RemovalPolicy is the rule that holds back the removal of a tenant
	// a window applies to.
	RemovalPolicy = "freeze.tenant-removal"
	// PlatformPolicy is the rule that denies a change of the platform
	// objects while a window applies to a tenant they serve: the render
	// holds the cluster's platform change back (or stops, when it cannot);
	// only the platform's waivers waive it (ApplyPlatformWaivers).
	PlatformPolicy = "freeze.platform-change"
	// PlatformHeldPolicy is the rule that holds a tenant's change back
	// with the platform change of a cluster it reaches (Change.HeldPlatform).
	PlatformHeldPolicy = "freeze.platform-held"
	// LiftedPolicy is the rule that denies a change ending early a window
	// that applies to the tenant (Change.Lifted). It stops the render:
	// the calendar a render compiles into sync windows and suspensions is
	// one, and cannot be held back for a tenant.
	LiftedPolicy = "freeze.window-lifted"

	WaiverExpired       = "waiver.expired"
	WaiverUnused        = "waiver.unused"
	WaiverUsed          = "waiver.used"
	WaiverNotBreakGlass = "waiver.not-break-glass"
	WaiverNotApproved   = "waiver.not-approved"
)

// Result is one finding of the policies about a tenant.
type Result struct {
	PolicyID    string `json:"policy"`
	Severity    string `json:"severity"`
	Tenant      string `json:"tenant"`
	Environment string `json:"environment,omitempty"`
	Object      Object `json:"object,omitzero"`
	Message     string `json:"message"`
	Remediation string `json:"remediation,omitempty"`
	// Path is the CUE path of the estate value to change, when the rule
	// knows it, e.g. ["tenants", "acme", "environments", "production",
	// "replicas", "web"].
	Path []string `json:"path,omitempty"`
	// Image is the repository of the image the result is about, for
	// supply-chain results.
	Image string `json:"image,omitempty"`
	// Window is the freeze window a freeze result is about.
	Window string `json:"window,omitempty"`
	// Waived is true when a waiver in force lets a denial through;
	// WaiverID names it.
	Waived   bool   `json:"waived,omitempty"`
	WaiverID string `json:"waiver,omitempty"`
	// PlatformWaiver is true when WaiverID names one of the platform's
	// waivers (platform.waivers) rather than the tenant's.
	PlatformWaiver bool `json:"platformWaiver,omitempty"`
}

// Object names a Kubernetes object.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// IsZero reports whether no object is named.
func (o Object) IsZero() bool { return o == Object{} }

// String formats the object as "Kind/name" (waivers' scope.object), with
// the namespace in front when it has one: "ns/Kind/name".
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Namespace + "/" + o.Kind + "/" + o.Name
}

// Denies reports whether r stops the change: a denial no waiver lets
// through.
func (r Result) Denies() bool { return r.Severity == SeverityDeny && !r.Waived }

// Denied reports whether any result denies the change.
func Denied(results []Result) bool {
	return slices.ContainsFunc(results, Result.Denies)
}

// Frozen lists, sorted, the tenants a freeze window holds back: those with
// a freeze denial no waiver lets through. A render holds them back and
// renders the others.
func Frozen(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Denies() && holdsBack(r.PolicyID) {
			out = append(out, r.Tenant)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DeniedBeyondFreeze reports whether a result other than a freeze denies
// the change: then nothing may be rendered.
func DeniedBeyondFreeze(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool {
		return r.Denies() && !holdsBack(r.PolicyID)
	})
}

// holdsBack tells the rules whose denials hold the tenant's change back
// rather than stop the render.
func holdsBack(id string) bool {
	return id == FreezePolicy || id == NeighbourPolicy || id == RemovalPolicy || id == PlatformHeldPolicy
}

// SortResults sorts results by tenant, environment, policy id, object and
// message, the order reports print them in.
func SortResults(results []Result) {
	slices.SortStableFunc(results, CompareResults)
}

// CompareResults is the order SortResults sorts in.
func CompareResults(a, b Result) int {
	return cmp.Or(
		cmp.Compare(a.Tenant, b.Tenant),
		cmp.Compare(a.Environment, b.Environment),
		cmp.Compare(a.PolicyID, b.PolicyID),
		cmp.Compare(a.Object.Kind, b.Object.Kind),
		cmp.Compare(a.Object.Namespace, b.Object.Namespace),
		cmp.Compare(a.Object.Name, b.Object.Name),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.WaiverID, b.WaiverID),
	)
}

// resultOf converts one entry of the violations set into a Result,
// checking it against the violations contract (policies/README.md).
func resultOf(tenant string, x any) (Result, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return Result{}, fmt.Errorf("a violation is %T, not an object", x)
	}
	r := Result{Tenant: tenant}
	var err error
	str := func(key string, required bool) string {
		v, present := m[key]
		if !present || v == nil {
			if required && err == nil {
				err = fmt.Errorf("violation %v has no %q", m["id"], key)
			}
			return ""
		}
		s, ok := v.(string)
		if !ok && err == nil {
			err = fmt.Errorf("violation %v: %q is %T, not a string", m["id"], key, v)
		}
		return s
	}
	r.PolicyID = str("id", true)
	r.Severity = str("severity", true)
	r.Message = str("message", true)
	r.Remediation = str("remediation", false)
	r.Environment = str("environment", false)
	r.Image = str("image", false)
	r.Window = str("window", false)
	if err != nil {
		return Result{}, err
	}
	if r.Severity != SeverityDeny && r.Severity != SeverityWarn {
		return Result{}, fmt.Errorf("violation %q has severity %q: want deny or warn", r.PolicyID, r.Severity)
	}
	if o, ok := m["object"].(map[string]any); ok {
		r.Object.Kind, _ = o["kind"].(string)
		r.Object.Namespace, _ = o["namespace"].(string)
		r.Object.Name, _ = o["name"].(string)
	}
	if p, ok := m["path"].([]any); ok {
		for _, l := range p {
			r.Path = append(r.Path, fmt.Sprint(l))
		}
	}
	return r, nil
}

package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// BreakGlassLimit is how far ahead of the evaluation instant a break-glass
// waiver may expire.
const BreakGlassLimit = 72 * time.Hour

// NeedsBreakGlass reports whether a waiver of rule id must be marked
// breakGlass, and expire within BreakGlassLimit, to be in force: the rules
// that guard the freeze windows.
func NeedsBreakGlass(id string) bool {
	return id == FreezePolicy || id == PlatformPolicy || id == LiftedPolicy
}

// applyWaivers marks the results the tenant's waivers let through and adds
// what the engine reports about the waivers themselves: expired, unused,
// not break-glass, used break-glass. Waivers are tried in id order; the
// first that matches a result waives it.
func applyWaivers(in *Input, results []Result) ([]Result, error) {
	if len(in.Waivers) == 0 {
		return results, nil
	}
	at, err := time.Parse(time.RFC3339, in.At)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: input.at %q is not an RFC 3339 instant", in.Tenant.Name, in.At)
	}
	class := map[string]string{}
	for _, env := range in.Environments {
		class[env.Name] = env.Class
	}
	owner := waiverOwner{tenant: in.Tenant.Name, zone: cmp.Or(in.Tenant.TimeZone, "UTC")}
	return waive(owner, at, in.Waivers, results, func(r *Result) string { return class[r.Environment] })
}

// ApplyPlatformWaivers marks the results of rule id (PlatformPolicy or
// LiftedPolicy) that the platform's break-glass waivers for it
// (PlatformWaivers) let through, and adds the engine's notes about those
// waivers, about the platform rather than a tenant: expired, unused, too
// long for a break-glass waiver, used — naming the tenants whose windows
// it broke. The results' environments are environment classes.
func ApplyPlatformWaivers(at time.Time, id string, ws []Waiver, results []Result) ([]Result, error) {
	var mine []Waiver
	for _, w := range ws {
		if w.Policy == id {
			mine = append(mine, w)
		}
	}
	if len(mine) == 0 {
		return results, nil
	}
	return waive(waiverOwner{}, at, mine, results, func(r *Result) string { return r.Environment })
}

// waiverOwner is whose waivers are applied: a tenant's, or the
// platform's when tenant is empty. Instants are said in the tenant's time
// zone, as its windows' ends are ("2026-11-25 10:00 Europe/Paris"), and
// in UTC for the platform, whose windows each have their own zone.
type waiverOwner struct {
	tenant string
	zone   string
}

// local says instant t in the owner's time zone, to the minute unless it
// has seconds. The zone is loaded only for a note, off the path of the
// waivers that let nothing through.
func (o waiverOwner) local(t time.Time) string {
	loc, err := time.LoadLocation(o.zone)
	if o.tenant == "" || err != nil { // the estate checks tenants' zones
		return t.UTC().Format(time.RFC3339)
	}
	layout := "2006-01-02 15:04"
	if t.Second() != 0 || t.Nanosecond() != 0 {
		layout = "2006-01-02 15:04:05.999999999"
	}
	return t.In(loc).Format(layout) + " " + o.zone
}

func (o waiverOwner) path(id string) []string { return WaiverPath(o.tenant, id) }

// WaiverPath is the CUE path of waiver id of the tenant, or of the
// platform when tenant is empty.
func WaiverPath(tenant, id string) []string {
	if tenant == "" {
		return []string{"platform", "waivers", id}
	}
	return []string{"tenants", tenant, "waivers", id}
}

// waive applies waivers to results; classOf is the environment class of a
// result's environment.
func waive(owner waiverOwner, at time.Time, waivers []Waiver, results []Result, classOf func(*Result) string) ([]Result, error) {
	var notes []Result
	for _, w := range waivers {
		note := func(id, msg, fix string) {
			notes = append(notes, Result{
				PolicyID: id, Severity: SeverityWarn, Tenant: owner.tenant,
				Environment: w.Scope.Environment, Message: msg, Remediation: fix,
				Path: owner.path(w.ID), WaiverID: w.ID,
			})
		}
		expires, err := time.Parse(time.RFC3339, w.Expires)
		if err != nil {
			return nil, fmt.Errorf("%s: expires %q is not an RFC 3339 instant", strings.Join(owner.path(w.ID), "."), w.Expires)
		}
		if w.NotApproved != "" {
			note(WaiverNotApproved,
				fmt.Sprintf("waiver %q for %s is not approved and is ignored: %s", w.ID, w.Policy, w.NotApproved),
				fmt.Sprintf("have %s sign it: palisade waiver sign --key <their cosign key> %s (or cosign sign-blob over palisade waiver payload)", w.Approver, waiverRef(owner, w.ID)))
			continue
		}
		if !expires.After(at) {
			note(WaiverExpired,
				fmt.Sprintf("waiver %q for %s expired at %s and is ignored", w.ID, w.Policy, owner.local(expires)),
				"remove the waiver, or renew it with a new expiry and approval")
			continue
		}
		if NeedsBreakGlass(w.Policy) {
			switch {
			case !w.BreakGlass:
				note(WaiverNotBreakGlass,
					fmt.Sprintf("waiver %q for %s is not marked breakGlass and is ignored: only a break-glass waiver lets a change through a freeze", w.ID, w.Policy),
					"set breakGlass: true, with an expiry at most 72 hours ahead, if this is an emergency")
				continue
			case expires.Sub(at) > BreakGlassLimit:
				note(WaiverNotBreakGlass,
					fmt.Sprintf("break-glass waiver %q expires at %s, more than 72 hours after %s, and is ignored", w.ID, owner.local(expires), owner.local(at)),
					"set the expiry at most 72 hours ahead")
				continue
			}
		}
		used := 0
		var tenants []string
		for i := range results {
			r := &results[i]
			if r.Waived || r.PolicyID != w.Policy || !scopeMatches(w.Scope, r, classOf(r)) {
				continue
			}
			r.Waived, r.WaiverID, r.PlatformWaiver = true, w.ID, owner.tenant == ""
			used++
			tenants = append(tenants, r.Tenant)
		}
		slices.Sort(tenants)
		tenants = slices.Compact(tenants)
		switch {
		case used == 0:
			msg := fmt.Sprintf("waiver %q for %s matches no result", w.ID, w.Policy)
			if id := ClosestID(w.Policy); id != "" {
				msg += fmt.Sprintf("; no built-in policy has that id: did you mean %s?", id)
			}
			note(WaiverUnused, msg, "remove the waiver if the problem is fixed, or correct its policy and scope")
		case w.BreakGlass && owner.tenant == "":
			note(WaiverUsed,
				fmt.Sprintf("platform break-glass waiver %q lets %s through the windows of %s (%d result(s)), approved by %s, ticket %s, until %s", w.ID, w.Policy, strings.Join(tenants, ", "), used, w.Approver, w.Ticket, owner.local(expires)),
				"review the emergency change after the fact and remove the waiver")
		case w.BreakGlass:
			note(WaiverUsed,
				fmt.Sprintf("break-glass waiver %q lets %s through (%d result(s)), approved by %s, ticket %s, until %s", w.ID, w.Policy, used, w.Approver, w.Ticket, owner.local(expires)),
				"review the emergency change after the fact and remove the waiver")
		}
	}
	return append(results, notes...), nil
}

// waiverRef is how the waiver commands name a waiver.
func waiverRef(owner waiverOwner, id string) string {
	if owner.tenant == "" {
		return "--platform --waiver " + id
	}
	return "--tenant " + owner.tenant + " --waiver " + id
}

// matches reports whether the scope covers r; envClass is the class of r's
// environment. A scope field that is set must match.
func scopeMatches(s WaiverScope, r *Result, envClass string) bool {
	if s.Tenant != "" && s.Tenant != r.Tenant {
		return false
	}
	if s.Environment != "" && s.Environment != r.Environment && s.Environment != envClass {
		return false
	}
	if s.Window != "" && s.Window != r.Window {
		return false
	}
	if s.Object != "" && s.Object != r.Object.Kind+"/"+r.Object.Name {
		return false
	}
	if s.Image != "" && s.Image != r.Image && s.Image != Repository(r.Image) {
		return false
	}
	return true
}

// Repository strips the tag and digest from an image reference.
func Repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

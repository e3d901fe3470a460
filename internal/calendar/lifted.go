package calendar

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// How a change lifts a window that applies to a tenant (Lift.Change).
const (
	// LiftRemoved: the window is no longer in the calendar.
	LiftRemoved = "removed"
	// LiftNoLongerApplies: the window is still defined but no longer
	// applies to the tenant at the instant: rescheduled, rescoped, or the
	// tenant moved out of its tier, segment or time zone.
	LiftNoLongerApplies = "no longer applies"
	// LiftEndsEarlier: the window still applies but ends sooner.
	LiftEndsEarlier = "ends earlier"
)

// Lift is a window that applied to a tenant at an instant by one estate's
// calendars and that another estate ends early for it.
type Lift struct {
	// Was is the window's occurrence as the first estate has it, for the
	// tenant as that estate defines it.
	Was Active
	// Owner names the tier or tenant whose calendar defines the window;
	// empty for the platform's.
	Owner  string
	Change string
	// EndsNow is when the window ends by the second estate, for
	// LiftEndsEarlier.
	EndsNow time.Time
}

// Lifts lists the windows that apply to the tenant at at by was's
// calendars (wt is the tenant as was defines it) and that now, the tenant
// as now defines it (nt), ends early: removed, no longer applying at at,
// or ending sooner. Windows are told apart by where they are defined —
// the platform's calendar, a tier's or the tenant's — and their name. A
// tenant whose calendar inputs are the same in both has none.
func Lifts(was *estate.Estate, wt *estate.Tenant, now *estate.Estate, nt *estate.Tenant, at time.Time) ([]Lift, error) {
	if SameInputs(was, now, wt, nt) {
		return nil, nil
	}
	before, err := ActiveAt(was, wt, at)
	if err != nil {
		return nil, err
	}
	after, err := ActiveAt(now, nt, at)
	if err != nil {
		return nil, err
	}
	var out []Lift
	for _, a := range before {
		owner := a.owner(wt)
		i := slices.IndexFunc(after, func(h Active) bool {
			return h.Calendar == a.Calendar && h.Window.Name == a.Window.Name && h.owner(nt) == owner
		})
		l := Lift{Was: a, Owner: owner, Change: LiftRemoved}
		switch {
		case i >= 0 && !after[i].End.Before(a.End):
			continue
		case i >= 0:
			l.Change, l.EndsNow = LiftEndsEarlier, after[i].End
		case Defined(now, a.Calendar, owner, a.Window.Name):
			l.Change = LiftNoLongerApplies
		}
		out = append(out, l)
	}
	return out, nil
}

// owner is the tier or tenant whose calendar defines the window, for
// tenant t; empty for the platform's.
func (a Active) owner(t *estate.Tenant) string {
	switch a.Calendar {
	case estate.ScopeTier:
		return t.Tier
	case estate.ScopeTenant:
		return t.Name
	}
	return ""
}

// SameInputs holds when everything that decides which windows apply to a
// tenant is the same in both estates: bt as base defines it, ht as head
// does.
func SameInputs(base, head *estate.Estate, bt, ht *estate.Tenant) bool {
	tierCal := func(e *estate.Estate, t *estate.Tenant) map[string]estate.Window {
		if tier := e.Tiers[t.Tier]; tier != nil {
			return tier.Calendar
		}
		return nil
	}
	same := func(a, b estate.Window) bool { return reflect.DeepEqual(a, b) }
	return bt.Tier == ht.Tier && bt.Segment == ht.Segment && bt.TimeZone == ht.TimeZone &&
		base.Platform.TimeZone == head.Platform.TimeZone &&
		slices.Equal(base.Platform.Holidays, head.Platform.Holidays) &&
		maps.EqualFunc(base.Platform.Calendar, head.Platform.Calendar, same) &&
		maps.EqualFunc(tierCal(base, bt), tierCal(head, ht), same) &&
		maps.EqualFunc(bt.Calendar, ht.Calendar, same)
}

// Defined reports whether e defines the window name in the calendar cal
// (platform, tier or tenant) of owner.
func Defined(e *estate.Estate, cal, owner, name string) bool {
	switch cal {
	case estate.ScopePlatform:
		_, ok := e.Platform.Calendar[name]
		return ok
	case estate.ScopeTier:
		if tier := e.Tiers[owner]; tier != nil {
			_, ok := tier.Calendar[name]
			return ok
		}
	case estate.ScopeTenant:
		if t := e.Tenants[owner]; t != nil {
			_, ok := t.Calendar[name]
			return ok
		}
	}
	return false
}

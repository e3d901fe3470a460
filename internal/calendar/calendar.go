package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// Interval is a half-open interval [Start, End) of absolute time, in UTC.
type Interval struct {
	Start, End time.Time
	// OpenStart (OpenEnd) marks a run of touching occurrences that goes on
	// before Start (after End): Occurrences stopped following it there,
	// maxRunYears from the range asked about. A window whose occurrences
	// leave no gap has no start or end to tell.
	OpenStart, OpenEnd bool
}

// Contains reports whether t lies in [Start, End).
func (iv Interval) Contains(t time.Time) bool {
	return !t.Before(iv.Start) && t.Before(iv.End)
}

// Scoped is a window that applies to a tenant, with where it is defined and
// the zone it is read in for that tenant.
type Scoped struct {
	Window estate.Window
	// Calendar is where the window is defined: estate.ScopePlatform,
	// estate.ScopeTier or estate.ScopeTenant.
	Calendar string
	// Zone is the window's own time zone, else the tenant's, else the
	// platform's.
	Zone string
}

// Active is one window that applies to a tenant at an instant, with the
// occurrence containing the instant (merged with the occurrences of the
// same window it overlaps or touches).
type Active struct {
	Scoped
	Interval
}

// Applicable lists the windows that apply to tenant t: the platform windows
// whose scope is the platform or names t's tier, t's segment or t itself,
// every window of t's tier's calendar, and every window of t's own
// calendar; in that order, each group sorted by name. A platform window
// with an empty scope level counts as platform-wide (the schema's default);
// tier and tenant calendar windows apply by where they are defined, their
// scope is not consulted.
func Applicable(e *estate.Estate, t *estate.Tenant) ([]Scoped, error) {
	zone := func(w estate.Window) string {
		switch {
		case w.TimeZone != "":
			return w.TimeZone
		case t.TimeZone != "":
			return t.TimeZone
		}
		return e.Platform.TimeZone
	}
	var out []Scoped
	add := func(cal string, ws map[string]estate.Window, keep func(estate.Window) (bool, error)) error {
		for _, name := range sortedNames(ws) {
			w := ws[name]
			if w.Name == "" {
				w.Name = name
			}
			ok, err := keep(w)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, Scoped{Window: w, Calendar: cal, Zone: zone(w)})
			}
		}
		return nil
	}
	err := add(estate.ScopePlatform, e.Platform.Calendar, func(w estate.Window) (bool, error) {
		switch w.Scope.Level {
		case "", estate.ScopePlatform:
			return true, nil
		case estate.ScopeTier:
			return w.Scope.Name == t.Tier, nil
		case estate.ScopeSegment:
			return t.Segment != "" && w.Scope.Name == t.Segment, nil
		case estate.ScopeTenant:
			return w.Scope.Name == t.Name, nil
		}
		return false, fmt.Errorf("window %q: unknown scope level %q", w.Name, w.Scope.Level)
	})
	if err != nil {
		return nil, err
	}
	all := func(estate.Window) (bool, error) { return true, nil }
	if tier := e.Tiers[t.Tier]; tier != nil {
		_ = add(estate.ScopeTier, tier.Calendar, all)
	}
	_ = add(estate.ScopeTenant, t.Calendar, all)
	return out, nil
}

// ActiveAt returns the windows active for tenant t at instant at, sorted by
// the end of their occurrence, then by window name, then platform before
// tier before tenant.
func ActiveAt(e *estate.Estate, t *estate.Tenant, at time.Time) ([]Active, error) {
	ws, err := Applicable(e, t)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
	}
	var out []Active
	for _, s := range ws {
		occ, err := Occurrences(s.Window, s.Zone, e.Platform.Holidays, at, at.Add(1))
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		for _, iv := range occ {
			if iv.Contains(at) {
				out = append(out, Active{Scoped: s, Interval: iv})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Active) int {
		return cmp.Or(a.End.Compare(b.End), cmp.Compare(a.Window.Name, b.Window.Name),
			cmp.Compare(calendarOrder[a.Calendar], calendarOrder[b.Calendar]))
	})
	return out, nil
}

// ErrNotFree is NextFree's answer for a tenant that its windows keep
// frozen for NextFreeHorizon and beyond.
var ErrNotFree = errors.New("not free within 2 years")

// NextFreeHorizon is how far NextFree follows the windows.
const NextFreeHorizon = 2 // years

// NextFree returns the first instant at or after at when no window is
// active for tenant t: at itself when nothing is active, else the end of
// the active occurrences, followed through windows that begin before or
// when others end. It returns an error wrapping ErrNotFree when the tenant
// is not free within NextFreeHorizon of at.
func NextFree(e *estate.Estate, t *estate.Tenant, at time.Time) (time.Time, error) {
	limit := at.AddDate(NextFreeHorizon, 0, 0)
	cur := at
	for cur.Before(limit) {
		act, err := ActiveAt(e, t, cur)
		if err != nil {
			return time.Time{}, err
		}
		if len(act) == 0 {
			return cur.UTC(), nil
		}
		cur = act[len(act)-1].End // sorted by end: the latest
	}
	return time.Time{}, fmt.Errorf("tenant %q: %w of %s", t.Name, ErrNotFree, at.UTC().Format(time.RFC3339))
}

// Upcoming returns the occurrences of the windows that apply to tenant t
// beginning after at and before to, sorted by start, then window name,
// then platform before tier before tenant.
func Upcoming(e *estate.Estate, t *estate.Tenant, at, to time.Time) ([]Active, error) {
	ws, err := Applicable(e, t)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
	}
	var out []Active
	for _, s := range ws {
		occ, err := Occurrences(s.Window, s.Zone, e.Platform.Holidays, at, to)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", t.Name, err)
		}
		for _, iv := range occ {
			if iv.Start.After(at) && iv.Start.Before(to) {
				out = append(out, Active{Scoped: s, Interval: iv})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Active) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Window.Name, b.Window.Name),
			cmp.Compare(calendarOrder[a.Calendar], calendarOrder[b.Calendar]))
	})
	return out, nil
}

// calendarOrder sorts platform before tier before tenant windows.
var calendarOrder = map[string]int{estate.ScopePlatform: 0, estate.ScopeTier: 1, estate.ScopeTenant: 2}

func sortedNames(ws map[string]estate.Window) []string {
	names := make([]string, 0, len(ws))
	for n := range ws {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// merge sorts intervals and merges those that overlap or touch.
func merge(ivs []Interval) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int {
		return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End))
	})
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

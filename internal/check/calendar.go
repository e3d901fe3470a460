package check

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/report"
)

// calendarChanges lists the freeze windows active at the check's instant
// that the change ends early for some tenant: removed, rescheduled or
// rescoped so that they no longer apply now, or ending sooner. Editing the
// calendar is the visible way through a freeze; the check makes it
// visible. Only tenants whose calendar inputs differ are examined.
func calendarChanges(base, head *estate.Estate, at time.Time) ([]report.CalendarChange, error) {
	type key struct{ calendar, owner, window string }
	type aggKey struct {
		key
		change string
	}
	byKey := map[aggKey]*report.CalendarChange{}
	keyOf := func(a calendar.Active, t *estate.Tenant) key {
		k := key{calendar: a.Calendar, window: a.Window.Name}
		switch a.Calendar {
		case estate.ScopeTier:
			k.owner = t.Tier
		case estate.ScopeTenant:
			k.owner = t.Name
		}
		return k
	}
	for _, name := range head.TenantNames() {
		bt, ht := base.Tenants[name], head.Tenants[name]
		if bt == nil || sameCalendar(base, head, bt, ht) {
			continue
		}
		was, err := calendar.ActiveAt(base, bt, at)
		if err != nil {
			return nil, err
		}
		now, err := calendar.ActiveAt(head, ht, at)
		if err != nil {
			return nil, err
		}
		for _, a := range was {
			k := keyOf(a, bt)
			i := slices.IndexFunc(now, func(h calendar.Active) bool { return keyOf(h, ht) == k })
			change := report.WindowRemoved
			var endsNow time.Time
			switch {
			case i >= 0 && !now[i].End.Before(a.End):
				continue
			case i >= 0:
				change, endsNow = report.WindowShortened, now[i].End
			case defined(head, k.calendar, k.owner, k.window):
				change = report.WindowNoLongerApplies
			}
			ck := aggKey{k, change}
			c := byKey[ck]
			if c == nil {
				c = &report.CalendarChange{Window: k.window, Calendar: k.calendar, Owner: k.owner, Change: change,
					Position: head.Position(windowPath(k.calendar, k.owner, k.window)...)}
				byKey[ck] = c
			}
			c.Tenants = append(c.Tenants, name)
			if a.End.After(c.Ends) {
				c.Ends, c.Endless = a.End, a.OpenEnd
			}
			if endsNow.After(c.EndsNow) {
				c.EndsNow = endsNow
			}
		}
	}
	out := make([]report.CalendarChange, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b report.CalendarChange) int {
		return cmp.Or(cmp.Compare(a.Calendar, b.Calendar), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Window, b.Window), cmp.Compare(a.Change, b.Change))
	})
	return out, nil
}

// sameCalendar holds when everything that decides which windows apply to
// a tenant is the same in both estates.
func sameCalendar(base, head *estate.Estate, bt, ht *estate.Tenant) bool {
	tierCal := func(e *estate.Estate, t *estate.Tenant) map[string]estate.Window {
		if tier := e.Tiers[t.Tier]; tier != nil {
			return tier.Calendar
		}
		return nil
	}
	return bt.Tier == ht.Tier && bt.Segment == ht.Segment && bt.TimeZone == ht.TimeZone &&
		base.Platform.TimeZone == head.Platform.TimeZone &&
		slices.Equal(base.Platform.Holidays, head.Platform.Holidays) &&
		maps.EqualFunc(base.Platform.Calendar, head.Platform.Calendar, sameWindow) &&
		maps.EqualFunc(tierCal(base, bt), tierCal(head, ht), sameWindow) &&
		maps.EqualFunc(bt.Calendar, ht.Calendar, sameWindow)
}

func sameWindow(a, b estate.Window) bool { return reflect.DeepEqual(a, b) }

// defined reports whether head still defines the window.
func defined(e *estate.Estate, cal, owner, name string) bool {
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

// windowPath is the CUE path of a window's definition.
func windowPath(cal, owner, name string) []string {
	switch cal {
	case estate.ScopeTier:
		return []string{"tiers", owner, "calendar", name}
	case estate.ScopeTenant:
		return []string{"tenants", owner, "calendar", name}
	}
	return []string{"platform", "calendar", name}
}

package check

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
	type aggKey struct{ calendar, owner, window, change string }
	byKey := map[aggKey]*report.CalendarChange{}
	for _, name := range head.TenantNames() {
		bt, ht := base.Tenants[name], head.Tenants[name]
		if bt == nil {
			continue
		}
		lifts, err := calendar.Lifts(base, bt, head, ht, at)
		if err != nil {
			return nil, err
		}
		for _, l := range lifts {
			k := aggKey{l.Was.Calendar, l.Owner, l.Was.Window.Name, l.Change}
			c := byKey[k]
			if c == nil {
				c = &report.CalendarChange{Window: k.window, Calendar: k.calendar, Owner: k.owner, Change: k.change,
					Position: head.Position(windowPath(k.calendar, k.owner, k.window)...)}
				byKey[k] = c
			}
			c.Tenants = append(c.Tenants, name)
			if l.Was.End.After(c.Ends) {
				c.Ends, c.Endless = l.Was.End, l.Was.OpenEnd
			}
			if l.EndsNow.After(c.EndsNow) {
				c.EndsNow = l.EndsNow
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

// windowReason says, for the blast radius, which windows applying to a
// tenant a change adds, removes or reschedules.
func windowReason(wcs []calendar.WindowChange) string {
	parts := make([]string, len(wcs))
	for i, wc := range wcs {
		parts[i] = fmt.Sprintf("%s (%s calendar) %s", wc.Window, wc.Calendar, wc.Change)
	}
	return "its freeze windows change, and with them when its environments may sync: " + strings.Join(parts, ", ")
}

package calendar

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// How a change alters a window that applies to a tenant
// (WindowChange.Change).
const (
	WindowAdded   = "added"
	WindowRemoved = "removed"
	WindowChanged = "changed"
)

// WindowChange is a window that applies to a tenant by one estate's
// calendars and not, or not the same, by another's: a change to when the
// tenant's deployments are frozen, whether or not it is frozen now.
type WindowChange struct {
	// Calendar is where the window is defined (estate.ScopePlatform,
	// ScopeTier or ScopeTenant) and Owner the tier or tenant whose
	// calendar it is; empty for the platform's.
	Calendar, Owner, Window string
	// Change is WindowAdded, WindowRemoved or WindowChanged.
	Change string
}

// WindowChanges lists the windows that apply to the tenant by one estate
// and not the same way by the other — bt is the tenant as base defines
// it, ht as head does: added, removed, or changed in their schedule or time
// zone (a monthly window's business days also follow the
// platform's holidays). Windows are told apart by where they are defined
// and their name, and listed in that order. A tenant whose calendar
// inputs are the same in both has none.
func WindowChanges(base, head *estate.Estate, bt, ht *estate.Tenant) ([]WindowChange, error) {
	if SameInputs(base, head, bt, ht) {
		return nil, nil
	}
	before, err := Applicable(base, bt)
	if err != nil {
		return nil, err
	}
	after, err := Applicable(head, ht)
	if err != nil {
		return nil, err
	}
	type key struct{ calendar, owner, window string }
	keyOf := func(s Scoped, t *estate.Tenant) key {
		return key{s.Calendar, Active{Scoped: s}.owner(t), s.Window.Name}
	}
	holidays := !slices.Equal(base.Platform.Holidays, head.Platform.Holidays)
	was := map[key]Scoped{}
	for _, s := range before {
		was[keyOf(s, bt)] = s
	}
	var out []WindowChange
	add := func(k key, change string) {
		out = append(out, WindowChange{Calendar: k.calendar, Owner: k.owner, Window: k.window, Change: change})
	}
	for _, s := range after {
		k := keyOf(s, ht)
		w, ok := was[k]
		delete(was, k)
		switch {
		case !ok:
			add(k, WindowAdded)
		case !sameScoped(w, s) || holidays && s.Window.Monthly != nil:
			add(k, WindowChanged)
		}
	}
	for k := range was {
		add(k, WindowRemoved)
	}
	slices.SortFunc(out, func(a, b WindowChange) int {
		return cmp.Or(cmp.Compare(a.Calendar, b.Calendar), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Window, b.Window))
	})
	return out, nil
}

// sameScoped holds when two windows freeze the same times: the same
// schedule in the same zone. Their kind, description, scope (they apply
// to the tenant either way) and file do not matter.
func sameScoped(a, b Scoped) bool {
	x, y := a.Window, b.Window
	return a.Zone == b.Zone && reflect.DeepEqual(
		[]any{x.Fixed, x.Yearly, x.Monthly, x.Weekly, x.RRule},
		[]any{y.Fixed, y.Yearly, y.Monthly, y.Weekly, y.RRule})
}

# METADATA
# title: Change freezes
# description: |
#   No change reaches a tenant while a freeze window applies to it. The
#   engine lets a denial through only for a break-glass waiver that names
#   the window and expires within 72 hours.
package palisade.rules.freeze

import data.palisade.lib

violations contains v if {
	input.change.changed == true
	not removed
	some w in input.windows
	count(changed_environments) == 0
	v := freeze_violation(w)
}

violations contains v if {
	input.change.changed == true
	not removed
	some w in input.windows
	some env in changed_environments
	v := object.union(freeze_violation(w), {
		"environment": env,
		"message": sprintf("change to %q (%s) is frozen by %s window %q (%s) %s%s", [input.tenant.name, env, w.kind, w.name, scope_text(w.scope), until_text(w), free_text(w)]),
	})
}

changed_environments := object.get(input.change, "environments", [])

# free_local is when the tenant is next free of every window: the window's
# end, or later when other windows follow it (input.freeLocal).
free_local(w) := input.freeLocal if {
	input.freeLocal != ""
} else := w.endLocal

# free_text tells when the tenant is next free, if windows that follow keep
# it frozen past this window's end.
free_text(w) := "" if {
	w.endless == true
} else := " (and by the windows that follow, until further notice)" if {
	never_free
} else := sprintf(" (and by the windows that follow, until %s)", [free_local(w)]) if {
	free_local(w) != w.endLocal
} else := ""

# until_text tells how long window w applies. An endless window's
# occurrences follow one another without a gap as far as the calendar
# follows them: its endLocal is where the calendar stopped, not an end.
until_text(w) := "until further notice (its occurrences follow one another without a gap)" if {
	w.endless == true
} else := sprintf("until %s", [w.endLocal])

# never_free holds when an endless window keeps the tenant from ever being
# free (the engine then gives no freeLocal).
never_free if {
	object.get(input, "freeLocal", "") == ""
	some w in input.windows
	w.endless == true
}

# held_until tells until when a change held back by window w waits.
held_until(w) := "until further notice, while an endless window applies" if {
	never_free
} else := sprintf("until the tenant is free (%s)", [free_local(w)])

removed if input.change.removed == true

# Removing a tenant from the estate takes its GitOps application and its
# platform wiring (database, role, network access) with it, and the
# controller would delete its workloads. While a window applies, the
# removal is denied and held back like any frozen change: the render keeps
# the tenant as the previous render made it.
violations contains lib.with_path(
	object.union(
		lib.tenant_violation(
			"freeze.tenant-removal", "deny",
			sprintf("removing tenant %q deletes its environments (%s), its database wiring and its GitOps applications, but %s window %q (%s) applies to it %s%s", [input.tenant.name, environments_text, w.kind, w.name, scope_text(w.scope), until_text(w), free_text(w)]),
			sprintf("the removal is held back %s: its environments, databases and GitOps applications stay as the last render made them%s", [held_until(w), removal_sooner(w)]),
		),
		{"window": w.name},
	),
	window_path(w),
) if {
	removed
	some w in input.windows
}

# removal_sooner tells how to remove a tenant sooner than its own window
# allows: the removal is judged by the tenant's calendar as the last render
# had it, so the window has to end in a render of its own first — and
# ending it early takes a break-glass waiver (freeze.window-lifted), which
# the removed tenant's file can no longer carry.
removal_sooner(w) := "; to remove it sooner, end the window in the tenant's calendar under a break-glass waiver (policy freeze.window-lifted) and remove the tenant once that change is rendered" if {
	w.calendar == "tenant"
} else := ""

environments_text := concat(", ", changed_environments) if count(changed_environments) > 0

else := "none left"

# Ending a window early while it applies lifts the freeze as surely as
# a change through it: a window removed from a calendar, rescheduled or
# rescoped away from the tenant, the tenant moved out of the window's
# tier, segment or time zone, or the window shortened. The engine compares
# the windows that apply at input.at by the calendars of the estate the
# baseline was rendered from with those of the estate rendered, and lists
# under input.change.lifted those the change ends early, as they were.
# The denial stops the render (a render compiles one calendar into every
# tenant's sync windows and suspensions, and cannot hold it back for one);
# a break-glass waiver lets it through.
violations contains lib.with_path(
	object.union(
		lib.tenant_violation(
			"freeze.window-lifted", "deny",
			sprintf("this change ends %s window %q (%s) early for %q while it applies: as last rendered, it applies %s; %s", [w.kind, w.name, scope_text(w.scope), input.tenant.name, until_text(w), lifted_text(w)]),
			sprintf("leave the window as it is until it ends, or have an approver add a break-glass waiver to end the freeze sooner (policy freeze.window-lifted, scope.window %q, breakGlass: true, expiring within 72 hours): %s", [w.name, draft_text("freeze.window-lifted", w)]),
		),
		{"window": w.name},
	),
	window_path(w),
) if {
	some w in object.get(input.change, "lifted", [])
}

# lifted_text tells what the change does to a lifted window.
lifted_text(w) := sprintf("now it ends %s", [w.endsNowLocal]) if {
	w.change == "ends earlier"
} else := sprintf("the change removes it from the %s's calendar", [w.calendar]) if {
	w.change == "removed"
} else := "now it no longer applies to the tenant"

freeze_violation(w) := lib.with_path(
	object.union(
		lib.tenant_violation(
			"freeze.window-active", "deny",
			sprintf("change to %q is frozen by %s window %q (%s) %s%s", [input.tenant.name, w.kind, w.name, scope_text(w.scope), until_text(w), free_text(w)]),
			sprintf("%s, or have an approver add a break-glass waiver (policy freeze.window-active, scope.window %q, breakGlass: true, expiring within 72 hours): %s", [wait_text(w), w.name, draft_text("freeze.window-active", w)]),
		),
		{"window": w.name},
	),
	window_path(w),
)

# draft_text is the command that drafts the break-glass waiver of rule id
# for window w, checked against the estate.
draft_text(id, w) := sprintf("palisade waiver draft --tenant %s%s --window %s --ticket TICKET --reason REASON --approver EMAIL", [input.tenant.name, draft_policy(id), w.name])

draft_policy(id) := "" if id == "freeze.window-active"

else := sprintf(" --policy %s", [id])

# wait_text is the first remedy for a window: waiting, unless it never ends.
wait_text(w) := "waiting will not help, the window's occurrences leave no gap: correct its schedule if that is not meant" if {
	w.endless == true
} else := "wait until the window ends"

scope_text(scope) := sprintf("%s scope", [scope.level]) if {
	scope.level in {"platform", "tenant"}
} else := sprintf("%s %q scope", [scope.level, scope.name]) if {
	scope.name != ""
} else := sprintf("%s scope", [scope.level])

# window_path is where the window is defined: the platform's, the tier's or
# the tenant's calendar.
window_path(w) := ["platform", "calendar", w.name] if {
	w.calendar == "platform"
} else := ["tiers", input.tier.name, "calendar", w.name] if {
	w.calendar == "tier"
} else := ["tenants", input.tenant.name, "calendar", w.name]

# platform_violations is the rule freeze.platform-change. The engine
# evaluates it on its own (not through violations), once a render is final,
# for each tenant whose platform objects the render changes while a window
# applies to the tenant: its Database and role secret, and the PostgreSQL
# cluster and backups holding them. Platform objects serve many tenants
# and cannot be held back for one: the render holds back the cluster's
# platform directories whole, with the changes of the tenants whose
# directories on the cluster change (freeze.platform-held, below), and
# the rest proceeds. The tenant's waivers do not apply to it; the
# platform's break-glass waivers (platform.waivers in the estate) do.
platform_violations contains lib.with_path(
	object.union(
		lib.violation(
			"freeze.platform-change", "deny", {"name": p.environment},
			sprintf("platform objects serving %q (%s) change while %s window %q (%s) applies to it %s%s: %s", [input.tenant.name, p.environment, w.kind, w.name, scope_text(w.scope), until_text(w), free_text(w), objects_text(p.objects)]),
			sprintf("the cluster's platform change is held back %s, with the changes of the tenants whose directories on the cluster change: platform objects serve several tenants and cannot be held back for one; in an emergency, a platform break-glass waiver (platform.waivers) lets it through", [held_until(w)]),
		),
		{"window": w.name},
	),
	window_path(w),
) if {
	some p in object.get(input.change, "platform", [])
	some w in input.windows
}

# A tenant's change that alters the platform objects serving a frozen
# neighbour (a new tenant's database grows the shared PostgreSQL cluster)
# is held back until the neighbour is free, and the other changes
# proceed. The engine finds such changes by rendering without them, and
# lists what each alters under input.change.neighbours. One denial per
# neighbour.
platform_violations contains object.union(
	lib.tenant_violation(
		"freeze.platform-neighbour", "deny",
		sprintf("%s alters platform objects serving %q, frozen by %s%s: %s", [change_text, n.tenant, windows_text(n.windows), neighbour_free_text(n), neighbour_objects_text(n)]),
		sprintf("it is held back until %q is free (%s): the platform objects serve both tenants and cannot change for one of them alone", [n.tenant, neighbour_free(n)]),
	),
	{"window": n.windows[0].name},
) if {
	some n in object.get(input.change, "neighbours", [])
	count(n.windows) > 0
}

# A tenant's change that alters its directories on a cluster whose
# platform change is held back is held back with it: those directories are
# rendered from the same estate as the held platform objects (a new
# PostgreSQL service name, a new bucket in a dedicated cluster's backups),
# so they land together once the frozen tenants are free. The engine lists
# such clusters under input.change.heldPlatform. One denial per cluster.
platform_violations contains object.union(
	lib.tenant_violation(
		"freeze.platform-held", "deny",
		sprintf("%s alters its directories on cluster %q, whose platform change is held back: it changes platform objects serving %s", [change_text, h.cluster, held_neighbours_text(h.neighbours)]),
		sprintf("it is held back with the cluster's platform change (%s) until %s: the tenant's directories there are rendered from the same estate as the platform objects", [concat(", ", h.directories), held_free_text(h)]),
	),
	{"window": h.neighbours[0].windows[0].name},
) if {
	some h in object.get(input.change, "heldPlatform", [])
	count(h.neighbours) > 0
	count(h.neighbours[0].windows) > 0
}

# held_neighbours_text names the first three frozen tenants and their
# windows, and counts the others: a platform-scope window freezes every
# tenant of a cluster.
held_neighbours_text(ns) := sprintf("%s, frozen by %s", [held_names(ns), windows_text(ns[0].windows)]) if count(ns) == 1

else := sprintf("%s; %q is frozen by %s", [held_names(ns), ns[0].tenant, windows_text(ns[0].windows)])

held_names(ns) := concat(", ", [sprintf("%q", [n.tenant]) | some n in array.slice(ns, 0, 3)]) if count(ns) <= 3

else := sprintf("%s and %d more", [concat(", ", [sprintf("%q", [n.tenant]) | some n in array.slice(ns, 0, 3)]), count(ns) - 3])

held_free_text(h) := sprintf("they are free (%s)", [h.freeLocal]) if {
	count(h.neighbours) > 1
	h.freeLocal != ""
} else := sprintf("%q is free (%s)", [h.neighbours[0].tenant, h.freeLocal]) if {
	h.freeLocal != ""
} else := sprintf("%q is free (%s)", [h.neighbours[0].tenant, neighbour_free(h.neighbours[0])])

change_text := sprintf("removing tenant %q", [input.tenant.name]) if removed

else := sprintf("change to %q", [input.tenant.name])

windows_text(ws) := concat(" and ", [sprintf("%s window %q (%s) %s", [w.kind, w.name, scope_text(w.scope), until_text(w)]) | some w in ws])

# neighbour_free is when the neighbour is next free of every window.
neighbour_free(n) := n.freeLocal if n.freeLocal != ""

else := "no free instant in sight" if {
	some w in n.windows
	w.endless == true
}

else := n.windows[count(n.windows) - 1].endLocal

neighbour_free_text(n) := sprintf(" (and by the windows that follow, until %s)", [n.freeLocal]) if {
	n.freeLocal != ""
	every w in n.windows {
		w.endLocal != n.freeLocal
	}
} else := ""

neighbour_objects_text(n) := concat("; ", [sprintf("%s: %s", [p.environment, objects_text(p.objects)]) | some p in n.platform])

objects_text(objs) := concat("; ", [object_text(o) | some o in objs])

object_text(o) := sprintf("%s %s/%s %s (%s)", [o.object.kind, o.object.namespace, o.object.name, o.change, concat(", ", o.fields)]) if {
	count(object.get(o, "fields", [])) > 0
} else := sprintf("%s %s/%s %s", [o.object.kind, o.object.namespace, o.object.name, o.change])

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
	some w in input.windows
	count(changed_environments) == 0
	v := freeze_violation(w)
}

violations contains v if {
	input.change.changed == true
	some w in input.windows
	some env in changed_environments
	v := object.union(freeze_violation(w), {
		"environment": env,
		"message": sprintf("change to %q (%s) is frozen by %s window %q (%s) until %s", [input.tenant.name, env, w.kind, w.name, scope_text(w.scope), w.endLocal]),
	})
}

changed_environments := object.get(input.change, "environments", [])

freeze_violation(w) := lib.with_path(
	object.union(
		lib.tenant_violation(
			"freeze.window-active", "deny",
			sprintf("change to %q is frozen by %s window %q (%s) until %s", [input.tenant.name, w.kind, w.name, scope_text(w.scope), w.endLocal]),
			sprintf("wait until the window ends, or have an approver add a break-glass waiver (policy freeze.window-active, scope.window %q, breakGlass: true, expiring within 72 hours)", [w.name]),
		),
		{"window": w.name},
	),
	window_path(w),
)

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

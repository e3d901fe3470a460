package palisade.tests.freeze

import data.palisade.fixtures as fx

window := {
	"name": "black-friday-2026", "kind": "promotion", "calendar": "tenant",
	"scope": {"level": "tenant", "name": "acme"}, "zone": "Europe/Paris",
	"start": "2026-11-26T23:00:00Z", "end": "2026-12-01T23:00:00Z",
	"endLocal": "2026-12-02 00:00 Europe/Paris",
}

frozen(change, windows) := json.patch(fx.shared, [
	{"op": "replace", "path": "/change", "value": change},
	{"op": "replace", "path": "/windows", "value": windows},
])

test_no_change_is_not_frozen if {
	not "freeze.window-active" in fx.ids with input as frozen({"changed": false, "new": false, "environments": []}, [window])
}

test_change_outside_windows_passes if {
	not "freeze.window-active" in fx.ids with input as frozen({"changed": true, "new": false, "environments": ["production"]}, [])
}

test_change_in_window_denied if {
	inp := frozen({"changed": true, "new": false, "environments": []}, [window])
	fx.found("freeze.window-active") == [{
		"id": "freeze.window-active",
		"severity": "deny",
		"message": `change to "acme" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`,
		"remediation": `wait until the window ends, or have an approver add a break-glass waiver (policy freeze.window-active, scope.window "black-friday-2026", breakGlass: true, expiring within 72 hours): palisade waiver draft --tenant acme --window black-friday-2026 --ticket TICKET --reason REASON --approver EMAIL`,
		"window": "black-friday-2026",
		"path": ["tenants", "acme", "calendar", "black-friday-2026"],
	}] with input as inp
}

test_change_in_window_denied_per_environment if {
	inp := frozen({"changed": true, "new": false, "environments": ["production", "staging"]}, [window])
	{[v.environment, v.message] | some v in fx.found("freeze.window-active")} == {
		["production", `change to "acme" (production) is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`],
		["staging", `change to "acme" (staging) is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`],
	} with input as inp
}

test_scopes_and_paths if {
	windows := [
		object.union(window, {"name": "month-end", "kind": "financial-close", "calendar": "platform", "scope": {"level": "platform", "name": ""}}),
		object.union(window, {"name": "winter-sales", "calendar": "tier", "scope": {"level": "tier", "name": "shared"}}),
		object.union(window, {"name": "stock-count", "kind": "stock-count", "calendar": "platform", "scope": {"level": "segment", "name": "fashion-eu"}}),
		object.union(window, {"name": "cutoff", "kind": "warehouse-cutoff", "calendar": "platform", "scope": {"level": "segment", "name": ""}}),
	]
	inp := frozen({"changed": true, "new": false, "environments": []}, windows)
	{[v.path, v.message] | some v in fx.found("freeze.window-active")} == {
		[["platform", "calendar", "month-end"], `change to "acme" is frozen by financial-close window "month-end" (platform scope) until 2026-12-02 00:00 Europe/Paris`],
		[["tiers", "shared", "calendar", "winter-sales"], `change to "acme" is frozen by promotion window "winter-sales" (tier "shared" scope) until 2026-12-02 00:00 Europe/Paris`],
		[["platform", "calendar", "stock-count"], `change to "acme" is frozen by stock-count window "stock-count" (segment "fashion-eu" scope) until 2026-12-02 00:00 Europe/Paris`],
		[["platform", "calendar", "cutoff"], `change to "acme" is frozen by warehouse-cutoff window "cutoff" (segment scope) until 2026-12-02 00:00 Europe/Paris`],
	} with input as inp
}

removal(windows, envs) := json.patch(fx.shared, [
	{"op": "replace", "path": "/change", "value": {"changed": true, "new": false, "removed": true, "environments": envs}},
	{"op": "replace", "path": "/windows", "value": windows},
	{"op": "replace", "path": "/environments", "value": []},
	{"op": "replace", "path": "/images", "value": []},
	{"op": "replace", "path": "/waivers", "value": []},
])

test_removal_in_window_denied if {
	month_end := object.union(window, {"name": "month-end", "kind": "financial-close", "calendar": "platform", "scope": {"level": "platform", "name": ""}})
	inp := removal([month_end], ["production", "staging"])
	fx.found("freeze.tenant-removal") == [{
		"id": "freeze.tenant-removal",
		"severity": "deny",
		"message": `removing tenant "acme" deletes its environments (production, staging), its database wiring and its GitOps applications, but financial-close window "month-end" (platform scope) applies to it until 2026-12-02 00:00 Europe/Paris`,
		"remediation": "the removal is held back until the tenant is free (2026-12-02 00:00 Europe/Paris): its environments, databases and GitOps applications stay as the last render made them",
		"window": "month-end",
		"path": ["platform", "calendar", "month-end"],
	}] with input as inp
	not "freeze.window-active" in fx.ids with input as inp
}

test_removal_without_environments_left if {
	some v in fx.found("freeze.tenant-removal") with input as removal([window], [])
	contains(v.message, "deletes its environments (none left)")
}

test_removal_outside_windows_passes if {
	count(fx.found("freeze.tenant-removal")) == 0 with input as removal([], ["production"])
	count([v | some v in data.palisade.violations; v.severity == "deny"]) == 0 with input as removal([], ["production"])
}

platform_change(windows) := json.patch(fx.shared, [
	{"op": "replace", "path": "/change", "value": {"changed": false, "new": false, "environments": [], "platform": [{
		"environment": "production",
		"objects": [
			{"object": {"kind": "Cluster", "namespace": "postgres-shared", "name": "pg-shared"}, "change": "changed", "fields": ["spec.imageName", "spec.storage.size"]},
			{"object": {"kind": "Database", "namespace": "postgres-shared", "name": "acme-prod"}, "change": "removed"},
		],
	}]}},
	{"op": "replace", "path": "/windows", "value": windows},
])

test_platform_change_in_window_denied if {
	month_end := object.union(window, {"name": "month-end", "kind": "financial-close", "calendar": "platform", "scope": {"level": "platform", "name": ""}})
	data.palisade.rules.freeze.platform_violations == {{
		"id": "freeze.platform-change",
		"severity": "deny",
		"environment": "production",
		"message": `platform objects serving "acme" (production) change while financial-close window "month-end" (platform scope) applies to it until 2026-12-02 00:00 Europe/Paris: Cluster postgres-shared/pg-shared changed (spec.imageName, spec.storage.size); Database postgres-shared/acme-prod removed`,
		"remediation": "the cluster's platform change is held back until the tenant is free (2026-12-02 00:00 Europe/Paris), with the changes of the tenants whose directories on the cluster change: platform objects serve several tenants and cannot be held back for one; in an emergency, a platform break-glass waiver (platform.waivers) lets it through",
		"window": "month-end",
		"path": ["platform", "calendar", "month-end"],
	}} with input as platform_change([month_end])
}

test_platform_change_outside_windows_passes if {
	count(data.palisade.rules.freeze.platform_violations) == 0 with input as platform_change([])
}

test_platform_change_is_not_a_violation_of_the_render if {
	not "freeze.platform-change" in fx.ids with input as platform_change([window])
}

neighbour_change(windows, free) := json.patch(fx.shared, [
	{"op": "replace", "path": "/change", "value": {"changed": true, "new": true, "environments": ["production"], "neighbours": [{
		"tenant": "bolt",
		"windows": windows,
		"freeLocal": free,
		"platform": [{
			"environment": "production",
			"objects": [{"object": {"kind": "Cluster", "namespace": "postgres-shared", "name": "pg-shared"}, "change": "changed", "fields": ["spec.storage.size"]}],
		}],
	}]}},
	{"op": "replace", "path": "/windows", "value": []},
])

test_platform_neighbour_held_back if {
	data.palisade.rules.freeze.platform_violations == {{
		"id": "freeze.platform-neighbour",
		"severity": "deny",
		"message": `change to "acme" alters platform objects serving "bolt", frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris: production: Cluster postgres-shared/pg-shared changed (spec.storage.size)`,
		"remediation": `it is held back until "bolt" is free (2026-12-02 00:00 Europe/Paris): the platform objects serve both tenants and cannot change for one of them alone`,
		"window": "black-friday-2026",
	}} with input as neighbour_change([window], "")
}

test_platform_neighbour_windows_that_follow_are_named if {
	close := object.union(window, {"name": "month-end", "kind": "financial-close", "calendar": "platform", "scope": {"level": "platform", "name": ""}})
	[v.message | some v in data.palisade.rules.freeze.platform_violations] == [`change to "acme" alters platform objects serving "bolt", frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris and financial-close window "month-end" (platform scope) until 2026-12-02 00:00 Europe/Paris (and by the windows that follow, until 2026-12-05 00:00 Europe/Paris): production: Cluster postgres-shared/pg-shared changed (spec.storage.size)`] with input as neighbour_change([window, close], "2026-12-05 00:00 Europe/Paris")
	[v.remediation | some v in data.palisade.rules.freeze.platform_violations] == [`it is held back until "bolt" is free (2026-12-05 00:00 Europe/Paris): the platform objects serve both tenants and cannot change for one of them alone`] with input as neighbour_change([window, close], "2026-12-05 00:00 Europe/Paris")
}

test_platform_neighbour_removal_says_so if {
	inp := json.patch(neighbour_change([window], ""), [{"op": "add", "path": "/change/removed", "value": true}])
	some v in data.palisade.rules.freeze.platform_violations with input as inp
	startswith(v.message, `removing tenant "acme" alters platform objects serving "bolt", frozen by `)
}

test_platform_neighbour_without_windows_passes if {
	count(data.palisade.rules.freeze.platform_violations) == 0 with input as neighbour_change([], "")
	not "freeze.platform-neighbour" in fx.ids with input as neighbour_change([window], "")
}

held_platform_change(neighbours, free) := json.patch(fx.shared, [
	{"op": "replace", "path": "/change", "value": {"changed": true, "new": false, "environments": ["production"], "heldPlatform": [{
		"cluster": "eu-west-prod",
		"directories": ["clusters/eu-west-prod/platform"],
		"neighbours": neighbours,
		"freeLocal": free,
	}]}},
	{"op": "replace", "path": "/windows", "value": []},
])

held_neighbour(name, windows) := {
	"tenant": name,
	"windows": windows,
	"freeLocal": "",
	"platform": [{
		"environment": "production",
		"objects": [{"object": {"kind": "Cluster", "namespace": "postgres-shared", "name": "pg-shared"}, "change": "changed", "fields": ["spec.imageName"]}],
	}],
}

test_platform_held_holds_back if {
	data.palisade.rules.freeze.platform_violations == {{
		"id": "freeze.platform-held",
		"severity": "deny",
		"message": `change to "acme" alters its directories on cluster "eu-west-prod", whose platform change is held back: it changes platform objects serving "bolt", frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`,
		"remediation": `it is held back with the cluster's platform change (clusters/eu-west-prod/platform) until "bolt" is free (2026-12-02 00:00 Europe/Paris): the tenant's directories there are rendered from the same estate as the platform objects`,
		"window": "black-friday-2026",
	}} with input as held_platform_change([held_neighbour("bolt", [window])], "2026-12-02 00:00 Europe/Paris")
}

test_platform_held_names_three_and_counts_the_rest if {
	ns := [held_neighbour(n, [window]) | some n in ["bolt", "crane", "delta", "echo", "fjord"]]
	[v.message | some v in data.palisade.rules.freeze.platform_violations] == [`change to "acme" alters its directories on cluster "eu-west-prod", whose platform change is held back: it changes platform objects serving "bolt", "crane", "delta" and 2 more; "bolt" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`] with input as held_platform_change(ns, "2026-12-05 00:00 Europe/Paris")
	[v.remediation | some v in data.palisade.rules.freeze.platform_violations] == [`it is held back with the cluster's platform change (clusters/eu-west-prod/platform) until they are free (2026-12-05 00:00 Europe/Paris): the tenant's directories there are rendered from the same estate as the platform objects`] with input as held_platform_change(ns, "2026-12-05 00:00 Europe/Paris")
}

test_platform_held_removal_says_so if {
	inp := json.patch(held_platform_change([held_neighbour("bolt", [window])], ""), [{"op": "add", "path": "/change/removed", "value": true}])
	some v in data.palisade.rules.freeze.platform_violations with input as inp
	startswith(v.message, `removing tenant "acme" alters its directories on cluster "eu-west-prod"`)
	endswith(v.remediation, `until "bolt" is free (2026-12-02 00:00 Europe/Paris): the tenant's directories there are rendered from the same estate as the platform objects`)
}

test_platform_held_without_frozen_neighbours_passes if {
	count(data.palisade.rules.freeze.platform_violations) == 0 with input as held_platform_change([], "")
	count(data.palisade.rules.freeze.platform_violations) == 0 with input as held_platform_change([held_neighbour("bolt", [])], "")
	not "freeze.platform-held" in fx.ids with input as held_platform_change([held_neighbour("bolt", [window])], "")
}

test_windows_that_follow_are_named if {
	inp := json.patch(frozen({"changed": true, "new": false, "environments": []}, [window]), [
		{"op": "add", "path": "/freeLocal", "value": "2026-12-05 00:00 Europe/Paris"},
	])
	[v.message | some v in fx.found("freeze.window-active")] == [`change to "acme" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris (and by the windows that follow, until 2026-12-05 00:00 Europe/Paris)`] with input as inp
}

test_free_at_the_window_end_is_not_repeated if {
	inp := json.patch(frozen({"changed": true, "new": false, "environments": []}, [window]), [
		{"op": "add", "path": "/freeLocal", "value": "2026-12-02 00:00 Europe/Paris"},
	])
	[v.message | some v in fx.found("freeze.window-active")] == [`change to "acme" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`] with input as inp
}

endless := object.union(window, {
	"name": "ops-lock", "kind": "maintenance",
	"end": "2029-12-01T23:00:00Z", "endLocal": "2029-12-02 00:00 Europe/Paris", "endless": true,
})

test_endless_window_has_no_end_to_wait_for if {
	inp := frozen({"changed": true, "new": false, "environments": []}, [window, endless])
	{[v.message, v.remediation] | some v in fx.found("freeze.window-active")} == {
		[
			`change to "acme" is frozen by maintenance window "ops-lock" (tenant scope) until further notice (its occurrences follow one another without a gap)`,
			`waiting will not help, the window's occurrences leave no gap: correct its schedule if that is not meant, or have an approver add a break-glass waiver (policy freeze.window-active, scope.window "ops-lock", breakGlass: true, expiring within 72 hours): palisade waiver draft --tenant acme --window ops-lock --ticket TICKET --reason REASON --approver EMAIL`,
		],
		[
			`change to "acme" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris (and by the windows that follow, until further notice)`,
			`wait until the window ends, or have an approver add a break-glass waiver (policy freeze.window-active, scope.window "black-friday-2026", breakGlass: true, expiring within 72 hours): palisade waiver draft --tenant acme --window black-friday-2026 --ticket TICKET --reason REASON --approver EMAIL`,
		],
	} with input as inp
}

test_endless_window_holds_a_removal_until_further_notice if {
	inp := removal([endless], ["production"])
	[[v.message, v.remediation] | some v in fx.found("freeze.tenant-removal")] == [[
		`removing tenant "acme" deletes its environments (production), its database wiring and its GitOps applications, but maintenance window "ops-lock" (tenant scope) applies to it until further notice (its occurrences follow one another without a gap)`,
		"the removal is held back until further notice, while an endless window applies: its environments, databases and GitOps applications stay as the last render made them; to remove it sooner, end the window in the tenant's calendar under a break-glass waiver (policy freeze.window-lifted) and remove the tenant once that change is rendered",
	]] with input as inp
}

test_endless_window_of_a_neighbour if {
	[[v.message, v.remediation] | some v in data.palisade.rules.freeze.platform_violations] == [[
		`change to "acme" alters platform objects serving "bolt", frozen by maintenance window "ops-lock" (tenant scope) until further notice (its occurrences follow one another without a gap): production: Cluster postgres-shared/pg-shared changed (spec.storage.size)`,
		`it is held back until "bolt" is free (no free instant in sight): the platform objects serve both tenants and cannot change for one of them alone`,
	]] with input as neighbour_change([endless], "")
}

test_endless_window_holds_a_platform_change if {
	[v.remediation | some v in data.palisade.rules.freeze.platform_violations] == ["the cluster's platform change is held back until further notice, while an endless window applies, with the changes of the tenants whose directories on the cluster change: platform objects serve several tenants and cannot be held back for one; in an emergency, a platform break-glass waiver (platform.waivers) lets it through"] with input as platform_change([endless])
}

test_removal_in_own_window_says_how_to_remove_sooner if {
	inp := removal([window], ["production"])
	[v.remediation | some v in fx.found("freeze.tenant-removal")] == ["the removal is held back until the tenant is free (2026-12-02 00:00 Europe/Paris): its environments, databases and GitOps applications stay as the last render made them; to remove it sooner, end the window in the tenant's calendar under a break-glass waiver (policy freeze.window-lifted) and remove the tenant once that change is rendered"] with input as inp
}

lifted(ws) := json.patch(fx.shared, [{"op": "replace", "path": "/change", "value": {"changed": false, "new": false, "environments": [], "lifted": ws}}])

test_window_shortened_while_it_applies_denied if {
	inp := lifted([object.union(window, {"change": "ends earlier", "endsNowLocal": "2026-11-28 00:00 Europe/Paris"})])
	fx.found("freeze.window-lifted") == [{
		"id": "freeze.window-lifted",
		"severity": "deny",
		"message": `this change ends promotion window "black-friday-2026" (tenant scope) early for "acme" while it applies: as last rendered, it applies until 2026-12-02 00:00 Europe/Paris; now it ends 2026-11-28 00:00 Europe/Paris`,
		"remediation": `leave the window as it is until it ends, or have an approver add a break-glass waiver to end the freeze sooner (policy freeze.window-lifted, scope.window "black-friday-2026", breakGlass: true, expiring within 72 hours): palisade waiver draft --tenant acme --policy freeze.window-lifted --window black-friday-2026 --ticket TICKET --reason REASON --approver EMAIL`,
		"window": "black-friday-2026",
		"path": ["tenants", "acme", "calendar", "black-friday-2026"],
	}] with input as inp
}

test_window_removed_or_moved_away_denied if {
	month_end := object.union(window, {"name": "month-end-close", "kind": "financial-close", "calendar": "platform", "scope": {"level": "platform", "name": ""}})
	inp := lifted([
		object.union(window, {"change": "removed"}),
		object.union(month_end, {"change": "no longer applies"}),
	])
	{v.window: v.message | some v in fx.found("freeze.window-lifted")} == {
		"black-friday-2026": `this change ends promotion window "black-friday-2026" (tenant scope) early for "acme" while it applies: as last rendered, it applies until 2026-12-02 00:00 Europe/Paris; the change removes it from the tenant's calendar`,
		"month-end-close": `this change ends financial-close window "month-end-close" (platform scope) early for "acme" while it applies: as last rendered, it applies until 2026-12-02 00:00 Europe/Paris; now it no longer applies to the tenant`,
	} with input as inp
}

test_nothing_lifted_passes if {
	count(fx.found("freeze.window-lifted")) == 0 with input as lifted([])
	count(fx.found("freeze.window-lifted")) == 0 with input as fx.shared
}

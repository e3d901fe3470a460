# METADATA
# title: Capacity
# description: |
#   An environment's workloads fit in its ResourceQuota, and production
#   autoscales on signals that mean something for Odoo, not CPU alone.
package palisade.rules.capacity

import data.palisade.lib

scaled_kinds := ["Deployment", "StatefulSet"]

# --- capacity.quota ---------------------------------------------------------

violations contains lib.with_path(
	lib.object_violation(
		"capacity.quota", "deny", env, quota,
		sprintf("the workloads request %s %s in total (replicas × container requests), more than the quota's %s", [resource, show(resource, used), quota.spec.hard[key]]),
		sprintf("lower replicas or requests, or raise the tier's %s quota", [resource]),
	),
	["tiers", input.tier.name, "environments", env.class, "quota", resource],
) if {
	some i, env in input.environments
	some quota in lib.objects_of(i, "ResourceQuota")
	some resource, key in {"cpu": "requests.cpu", "memory": "requests.memory"}
	hard := lib.quantity(quota.spec.hard[key])
	used := demand[i][resource]
	used > hard
}

violations contains lib.with_path(
	lib.object_violation(
		"capacity.quota", "deny", env, quota,
		sprintf("the workloads run %d pods in total, more than the quota's %v", [pods, quota.spec.hard.pods]),
		"lower replicas, or raise the tier's pods quota",
	),
	["tiers", input.tier.name, "environments", env.class, "quota", "pods"],
) if {
	some i, env in input.environments
	some quota in lib.objects_of(i, "ResourceQuota")
	hard := lib.quantity(quota.spec.hard.pods)
	pods := demand[i].pods
	pods > hard
}

# demand[i] is what environment i's Deployments and StatefulSets ask for:
# pods (their replicas), and cpu and memory (replicas × the requests of
# their containers, init containers excluded).
demand[i] := {
	"pods": sum([w.replicas | some w in workloads]),
	"cpu": sum([n | some w in workloads; n := w.replicas * w.cpu]),
	"memory": sum([n | some w in workloads; n := w.replicas * w.memory]),
} if {
	some i, env in input.environments
	count(lib.objects_of(i, "ResourceQuota")) > 0
	workloads := [{"replicas": object.get(env.objects[j].spec, "replicas", 1), "cpu": cpu, "memory": memory} |
		some kind in scaled_kinds
		some j in lib.by_kind[i][kind]
		containers := object.get(lib.pods[[i, j]], "containers", [])
		cpu := sum([lib.quantity(c.resources.requests.cpu) | some c in containers])
		memory := sum([lib.quantity(c.resources.requests.memory) | some c in containers])
	]
}

show("cpu", n) := sprintf("%v", [n])

show("memory", n) := sprintf("%vGi", [round(n / 107374182.4) / 10])

# --- capacity.autoscaling-signals ------------------------------------------------

violations contains lib.object_violation(
	"capacity.autoscaling-signals", "deny", env, so,
	sprintf("%s scales on %s only; production scales on latency, queue depth or worker saturation", [lib.describe(so), concat(" and ", sort(types))]),
	"add a trigger on a business signal (a Prometheus query on request latency, queue depth or busy workers)",
) if {
	some i, env in input.environments
	lib.production(env)
	lib.primary(env)
	some so in lib.objects_of(i, "ScaledObject")
	types := {t.type | some t in object.get(so, ["spec", "triggers"], [])}
	count(types) > 0
	count(types - {"cpu", "memory"}) == 0
}

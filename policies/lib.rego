# METADATA
# title: Helpers for Palisade rules
# description: |
#   Functions and indexes the built-in rules share. User rules may import
#   data.palisade.lib too; README.md lists what is meant for them.
package palisade.lib

# --- Violations -------------------------------------------------------------

# violation is an entry of the violations set about one tenant environment.
violation(id, severity, env, msg, fix) := {
	"id": id,
	"severity": severity,
	"environment": env.name,
	"message": msg,
	"remediation": fix,
}

# object_violation is a violation about one object of a tenant environment.
object_violation(id, severity, env, obj, msg, fix) := object.union(
	violation(id, severity, env, msg, fix),
	{"object": object_ref(obj)},
)

# tenant_violation is a violation about the tenant as a whole.
tenant_violation(id, severity, msg, fix) := {
	"id": id,
	"severity": severity,
	"message": msg,
	"remediation": fix,
}

# with_path adds the CUE path of the estate value to change to a violation.
with_path(v, path) := object.union(v, {"path": path})

# object_ref is the {kind, namespace, name} of obj.
object_ref(obj) := {"kind": kind_of(obj), "namespace": namespace_of(obj), "name": name_of(obj)}

kind_of(obj) := object.get(obj, "kind", "")

name_of(obj) := object.get(obj, ["metadata", "name"], "")

namespace_of(obj) := object.get(obj, ["metadata", "namespace"], "")

label(obj, key) := object.get(obj, ["metadata", "labels", key], "")

# describe is "Kind/name" of obj, as waivers and messages write objects.
describe(obj) := sprintf("%s/%s", [kind_of(obj), name_of(obj)])

# --- Environments -----------------------------------------------------------

production(env) if env.class == "production"

# primary holds for an environment that is not a warm standby.
primary(env) if not env.standby

# tier_env is the tier's facts for the environment's class.
tier_env(env) := input.tier.environments[env.class]

dedicated if input.tier.isolation == "dedicated"

# own_or_platform_namespace holds for the environment's namespace and for the
# platform's namespaces (shared databases, ingress, monitoring...).
own_or_platform_namespace(env, ns) if ns == env.namespace

own_or_platform_namespace(_, ns) if ns in input.platform.namespaces

# --- Object indexes ---------------------------------------------------------

# by_kind[i][kind] lists the indexes of environment i's objects of a kind.
# It is a complete document, built once per evaluation: look kinds up in it
# rather than scanning objects. The engine provides it as the environment's
# kinds; it is computed here when an input lacks them (unit tests).
by_kind := {i: kinds_of(i, env) | some i, env in input.environments}

kinds_of(_, env) := env.kinds

kinds_of(i, env) := kind_index[i] if not env.kinds

kind_index[i][kind] contains j if {
	some i, j
	kind := input.environments[i].objects[j].kind
}

# by_namespace[i][namespace] lists the indexes of environment i's objects in
# a namespace; objects without one are under "". Like by_kind, the engine
# provides it (the environment's namespaces) and it is computed here only
# when an input lacks it.
by_namespace := {i: namespaces_of(i, env) | some i, env in input.environments}

namespaces_of(_, env) := env.namespaces

namespaces_of(i, env) := namespace_index[i] if not env.namespaces

namespace_index[i][ns] contains j if {
	some i, j
	ns := object.get(input.environments[i].objects[j].metadata, "namespace", "")
}

# objects[i][kind] lists environment i's objects of a kind.
objects_of(i, kind) := [input.environments[i].objects[j] | some j in by_kind[i][kind]]

# cnpg holds for a CloudNativePG object.
cnpg(obj) if startswith(obj.apiVersion, "postgresql.cnpg.io/")

# clusters[i] lists environment i's CloudNativePG clusters.
clusters(i) := [c | some c in objects_of(i, "Cluster"); cnpg(c)]

# replica_cluster holds for a CloudNativePG replica cluster (a standby).
replica_cluster(c) if c.spec.replica.enabled == true

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# pods[[i, j]] is the pod spec of object j of environment i.
pods := pod_index

pod_index[[i, j]] := env.objects[j].spec.template.spec if {
	some i, env in input.environments
	some kind in workload_kinds
	some j in by_kind[i][kind]
}

pod_index[[i, j]] := env.objects[j].spec.jobTemplate.spec.template.spec if {
	some i, env in input.environments
	some j in by_kind[i].CronJob
}

pod_index[[i, j]] := env.objects[j].spec if {
	some i, env in input.environments
	some j in by_kind[i].Pod
}

# containers[[i, j, field, n]] is container n of the pod spec's field
# (initContainers, containers or ephemeralContainers) of object j of
# environment i.
containers := container_index

container_index[[key[0], key[1], field, n]] := c if {
	some key, spec in pods
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some n, c in object.get(spec, field, [])
}

# images[i] is the set of images environment i runs: containers and
# CloudNativePG clusters.
images := image_index

image_index[key[0]] contains c.image if {
	some key, c in containers
}

image_index[i] contains c.spec.imageName if {
	some i, _ in input.environments
	some c in clusters(i)
}

# odoo_deployments[[i, j]] is the workload class (web, cron, worker,
# longpolling) of an Odoo Deployment.
odoo_deployments := odoo_index

odoo_index[[i, j]] := labels["app.kubernetes.io/component"] if {
	some i, env in input.environments
	some j in by_kind[i].Deployment
	labels := env.objects[j].metadata.labels
	labels["app.kubernetes.io/name"] == "odoo"
}

# replicas is a workload's declared replicas (Kubernetes defaults to 1).
replicas(obj) := object.get(obj, ["spec", "replicas"], 1)

# declared_secrets[i] is the set of Secret names environment i declares:
# the targets of its ExternalSecrets.
declared_secrets := secret_index

secret_index[i] contains es.spec.target.name if {
	some i, env in input.environments
	some j in by_kind[i].ExternalSecret
	es := env.objects[j]
}

secret_index[i] contains es.metadata.name if {
	some i, env in input.environments
	some j in by_kind[i].ExternalSecret
	es := env.objects[j]
	not es.spec.target.name
}

# --- Images -----------------------------------------------------------------

# repository is an image reference without its tag or digest.
repository(ref) := concat("/", array.concat(array.slice(parts, 0, count(parts) - 1), [name])) if {
	parts := split(split(ref, "@")[0], "/")
	name := split(parts[count(parts) - 1], ":")[0]
}

# pinned holds for a reference pinned by a sha256 digest.
pinned(ref) if regex.match(`@sha256:[0-9a-f]{64}$`, ref)

# image_facts lists the verification facts about an image reference: those
# recorded for the reference itself or for its repository at its digest.
image_facts(ref) := fact_index[ref]

fact_index := facts_by_ref

facts_by_ref[ref] contains f if {
	some f in input.images
	some ref in {f.ref, sprintf("%s@%s", [repository(f.ref), f.digest])}
}

# supply_chain_severity is deny once the image-verification stage enforces
# the supply chain, warn before.
default supply_chain_severity := "warn"

supply_chain_severity := "deny" if input.supplyChain.enforced == true

# --- Quantities and durations ------------------------------------------------

# quantity is a Kubernetes quantity as a number: "500m" is 0.5, "2Gi" is
# 2147483648.
quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if is_string(q)

duration_units := {"s": 1, "m": 60, "h": 3600, "d": 86400}

# duration_seconds is a duration such as "5m", "24h" or "30d" in seconds.
duration_seconds(s) := to_number(substring(s, 0, count(s) - 1)) * duration_units[substring(s, count(s) - 1, 1)]

# --- Cron schedules ----------------------------------------------------------

day := 86400

# cron_fields are a schedule's minute, hour, day-of-month, month and
# day-of-week fields; a leading seconds field (CloudNativePG) is dropped.
# Only numeric fields are understood: names (MON, JAN), "?", "L" and
# macros (@daily) make the schedule undefined.
cron_fields(schedule) := array.slice(fields, count(fields) - 5, count(fields)) if {
	fields := [f | some f in split(trim_space(schedule), " "); f != ""]
	count(fields) in {5, 6}
	every f in fields {
		regex.match(`^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$`, f)
	}
}

# cron_interval is the longest time, in seconds, between two runs of a cron
# schedule. A restricted day of month counts as 31 days and a restricted
# month as 366: an upper bound, never an underestimate.
cron_interval(schedule) := 366 * day if {
	cron_fields(schedule)[3] != "*"
} else := 31 * day if {
	cron_fields(schedule)[2] != "*"
} else := max_gap(weekdays(f[4]), 7) * day if {
	f := cron_fields(schedule)
	f[4] != "*"
} else := max_gap(cron_values(f[1], 0, 23), 24) * 3600 if {
	f := cron_fields(schedule)
	f[1] != "*"
} else := max_gap(cron_values(f[0], 0, 59), 60) * 60 if {
	f := cron_fields(schedule)
}

# cron_values is the set of values a cron field matches: lists, ranges,
# steps and "*".
cron_values(field, lo, hi) := {v |
	some part in split(field, ",")
	pieces := split(part, "/")
	bounds := cron_bounds(pieces[0], lo, hi, count(pieces))
	some v in numbers.range_step(bounds[0], bounds[1], cron_step(pieces))
}

# weekdays are the days a day-of-week field matches, Sunday as 0 (7 too).
weekdays(field) := {x | some d in cron_values(field, 0, 7); x := d % 7}

cron_step(pieces) := 1 if count(pieces) == 1

cron_step(pieces) := to_number(pieces[1]) if count(pieces) == 2

cron_bounds("*", lo, hi, _) := [lo, hi]

cron_bounds(base, _, _, _) := [to_number(r[0]), to_number(r[1])] if {
	r := split(base, "-")
	count(r) == 2
}

cron_bounds(base, _, _, 1) := [to_number(base), to_number(base)] if {
	base != "*"
	not contains(base, "-")
}

cron_bounds(base, _, hi, 2) := [to_number(base), hi] if {
	base != "*"
	not contains(base, "-")
}

# max_gap is the longest gap between consecutive values on a cycle.
max_gap(values, cycle) := max(array.concat(gaps, [(s[0] + cycle) - s[count(s) - 1]])) if {
	s := sort(values)
	count(s) > 0
	gaps := [g | some k, x in s; k > 0; g := x - s[k - 1]]
}

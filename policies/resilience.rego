# METADATA
# title: Resilience
# description: |
#   Production meets its tier's replica and zone minimums and has
#   PodDisruptionBudgets; every environment's database is backed up often
#   enough for the tier's RPO, with point-in-time recovery, a cross-region
#   standby, restore tests and synchronous replication where the tier asks.
package palisade.rules.resilience

import data.palisade.lib

# live_production are the indexes of production environments that are not a
# warm standby: the ones serving traffic.
live_production contains i if {
	some i, env in input.environments
	lib.production(env)
	lib.primary(env)
}

# --- resilience.replicas --------------------------------------------------------

violations contains lib.with_path(
	lib.object_violation(
		"resilience.replicas", "deny", env, obj,
		sprintf("%s runs %d replicas; tier %q requires at least %d in production", [lib.describe(obj), lib.replicas(obj), input.tier.name, bounds.min]),
		sprintf("raise tenants.%s.environments.%s.replicas.%s to at least %d", [input.tenant.name, env.name, class, bounds.min]),
	),
	["tenants", input.tenant.name, "environments", env.name, "replicas", class],
) if {
	some key, class in lib.odoo_deployments
	key[0] in live_production
	env := input.environments[key[0]]
	bounds := lib.tier_env(env).replicas[class]
	obj := env.objects[key[1]]
	lib.replicas(obj) < bounds.min
}

violations contains lib.with_path(
	lib.violation(
		"resilience.replicas", "deny", env,
		sprintf("no %s Deployment; tier %q requires at least %d replicas in production", [class, input.tier.name, bounds.min]),
		sprintf("render the Odoo %s workload", [class]),
	),
	["tenants", input.tenant.name, "environments", env.name, "replicas", class],
) if {
	some i in live_production
	env := input.environments[i]
	some class, bounds in lib.tier_env(env).replicas
	bounds.min > 0
	count([k | some k, c in lib.odoo_deployments; k[0] == i; c == class]) == 0
}

violations contains lib.object_violation(
	"resilience.replicas", "deny", env, so,
	sprintf("%s may scale %s down to %d replicas; tier %q requires at least %d in production", [lib.describe(so), target, so.spec.minReplicaCount, input.tier.name, bounds.min]),
	sprintf("set minReplicaCount to at least %d", [bounds.min]),
) if {
	some i in live_production
	env := input.environments[i]
	some so in lib.objects_of(i, "ScaledObject")
	target := so.spec.scaleTargetRef.name
	some key, class in lib.odoo_deployments
	key[0] == i
	lib.name_of(env.objects[key[1]]) == target
	bounds := lib.tier_env(env).replicas[class]
	so.spec.minReplicaCount < bounds.min
}

# --- resilience.zones -------------------------------------------------------------

violations contains lib.with_path(
	lib.object_violation(
		"resilience.zones", "deny", env, obj,
		sprintf("%s is not spread over %d zones: it needs a topologySpreadConstraint on topology.kubernetes.io/zone with whenUnsatisfiable DoNotSchedule and minDomains %d, or a required zone anti-affinity", [lib.describe(obj), zones, zones]),
		"spread the web workload over the tier's zones",
	),
	["tiers", input.tier.name, "environments", env.class, "zones"],
) if {
	some key, class in lib.odoo_deployments
	class == "web"
	key[0] in live_production
	env := input.environments[key[0]]
	zones := lib.tier_env(env).zones
	zones > 1
	spec := lib.pods[key]
	not spread_over(spec, zones)
	obj := env.objects[key[1]]
}

spread_over(spec, zones) if {
	some c in object.get(spec, "topologySpreadConstraints", [])
	c.topologyKey == "topology.kubernetes.io/zone"
	c.whenUnsatisfiable == "DoNotSchedule"
	object.get(c, "minDomains", 1) >= zones
}

spread_over(spec, _) if {
	some term in spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
	term.topologyKey == "topology.kubernetes.io/zone"
}

# --- resilience.pdb -----------------------------------------------------------------

violations contains lib.object_violation(
	"resilience.pdb", "deny", env, obj,
	sprintf("%s has no PodDisruptionBudget selecting its pods", [lib.describe(obj)]),
	sprintf("add a PodDisruptionBudget with maxUnavailable %d selecting the workload's pods", [lib.tier_env(env).pdb.maxUnavailable]),
) if {
	some key, _ in lib.odoo_deployments
	key[0] in live_production
	env := input.environments[key[0]]
	lib.tier_env(env).pdb.enabled == true
	obj := env.objects[key[1]]
	lib.replicas(obj) > 0
	labels := object.get(obj, ["spec", "template", "metadata", "labels"], {})
	not pdb_for(key[0], labels)
}

pdb_for(i, labels) if {
	some pdb in lib.objects_of(i, "PodDisruptionBudget")
	sel := object.get(pdb, ["spec", "selector", "matchLabels"], {})
	count(sel) > 0
	every k, v in sel {
		labels[k] == v
	}
}

# --- the database behind an environment -----------------------------------------------

# database[[i, namespace, name]] is a PostgreSQL cluster environment i's
# data lives in, with the cluster's ScheduledBackups: the environment's own
# cluster (dedicated), else the platform cluster holding the tenant's
# Database.
database[[i, lib.namespace_of(c), lib.name_of(c)]] := {"cluster": c, "backups": backups} if {
	some i, env in input.environments
	lib.primary(env)
	some c in lib.clusters(i)
	not lib.replica_cluster(c)
	backups := [b |
		some b in lib.objects_of(i, "ScheduledBackup")
		b.spec.cluster.name == lib.name_of(c)
	]
}

database[[i, lib.namespace_of(c), lib.name_of(c)]] := {"cluster": c, "backups": backups} if {
	not lib.dedicated
	some i, env in input.environments
	lib.primary(env)
	some db in object.get(env, "platformObjects", [])
	db.kind == "Database"
	lib.label(db, "palisade.io/tenant") == input.tenant.name
	lib.label(db, "palisade.io/environment") == env.class
	some c in env.platformObjects
	c.kind == "Cluster"
	lib.namespace_of(c) == lib.namespace_of(db)
	lib.name_of(c) == db.spec.cluster.name
	backups := [b |
		some b in env.platformObjects
		b.kind == "ScheduledBackup"
		lib.namespace_of(b) == lib.namespace_of(c)
		b.spec.cluster.name == lib.name_of(c)
	]
}

# wal_archiving holds for a cluster that archives its WAL to object storage.
wal_archiving(c) if c.spec.backup.barmanObjectStore.destinationPath != ""

# default_archive_timeout is CloudNativePG's archive_timeout: with WAL
# archiving, at most this much committed data is not yet in object storage.
default_archive_timeout := 300

# archive_timeout is the cluster's archive_timeout in seconds (PostgreSQL
# units: ms, s, min, h, d; seconds when unitless), else the default.
archive_timeout(c) := to_number(m[1]) * pg_units[m[2]] if {
	t := c.spec.postgresql.parameters.archive_timeout
	m := regex.find_all_string_submatch_n(`^([0-9]+)(ms|s|min|h|d)?$`, sprintf("%v", [t]), 1)[0]
} else := default_archive_timeout

pg_units := {"": 1, "ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400}

# achieved_rpo is the most data, in seconds, the environment may lose: the
# archive timeout with WAL archiving (0 disables the timeout: WAL then waits
# for a full segment, so only base backups bound the loss), else the
# longest gap between base backups.
achieved_rpo(db) := t if {
	wal_archiving(db.cluster)
	t := archive_timeout(db.cluster)
	t > 0
} else := min([lib.cron_interval(b.spec.schedule) | some b in db.backups]) if {
	count(db.backups) > 0
}

# --- resilience.backup-rpo ----------------------------------------------------------------

violations contains lib.violation(
	"resilience.backup-rpo", "deny", env,
	sprintf("no PostgreSQL cluster found for the environment's data, so its backups cannot be checked against the RPO of %s", [lib.tier_env(env).backup.rpo]),
	"render the tenant's database (own cluster, or a Database in the platform cluster) with the platform objects",
) if {
	some i, env in input.environments
	lib.primary(env)
	lib.tier_env(env).backup.rpo
	not has_database(i)
}

has_database(i) if {
	some key, _ in database
	key[0] == i
}

violations contains lib.object_violation(
	"resilience.backup-rpo", "deny", env, db.cluster,
	sprintf("%s has no ScheduledBackup", [lib.describe(db.cluster)]),
	sprintf("add a ScheduledBackup of the cluster on the tier's schedule %q", [lib.tier_env(env).backup.schedule]),
) if {
	some key, db in database
	i := key[0]
	count(db.backups) == 0
	env := input.environments[i]
}

violations contains lib.with_path(
	lib.object_violation(
		"resilience.backup-rpo", "deny", env, b,
		sprintf("%s runs every %s at most (schedule %q), less often than the tier's schedule %q", [lib.describe(b), human(lib.cron_interval(b.spec.schedule)), b.spec.schedule, tier_schedule]),
		sprintf("schedule base backups at least as often as %q", [tier_schedule]),
	),
	["tiers", input.tier.name, "environments", env.class, "backup", "schedule"],
) if {
	some key, db in database
	i := key[0]
	env := input.environments[i]
	tier_schedule := lib.tier_env(env).backup.schedule
	some b in db.backups
	lib.cron_interval(b.spec.schedule) > lib.cron_interval(tier_schedule)
}

violations contains lib.object_violation(
	"resilience.backup-rpo", "deny", env, b,
	sprintf("%s has a schedule %q that is not a cron expression palisade understands", [lib.describe(b), object.get(b, ["spec", "schedule"], "")]),
	"write the schedule as five cron fields (or six, seconds first)",
) if {
	some key, db in database
	i := key[0]
	env := input.environments[i]
	some b in db.backups
	not lib.cron_interval(object.get(b, ["spec", "schedule"], ""))
}

violations contains lib.with_path(
	lib.object_violation(
		"resilience.backup-rpo", "deny", env, db.cluster,
		sprintf("%s may lose up to %s of data, more than the tier's RPO of %s (%s)", [lib.describe(db.cluster), human(rpo), lib.tier_env(env).backup.rpo, how]),
		"archive WAL continuously (spec.backup.barmanObjectStore) or back up more often",
	),
	["tiers", input.tier.name, "environments", env.class, "backup", "rpo"],
) if {
	some key, db in database
	i := key[0]
	env := input.environments[i]
	rpo := achieved_rpo(db)
	rpo > lib.duration_seconds(lib.tier_env(env).backup.rpo)
	how := rpo_basis(db.cluster)
}

rpo_basis(c) := "WAL archiving with its archive_timeout" if {
	wal_archiving(c)
	archive_timeout(c) > 0
} else := "base backups only, no WAL archiving"

# human is a number of seconds in words: 300 is "5m", 86400 is "24h".
human(s) := sprintf("%dd", [s / 86400]) if {
	s >= 172800
	s % 86400 == 0
} else := sprintf("%dh", [s / 3600]) if {
	s % 3600 == 0
} else := sprintf("%dm", [s / 60]) if {
	s % 60 == 0
} else := sprintf("%ds", [s])

# --- resilience.pitr ------------------------------------------------------------------------

violations contains lib.object_violation(
	"resilience.pitr", "deny", env, db.cluster,
	sprintf("tier %q requires point-in-time recovery, but %s does not archive its WAL to object storage with a retention policy", [input.tier.name, lib.describe(db.cluster)]),
	"configure spec.backup.barmanObjectStore (with wal) and spec.backup.retentionPolicy on the cluster",
) if {
	some key, db in database
	i := key[0]
	env := input.environments[i]
	lib.tier_env(env).backup.pitr == true
	not pitr_ready(db.cluster)
}

pitr_ready(c) if {
	wal_archiving(c)
	c.spec.backup.retentionPolicy != ""
}

# --- resilience.cross-region --------------------------------------------------------------------

violations contains lib.with_path(
	lib.violation(
		"resilience.cross-region", "deny", env,
		sprintf("tier %q requires a warm standby in a second region, but %s has no standby environment outside region %q with a replica PostgreSQL cluster", [input.tier.name, env.name, env.region]),
		sprintf("place a standby for tenants.%s.environments.%s in another region", [input.tenant.name, env.name]),
	),
	["tenants", input.tenant.name, "environments", env.name, "standby"],
) if {
	some i in live_production
	env := input.environments[i]
	lib.tier_env(env).backup.crossRegion == true
	not standby_for(env)
}

standby_for(env) if {
	some i, s in input.environments
	s.standby == true
	s.class == env.class
	s.region != env.region
	some c in lib.clusters(i)
	lib.replica_cluster(c)
}

# --- resilience.restore-test -----------------------------------------------------------------------

violations contains lib.violation(
	"resilience.restore-test", "deny", env,
	sprintf("tier %q schedules a restore test (%q) for %s environments, but there is no CronJob restore-test", [input.tier.name, lib.tier_env(env).backup.restoreTest.schedule, env.class]),
	"render the restore-test CronJob on the tier's schedule",
) if {
	some i, env in input.environments
	lib.primary(env)
	lib.tier_env(env).backup.restoreTest.schedule
	count([cj | some cj in lib.objects_of(i, "CronJob"); restore_test(cj)]) == 0
}

restore_test(cj) if lib.name_of(cj) == "restore-test"

restore_test(cj) if {
	cj.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/component"] == "restore-test"
}

# --- resilience.sync-replication ----------------------------------------------------------------------

violations contains lib.object_violation(
	"resilience.sync-replication", "deny", env, db.cluster,
	sprintf("%s replicates asynchronously; a dedicated production database needs at least %d synchronous replica(s)", [lib.describe(db.cluster), want]),
	sprintf("set spec.postgresql.synchronous {method: any, number: %d}", [want]),
) if {
	lib.dedicated
	some key, db in database
	key[0] in live_production
	env := input.environments[key[0]]
	want := max([1, object.get(lib.tier_env(env), ["database", "synchronousReplicas"], 0)])
	synchronous_replicas(db.cluster) < want
}

synchronous_replicas(c) := max([
	object.get(c, ["spec", "postgresql", "synchronous", "number"], 0),
	object.get(c, ["spec", "minSyncReplicas"], 0),
])

package palisade.tests.resilience

import data.palisade.fixtures as fx

test_resilience_ok if {
	ids := fx.ids with input as fx.dedicated
	count({id | some id in ids; startswith(id, "resilience.")}) == 0
}

# --- resilience.replicas

test_replicas_below_minimum_denied if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-web", "/spec/replicas", 2)
	fx.found("resilience.replicas") == [{
		"id": "resilience.replicas",
		"severity": "deny",
		"environment": "production",
		"object": {"kind": "Deployment", "namespace": "acme-prod", "name": "odoo-web"},
		"message": `Deployment/odoo-web runs 2 replicas; tier "dedicated" requires at least 3 in production`,
		"remediation": "raise tenants.acme.environments.production.replicas.web to at least 3",
		"path": ["tenants", "acme", "environments", "production", "replicas", "web"],
	}] with input as inp
}

test_replicas_of_standby_and_staging_not_checked if {
	inp := fx.set(fx.dedicated, 2, "Deployment", "odoo-web", "/spec/replicas", 0)
	not "resilience.replicas" in fx.ids with input as inp
}

test_replicas_missing_workload_denied if {
	inp := fx.without_object(fx.shared, 0, "Deployment", "odoo-cron")
	fx.messages("resilience.replicas") == {`no cron Deployment; tier "shared" requires at least 1 replicas in production`} with input as inp
}

test_replicas_autoscaler_minimum_denied if {
	inp := fx.set(fx.shared, 0, "ScaledObject", "odoo-web", "/spec/minReplicaCount", 1)
	fx.messages("resilience.replicas") == {`ScaledObject/odoo-web may scale odoo-web down to 1 replicas; tier "shared" requires at least 2 in production`} with input as inp
}

# --- resilience.zones

test_zones_unspread_denied if {
	inp := fx.unset(fx.dedicated, 0, "Deployment", "odoo-web", "/spec/template/spec/topologySpreadConstraints")
	[v.path | some v in fx.found("resilience.zones")] == [["tiers", "dedicated", "environments", "production", "zones"]] with input as inp
}

test_zones_too_few_domains_denied if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-web", "/spec/template/spec/topologySpreadConstraints/0/minDomains", 2)
	"resilience.zones" in fx.ids with input as inp
}

test_zones_anti_affinity_accepted if {
	web := fx.unset(fx.dedicated, 0, "Deployment", "odoo-web", "/spec/template/spec/topologySpreadConstraints")
	inp := fx.set(web, 0, "Deployment", "odoo-web", "/spec/template/spec/affinity", {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
		"topologyKey": "topology.kubernetes.io/zone",
		"labelSelector": {"matchLabels": {"app.kubernetes.io/component": "web"}},
	}]}})
	not "resilience.zones" in fx.ids with input as inp
}

# --- resilience.pdb

test_pdb_missing_denied if {
	inp := fx.without_object(fx.dedicated, 0, "PodDisruptionBudget", "odoo-worker")
	fx.messages("resilience.pdb") == {"Deployment/odoo-worker has no PodDisruptionBudget selecting its pods"} with input as inp
}

test_pdb_selecting_other_pods_denied if {
	inp := fx.set(fx.shared, 0, "PodDisruptionBudget", "odoo-web", "/spec/selector/matchLabels", {"app.kubernetes.io/component": "website"})
	fx.messages("resilience.pdb") == {"Deployment/odoo-web has no PodDisruptionBudget selecting its pods"} with input as inp
}

# --- resilience.backup-rpo

test_backup_rpo_ok if {
	not "resilience.backup-rpo" in fx.ids with input as fx.shared
}

test_backup_rpo_no_database_denied if {
	inp := fx.patch(fx.shared, [{"op": "replace", "path": "/environments/1/platformObjects", "value": []}])
	fx.messages("resilience.backup-rpo") == {"no PostgreSQL cluster found for the environment's data, so its backups cannot be checked against the RPO of 24h"} with input as inp
}

test_backup_rpo_no_schedule_denied if {
	inp := fx.without_object(fx.dedicated, 2, "ScheduledBackup", "odoo-db")
	fx.messages("resilience.backup-rpo") == {"Cluster/odoo-db has no ScheduledBackup"} with input as inp
}

test_backup_rpo_schedule_less_often_than_tier_denied if {
	inp := fx.set(fx.dedicated, 0, "ScheduledBackup", "odoo-db", "/spec/schedule", "0 0 3 * * 0")
	fx.messages("resilience.backup-rpo") == {`ScheduledBackup/odoo-db runs every 7d at most (schedule "0 0 3 * * 0"), less often than the tier's schedule "0 */6 * * *"`} with input as inp
}

test_backup_rpo_unreadable_schedule_denied if {
	inp := fx.set(fx.dedicated, 0, "ScheduledBackup", "odoo-db", "/spec/schedule", "@daily")
	fx.messages("resilience.backup-rpo") == {`ScheduledBackup/odoo-db has a schedule "@daily" that is not a cron expression palisade understands`} with input as inp
}

test_backup_rpo_without_wal_archiving_denied if {
	inp := fx.unset(fx.dedicated, 0, "Cluster", "odoo-db", "/spec/backup/barmanObjectStore")
	fx.messages("resilience.backup-rpo") == {"Cluster/odoo-db may lose up to 6h of data, more than the tier's RPO of 5m (base backups only, no WAL archiving)"} with input as inp
}

timeout(t) := fx.set(fx.dedicated, 0, "Cluster", "odoo-db", "/spec/postgresql/parameters", {"archive_timeout": t})

test_backup_rpo_archive_timeout if {
	not "resilience.backup-rpo" in fx.ids with input as timeout("5min")
	not "resilience.backup-rpo" in fx.ids with input as timeout("300000ms")
	fx.messages("resilience.backup-rpo") == {"Cluster/odoo-db may lose up to 10m of data, more than the tier's RPO of 5m (WAL archiving with its archive_timeout)"} with input as timeout("10min")
	fx.messages("resilience.backup-rpo") == {"Cluster/odoo-db may lose up to 301s of data, more than the tier's RPO of 5m (WAL archiving with its archive_timeout)"} with input as timeout(301)
	fx.messages("resilience.backup-rpo") == {"Cluster/odoo-db may lose up to 6h of data, more than the tier's RPO of 5m (base backups only, no WAL archiving)"} with input as timeout("0")
}

test_backup_rpo_shared_cluster_backups_checked if {
	inp := fx.patch(fx.shared, [
		{"op": "remove", "path": "/environments/0/platformObjects/0/spec/backup"},
		{"op": "replace", "path": "/environments/0/platformObjects/2/spec/schedule", "value": "0 0 2 */2 * *"},
	])
	fx.messages("resilience.backup-rpo") == {
		`ScheduledBackup/pg-shared runs every 31d at most (schedule "0 0 2 */2 * *"), less often than the tier's schedule "0 2 * * *"`,
		"Cluster/pg-shared may lose up to 31d of data, more than the tier's RPO of 24h (base backups only, no WAL archiving)",
	} with input as inp
}

# --- resilience.pitr

test_pitr_without_retention_denied if {
	inp := fx.unset(fx.dedicated, 2, "Cluster", "odoo-db", "/spec/backup/retentionPolicy")
	fx.messages("resilience.pitr") == {`tier "dedicated" requires point-in-time recovery, but Cluster/odoo-db does not archive its WAL to object storage with a retention policy`} with input as inp
}

test_pitr_not_required_for_shared if {
	inp := fx.patch(fx.shared, [{"op": "remove", "path": "/environments/0/platformObjects/0/spec/backup/retentionPolicy"}])
	not "resilience.pitr" in fx.ids with input as inp
}

# --- resilience.cross-region

test_cross_region_standby_missing_denied if {
	inp := fx.patch(fx.dedicated, [{"op": "remove", "path": "/environments/1"}])
	[v.path | some v in fx.found("resilience.cross-region")] == [["tenants", "acme", "environments", "production", "standby"]] with input as inp
}

test_cross_region_standby_in_same_region_denied if {
	inp := fx.patch(fx.dedicated, [{"op": "replace", "path": "/environments/1/region", "value": "eu-west"}])
	"resilience.cross-region" in fx.ids with input as inp
}

test_cross_region_standby_without_replica_cluster_denied if {
	inp := fx.unset(fx.dedicated, 1, "Cluster", "odoo-db", "/spec/replica")
	"resilience.cross-region" in fx.ids with input as inp
}

# --- resilience.restore-test

test_restore_test_missing_denied if {
	inp := fx.without_object(fx.dedicated, 0, "CronJob", "restore-test")
	fx.messages("resilience.restore-test") == {`tier "dedicated" schedules a restore test ("0 4 * * 6") for production environments, but there is no CronJob restore-test`} with input as inp
}

test_restore_test_found_by_component if {
	inp := fx.set(fx.dedicated, 0, "CronJob", "restore-test", "/metadata/name", "drill")
	not "resilience.restore-test" in fx.ids with input as inp
}

# --- resilience.sync-replication

test_sync_replication_missing_denied if {
	inp := fx.set(fx.dedicated, 0, "Cluster", "odoo-db", "/spec/postgresql", {})
	fx.messages("resilience.sync-replication") == {"Cluster/odoo-db replicates asynchronously; a dedicated production database needs at least 1 synchronous replica(s)"} with input as inp
}

test_sync_replication_legacy_setting_accepted if {
	inp := fx.set(fx.dedicated, 0, "Cluster", "odoo-db", "/spec/postgresql", {})
	not "resilience.sync-replication" in fx.ids with input as fx.set(inp, 0, "Cluster", "odoo-db", "/spec/minSyncReplicas", 1)
}

# METADATA
# title: Test fixtures
# description: |
#   Valid inputs for the rules' unit tests, shaped like the renderer's
#   output: a dedicated tenant (production, its standby in a second region,
#   staging) and a shared one (production and staging, with its database in
#   the platform's shared cluster). Tests break one thing at a time with
#   the helpers at the end.
package palisade.fixtures

tenant := "acme"

registry := "registry.palisade.example"

odoo_image := sprintf("%s/odoo/enterprise@sha256:%s", [registry, hex("1")])

pg_image := sprintf("%s/platform/postgresql@sha256:%s", [registry, hex("2")])

hex(d) := concat("", [d | some _ in numbers.range(1, 64)])

# --- tiers ------------------------------------------------------------------

dedicated_tier := {
	"name": "dedicated",
	"isolation": "dedicated",
	"signingKeys": ["palisade-example"],
	"environments": {
		"production": {
			"replicas": {
				"web": {"min": 3, "default": 4, "max": 12},
				"cron": {"min": 1, "default": 1, "max": 2},
				"worker": {"min": 2, "default": 2, "max": 12},
				"longpolling": {"min": 2, "default": 2, "max": 4},
			},
			"zones": 3,
			"pdb": {"enabled": true, "maxUnavailable": 1},
			"nodePool": "dedicated",
			"database": {"placement": "dedicated-cluster", "instances": 3, "synchronousReplicas": 1},
			"redis": {"mode": "dedicated", "replicas": 2},
			"backup": {
				"rpo": "5m", "schedule": "0 */6 * * *", "retention": "90d",
				"pitr": true, "crossRegion": true, "restoreTest": {"schedule": "0 4 * * 6"},
			},
			"autoscaling": {"enabled": true, "signals": ["queue-depth", "latency"]},
			"quota": {"cpu": "64", "memory": "160Gi", "pods": 150, "storage": "4Ti"},
		},
		"staging": {
			"replicas": {"web": {"min": 1, "default": 1, "max": 4}},
			"zones": 2,
			"pdb": {"enabled": false, "maxUnavailable": 0},
			"nodePool": "dedicated",
			"database": {"placement": "dedicated-cluster", "instances": 2, "synchronousReplicas": 0},
			"backup": {"rpo": "24h", "schedule": "0 3 * * *", "retention": "14d", "pitr": true, "crossRegion": false},
			"quota": {"cpu": "16", "memory": "48Gi", "pods": 40, "storage": "1Ti"},
		},
	},
}

shared_tier := {
	"name": "shared",
	"isolation": "shared",
	"signingKeys": ["palisade-example"],
	"environments": {
		"production": {
			"replicas": {"web": {"min": 2, "default": 2, "max": 4}, "cron": {"min": 1, "default": 1, "max": 1}},
			"zones": 2,
			"pdb": {"enabled": true, "maxUnavailable": 1},
			"nodePool": "shared",
			"database": {"placement": "shared-cluster"},
			"backup": {"rpo": "24h", "schedule": "0 2 * * *", "retention": "14d", "pitr": false, "crossRegion": false},
			"quota": {"cpu": "8", "memory": "16Gi", "pods": 20, "storage": "200Gi"},
		},
		"staging": {
			"replicas": {"web": {"min": 1, "default": 1, "max": 2}},
			"zones": 1,
			"pdb": {"enabled": false, "maxUnavailable": 0},
			"nodePool": "shared",
			"database": {"placement": "shared-cluster"},
			"backup": {"rpo": "24h", "schedule": "0 3 * * *", "retention": "3d", "pitr": false, "crossRegion": false},
			"quota": {"cpu": "4", "memory": "8Gi", "pods": 10, "storage": "50Gi"},
		},
	},
}

# --- inputs -------------------------------------------------------------------

base(tier) := {
	"at": "2026-11-27T09:00:00Z",
	"platform": {
		"name": "palisade-example",
		"registries": {"allowed": [sprintf("%s/odoo", [registry]), sprintf("%s/platform/", [registry])]},
		"keys": ["palisade-example"],
		"namespaces": ["cnpg-system", "kube-system", "monitoring", "postgres-shared", "redis-shared", "traefik"],
	},
	"tenant": {"name": tenant, "brand": "Acme", "tier": tier.name, "segment": "", "timeZone": "Europe/Paris", "file": "tenants/acme.cue"},
	"tier": tier,
	"images": [
		{"ref": sprintf("%s/odoo/enterprise:18.0", [registry]), "digest": sprintf("sha256:%s", [hex("1")]), "verified": true, "signer": "palisade-example"},
		{"ref": pg_image, "digest": sprintf("sha256:%s", [hex("2")]), "verified": true, "signer": "palisade-example"},
	],
	"supplyChain": {"enforced": true},
	"change": {"changed": false, "new": false, "environments": []},
	"windows": [],
	"waivers": [],
}

dedicated := object.union(base(dedicated_tier), {"environments": [
	environment(dedicated_tier, "production", "eu-west", false),
	environment(dedicated_tier, "production", "eu-central", true),
	environment(dedicated_tier, "staging", "eu-west", false),
]})

shared := object.union(base(shared_tier), {"environments": [
	environment(shared_tier, "production", "eu-west", false),
	environment(shared_tier, "staging", "eu-west", false),
]})

short := {"production": "prod", "staging": "staging"}

environment(tier, class, region, standby) := {
	"name": env_name(class, standby),
	"class": class,
	"namespace": namespace(class),
	"cluster": sprintf("%s-%s", [region, class]),
	"region": region,
	"standby": standby,
	"objects": objects(tier, class, standby),
	"platformObjects": platform_objects(tier, class),
}

env_name(class, true) := sprintf("%s-standby", [class])

env_name(class, false) := class

namespace(class) := sprintf("%s-%s", [tenant, short[class]])

# --- objects ----------------------------------------------------------------------

meta(class, name) := {"name": name, "namespace": namespace(class), "labels": {"palisade.io/tenant": tenant}}

obj(api, kind, class, name, spec) := {"apiVersion": api, "kind": kind, "metadata": meta(class, name), "spec": spec}

objects(tier, class, standby) := array.concat(common(tier, class, standby), database(tier, class, standby))

common(tier, class, standby) := array.concat(
	[
		{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace(class), "labels": {"palisade.io/tenant": tenant}}},
		obj("v1", "ResourceQuota", class, "tenant-quota", {"hard": {
			"requests.cpu": tier.environments[class].quota.cpu,
			"requests.memory": tier.environments[class].quota.memory,
			"pods": sprintf("%d", [tier.environments[class].quota.pods]),
		}}),
		object.union(obj("v1", "ServiceAccount", class, "odoo", {}), {"automountServiceAccountToken": false}),
		object.union(obj("v1", "ConfigMap", class, "odoo-config", {}), {"data": {"web.db_host": db_host(tier)}}),
		obj("v1", "PersistentVolumeClaim", class, "odoo-filestore", {"storageClassName": "premium-rwx"}),
		obj("networking.k8s.io/v1", "NetworkPolicy", class, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
		obj("networking.k8s.io/v1", "NetworkPolicy", class, "allow-ingress-controller", {
			"podSelector": {"matchLabels": {"app.kubernetes.io/name": "odoo"}},
			"policyTypes": ["Ingress"],
			"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}}]}],
		}),
		external_secret(class, "odoo-db"),
		external_secret(class, "object-storage"),
	],
	array.concat(workloads(tier, class, standby), production_extras(tier, class, standby)),
)

db_host(tier) := "odoo-db-rw" if tier.isolation == "dedicated"

db_host(tier) := "pg-shared-rw.postgres-shared.svc" if tier.isolation != "dedicated"

external_secret(class, name) := obj("external-secrets.io/v1", "ExternalSecret", class, name, {
	"secretStoreRef": {"kind": "ClusterSecretStore", "name": "platform-secrets"},
	"target": {"name": name},
})

workloads(tier, class, standby) := [deployment(tier, class, w, replicas(tier, class, w, standby)) |
	some w in ["web", "cron", "worker", "longpolling"]
]

replicas(_, _, _, true) := 0

replicas(tier, class, w, false) := object.get(tier.environments[class].replicas, [w, "default"], 1)

deployment(tier, class, w, n) := object.union(
	obj("apps/v1", "Deployment", class, sprintf("odoo-%s", [w]), {
		"replicas": n,
		"selector": {"matchLabels": pod_labels(w)},
		"template": {"metadata": {"labels": pod_labels(w)}, "spec": pod_spec(tier, class, w)},
	}),
	{"metadata": {"labels": pod_labels(w)}},
)

pod_labels(w) := {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/component": w}

pod_spec(tier, class, w) := object.union(
	{
		"automountServiceAccountToken": false,
		"securityContext": {"runAsNonRoot": true, "runAsUser": 101},
		"serviceAccountName": "odoo",
		"containers": [{
			"name": "odoo",
			"image": odoo_image,
			"env": [
				{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "odoo-db", "key": "password"}}},
				{"name": "PGHOST", "value": db_host(tier)},
			],
			"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
			"securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true},
		}],
		"volumes": [{"name": "filestore", "persistentVolumeClaim": {"claimName": "odoo-filestore"}}],
		"topologySpreadConstraints": [{
			"maxSkew": 1, "minDomains": tier.environments[class].zones,
			"topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
			"labelSelector": {"matchLabels": pod_labels(w)},
		}],
	},
	placement(tier),
)

placement(tier) := {
	"nodeSelector": {"palisade.io/pool-class": "dedicated", "palisade.io/tenant": tenant},
	"tolerations": [{"effect": "NoSchedule", "key": "palisade.io/dedicated", "operator": "Equal", "value": tenant}],
} if {
	tier.isolation == "dedicated"
}

placement(tier) := {"nodeSelector": {"palisade.io/pool-class": "shared"}} if tier.isolation != "dedicated"

production_extras(tier, class, standby) := array.concat(
	[pdb(class, w) | some w in ["web", "cron", "worker", "longpolling"]; tier.environments[class].pdb.enabled; not standby],
	array.concat(
		[obj("keda.sh/v1alpha1", "ScaledObject", class, "odoo-web", {
			"minReplicaCount": 4,
			"scaleTargetRef": {"name": "odoo-web"},
			"triggers": [
				{"type": "prometheus", "metadata": {"query": sprintf(`sum(odoo_queue_job_pending{namespace="%s"})`, [namespace(class)])}},
				{"type": "cpu", "metadata": {"value": "80"}},
			],
		}) |
			class == "production"
			not standby
		],
		[restore_test(tier, class) | tier.environments[class].backup.restoreTest],
	),
)

pdb(class, w) := obj("policy/v1", "PodDisruptionBudget", class, sprintf("odoo-%s", [w]), {
	"maxUnavailable": 1,
	"selector": {"matchLabels": pod_labels(w)},
})

restore_test(tier, class) := obj("batch/v1", "CronJob", class, "restore-test", {
	"schedule": tier.environments[class].backup.restoreTest.schedule,
	"jobTemplate": {"spec": {"template": {
		"metadata": {"labels": {"app.kubernetes.io/component": "restore-test"}},
		"spec": object.union(pod_spec(tier, class, "restore-test"), {"restartPolicy": "OnFailure"}),
	}}},
})

database(tier, _, _) := [] if tier.isolation != "dedicated"

database(tier, class, standby) := [
	obj("postgresql.cnpg.io/v1", "Cluster", class, "odoo-db", cluster_spec(tier, class, standby)),
	obj("postgresql.cnpg.io/v1", "ScheduledBackup", class, "odoo-db", {
		"cluster": {"name": "odoo-db"},
		"method": "barmanObjectStore",
		"schedule": sprintf("0 %s", [tier.environments[class].backup.schedule]),
	}),
] if {
	tier.isolation == "dedicated"
}

cluster_spec(tier, class, standby) := object.union(
	{
		"instances": 3,
		"imageName": pg_image,
		"affinity": placement(tier),
		"bootstrap": {"initdb": {"database": "odoo", "secret": {"name": "odoo-db"}}},
		"backup": {
			"barmanObjectStore": {
				"destinationPath": sprintf("s3://backups/%s/%s", [tenant, class]),
				"s3Credentials": {"accessKeyId": {"name": "object-storage", "key": "AWS_ACCESS_KEY_ID"}},
				"wal": {"compression": "gzip"},
			},
			"retentionPolicy": tier.environments[class].backup.retention,
		},
		"postgresql": {"synchronous": {"method": "any", "number": tier.environments[class].database.synchronousReplicas}},
	},
	replica(standby),
)

replica(true) := {"replica": {"enabled": true, "source": "primary"}}

replica(false) := {}

# platform_objects are a shared tenant's Database in the shared cluster,
# the cluster and its backup schedule.
platform_objects(tier, _) := [] if tier.isolation == "dedicated"

platform_objects(tier, class) := [
	{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": {"name": "pg-shared", "namespace": "postgres-shared"},
		"spec": {"instances": 3, "backup": {
			"barmanObjectStore": {"destinationPath": "s3://backups/platform/pg-shared", "wal": {"compression": "gzip"}},
			"retentionPolicy": "14d",
		}},
	},
	{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
		"metadata": {
			"name": sprintf("%s-%s", [tenant, short[class]]), "namespace": "postgres-shared",
			"labels": {"palisade.io/tenant": tenant, "palisade.io/environment": class},
		},
		"spec": {"cluster": {"name": "pg-shared"}, "name": "acme", "owner": "acme"},
	},
	{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
		"metadata": {"name": "pg-shared", "namespace": "postgres-shared"},
		"spec": {"cluster": {"name": "pg-shared"}, "schedule": "0 0 2 * * *"},
	},
] if {
	tier.isolation != "dedicated"
}

# --- helpers for tests ----------------------------------------------------------------

# builtin are the built-in rule packages. The helpers below look at their
# violations only, so that the built-in tests pass whatever rules a user
# adds.
builtin := ["capacity", "freeze", "isolation", "resilience", "security", "supplychain"]

violations := {v | some p in builtin; some v in data.palisade.rules[p].violations}

# ids are the ids of the violations of the input under test, e.g.
# `"isolation.quota" in fx.ids with input as ...`.
ids := {v.id | some v in violations}

# found lists the violations with an id.
found(id) := [v | some v in violations; v.id == id]

# index of the object of kind and name in environment e.
index(inp, e, kind, name) := j if {
	some j, o in inp.environments[e].objects
	o.kind == kind
	o.metadata.name == name
}

# with_object merges patch into the object of kind and name in environment
# e (objects merge recursively; arrays are replaced).
with_object(inp, e, kind, name, patch) := json.patch(inp, [{
	"op": "replace",
	"path": sprintf("/environments/%d/objects/%d", [e, index(inp, e, kind, name)]),
	"value": object.union(inp.environments[e].objects[index(inp, e, kind, name)], patch),
}])

# set replaces the value at a JSON pointer inside the object of kind and
# name in environment e.
set(inp, e, kind, name, pointer, value) := json.patch(inp, [{
	"op": "add",
	"path": sprintf("/environments/%d/objects/%d%s", [e, index(inp, e, kind, name), pointer]),
	"value": value,
}])

# without_object removes the object of kind and name from environment e.
without_object(inp, e, kind, name) := json.patch(inp, [{
	"op": "remove",
	"path": sprintf("/environments/%d/objects/%d", [e, index(inp, e, kind, name)]),
}])

# with_extra adds an object to environment e.
with_extra(inp, e, o) := json.patch(inp, [{"op": "add", "path": sprintf("/environments/%d/objects/-", [e]), "value": o}])

# web_container is the JSON pointer of the web Deployment's container.
container := "/spec/template/spec/containers/0"

pod := "/spec/template/spec"

# unset removes the value at a JSON pointer inside the object of kind and
# name in environment e.
unset(inp, e, kind, name, pointer) := json.patch(inp, [{
	"op": "remove",
	"path": sprintf("/environments/%d/objects/%d%s", [e, index(inp, e, kind, name), pointer]),
}])

# patch applies JSON patch operations to an input.
patch(inp, ops) := json.patch(inp, ops)

# messages are the messages of the violations with an id.
messages(id) := {v.message | some v in found(id)}

# METADATA
# title: Isolation
# description: |
#   Every tenant environment lives in its own namespace behind a default-deny
#   network policy and a quota; a dedicated tenant has its own node pool and
#   database, a shared or segmented tenant a database in the platform's
#   cluster; nothing reaches into another tenant or onto the host.
package palisade.rules.isolation

import data.palisade.lib

cluster_scoped := {
	"APIService", "CSIDriver", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
	"ClusterSecretStore", "CustomResourceDefinition", "IngressClass",
	"MutatingWebhookConfiguration", "Namespace", "PersistentVolume",
	"PriorityClass", "RuntimeClass", "StorageClass",
	"ValidatingWebhookConfiguration", "VolumeSnapshotClass",
}

# --- isolation.namespace ------------------------------------------------------

violations contains lib.object_violation(
	"isolation.namespace", "deny", env, obj,
	sprintf("%s is in namespace %q, not in the environment's namespace %q", [lib.describe(obj), ns, env.namespace]),
	namespace_fix(env),
) if {
	some i, env in input.environments
	some ns, js in lib.by_namespace[i]
	not ns in {env.namespace, ""}
	not foreign_namespace(env, ns)
	some j in js
	obj := env.objects[j]
}

violations contains lib.object_violation(
	"isolation.namespace", "deny", env, obj,
	sprintf("%s is in no namespace, not in the environment's namespace %q", [lib.describe(obj), env.namespace]),
	namespace_fix(env),
) if {
	some i, env in input.environments
	some j in lib.by_namespace[i][""]
	obj := env.objects[j]
	not cluster_scoped[obj.kind]
}

namespace_fix(env) := sprintf("render every namespaced object of the environment into %q", [env.namespace])

violations contains lib.violation(
	"isolation.namespace", "deny", env,
	sprintf("the environment has no Namespace object named %q", [env.namespace]),
	sprintf("add a Namespace %q to the environment's objects", [env.namespace]),
) if {
	some i, env in input.environments
	not own_namespace_object(i, env)
}

violations contains lib.object_violation(
	"isolation.namespace", "deny", env, obj,
	sprintf("cluster-scoped %s is not the environment's own Namespace %q", [lib.describe(obj), env.namespace]),
	"keep cluster-scoped objects out of tenant environments; the platform owns them",
) if {
	some i, env in input.environments
	some kind in (object.keys(lib.by_kind[i]) & cluster_scoped)
	some obj in lib.objects_of(i, kind)
	not own_namespace(env, obj)
}

violations contains lib.object_violation(
	"isolation.namespace", "deny", env, obj,
	sprintf("Namespace %q is labelled palisade.io/tenant=%q, not %q", [env.namespace, lib.label(obj, "palisade.io/tenant"), input.tenant.name]),
	"label the namespace with its tenant so that platform policies select it",
) if {
	some i, env in input.environments
	some obj in lib.objects_of(i, "Namespace")
	own_namespace(env, obj)
	lib.label(obj, "palisade.io/tenant") != input.tenant.name
}

own_namespace(env, obj) if {
	obj.kind == "Namespace"
	lib.name_of(obj) == env.namespace
}

own_namespace_object(i, env) if {
	some obj in lib.objects_of(i, "Namespace")
	lib.name_of(obj) == env.namespace
}

# foreign_namespace holds for a namespace that is neither the environment's
# nor the platform's: another tenant's.
foreign_namespace(env, ns) if {
	ns != ""
	not lib.own_or_platform_namespace(env, ns)
}

# --- isolation.default-deny ---------------------------------------------------

violations contains lib.violation(
	"isolation.default-deny", "deny", env,
	"no default-deny NetworkPolicy: one with an empty podSelector, policyTypes Ingress and Egress and no rules",
	"add a NetworkPolicy default-deny {podSelector: {}, policyTypes: [Ingress, Egress]}; allow traffic with further policies",
) if {
	some i, env in input.environments
	not default_deny(i)
}

default_deny(i) if {
	some np in lib.objects_of(i, "NetworkPolicy")
	empty_selector(object.get(np, ["spec", "podSelector"], {}))
	types := {t | some t in object.get(np, ["spec", "policyTypes"], [])}
	{"Ingress", "Egress"} & types == {"Ingress", "Egress"}
	count(object.get(np, ["spec", "ingress"], [])) == 0
	count(object.get(np, ["spec", "egress"], [])) == 0
}

empty_selector(sel) if {
	count(object.get(sel, "matchLabels", {})) == 0
	count(object.get(sel, "matchExpressions", [])) == 0
}

# --- isolation.dedicated-node-pool --------------------------------------------

violations contains lib.object_violation(
	"isolation.dedicated-node-pool", "deny", env, obj,
	sprintf("%s does not select the tenant's node pool (nodeSelector palisade.io/tenant=%q)", [lib.describe(obj), input.tenant.name]),
	sprintf("set nodeSelector palisade.io/tenant: %q on the pod template", [input.tenant.name]),
) if {
	lib.dedicated
	some key in unusual_placement
	object.get(lib.pods[key], ["nodeSelector", "palisade.io/tenant"], "") != input.tenant.name
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

violations contains lib.object_violation(
	"isolation.dedicated-node-pool", "deny", env, obj,
	sprintf("%s does not tolerate the taint palisade.io/dedicated=%q of the tenant's node pool", [lib.describe(obj), input.tenant.name]),
	sprintf("add the toleration {key: palisade.io/dedicated, operator: Equal, value: %q, effect: NoSchedule}", [input.tenant.name]),
) if {
	lib.dedicated
	some key in unusual_placement
	not tolerates_own_pool(object.get(lib.pods[key], "tolerations", []))
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

violations contains lib.object_violation(
	"isolation.dedicated-node-pool", "deny", env, c,
	sprintf("%s does not place its instances on the tenant's node pool", [lib.describe(c)]),
	sprintf("set spec.affinity.nodeSelector palisade.io/tenant: %q and tolerate palisade.io/dedicated=%q", [input.tenant.name, input.tenant.name]),
) if {
	lib.dedicated
	some i, env in input.environments
	some c in lib.clusters(i)
	not cluster_on_own_pool(c)
}

# unusual_placement are the keys of the pods not placed the usual way: on
# the tenant's own pool with exactly its toleration (dedicated), or with no
# tenant node selector and no toleration (shared and segmented). Only they
# are examined further.
unusual_placement := {key | some key, _ in lib.pods} - usual_placement

usual_placement contains key if {
	lib.dedicated
	some key, spec in lib.pods
	spec.nodeSelector["palisade.io/tenant"] == input.tenant.name
	spec.tolerations == [own_toleration]
}

usual_placement contains key if {
	not lib.dedicated
	some key, spec in lib.pods
	not spec.nodeSelector["palisade.io/tenant"]
	count(object.get(spec, "tolerations", [])) == 0
}

own_toleration := {"effect": "NoSchedule", "key": "palisade.io/dedicated", "operator": "Equal", "value": input.tenant.name}

tolerates_own_pool(tolerations) if {
	some t in tolerations
	t.key == "palisade.io/dedicated"
	object.get(t, "operator", "Equal") == "Equal"
	t.value == input.tenant.name
	object.get(t, "effect", "NoSchedule") in {"NoSchedule", ""}
}

cluster_on_own_pool(c) if {
	object.get(c, ["spec", "affinity", "nodeSelector", "palisade.io/tenant"], "") == input.tenant.name
	tolerates_own_pool(object.get(c, ["spec", "affinity", "tolerations"], []))
}

# --- isolation.dedicated-database ---------------------------------------------

violations contains lib.violation(
	"isolation.dedicated-database", "deny", env,
	sprintf("a dedicated tenant needs its own PostgreSQL cluster: no postgresql.cnpg.io Cluster in %q", [env.namespace]),
	"render the tier's dedicated-cluster database into the environment",
) if {
	lib.dedicated
	some i, env in input.environments
	count([c | some c in lib.clusters(i); lib.namespace_of(c) == env.namespace]) == 0
}

violations contains lib.object_violation(
	"isolation.dedicated-database", "deny", env, db,
	sprintf("a dedicated tenant's database %s is in a platform cluster (namespace %q)", [lib.describe(db), lib.namespace_of(db)]),
	"remove the tenant from the shared and segment clusters; it has its own",
) if {
	lib.dedicated
	some i, env in input.environments
	some db in tenant_databases[i]
}

violations contains lib.object_violation(
	"isolation.dedicated-database", "deny", env, obj,
	sprintf("%s points at %q, a platform database namespace; a dedicated tenant uses its own cluster", [lib.describe(obj), ns]),
	"point the database host at the tenant's own cluster (odoo-db-rw or its pooler)",
) if {
	lib.dedicated
	some ref in service_refs
	ns := ref.namespace
	startswith(ns, "postgres-")
	ns in input.platform.namespaces
	env := input.environments[ref.env]
	obj := env.objects[ref.obj]
}

# tenant_databases[i] are the Database objects the platform keeps for the
# tenant in environment i's cluster.
tenant_databases[i] contains db if {
	some i, env in input.environments
	some db in object.get(env, "platformObjects", [])
	db.kind == "Database"
	lib.cnpg(db)
	lib.label(db, "palisade.io/tenant") == input.tenant.name
}

# --- isolation.shared-database ------------------------------------------------

violations contains lib.object_violation(
	"isolation.shared-database", "deny", env, c,
	sprintf("a %s tenant must not run its own PostgreSQL cluster (%s)", [input.tier.isolation, lib.describe(c)]),
	"use the database the platform keeps for the tenant in its shared or segment cluster",
) if {
	not lib.dedicated
	some i, env in input.environments
	some c in lib.clusters(i)
}

violations contains lib.violation(
	"isolation.shared-database", "deny", env,
	sprintf("no Database for %q (%s) in namespace %q among the platform objects", [input.tenant.name, env.class, ns]),
	sprintf("create the tenant's Database in the %s cluster's namespace %q", [input.tier.isolation, ns]),
) if {
	not lib.dedicated
	some i, env in input.environments
	ns := shared_database_namespace
	count([db |
		some db in tenant_databases[i]
		lib.label(db, "palisade.io/environment") == env.class
		lib.namespace_of(db) == ns
	]) == 0
}

violations contains lib.violation(
	"isolation.shared-database", "deny", env,
	sprintf("Database %s/%s names cluster %q, which is not a PostgreSQL cluster in namespace %q", [lib.namespace_of(db), lib.name_of(db), cluster, lib.namespace_of(db)]),
	"point the Database at the platform cluster of its namespace",
) if {
	not lib.dedicated
	some i, env in input.environments
	some db in tenant_databases[i]
	lib.label(db, "palisade.io/environment") == env.class
	cluster := object.get(db, ["spec", "cluster", "name"], "")
	not platform_cluster(env, lib.namespace_of(db), cluster)
}

# shared_database_namespace is where a shared or segmented tenant's database
# lives: the platform's shared cluster, or its segment's.
shared_database_namespace := "postgres-shared" if input.tier.isolation == "shared"

shared_database_namespace := sprintf("postgres-%s", [input.tenant.segment]) if input.tier.isolation == "segmented"

platform_cluster(env, ns, name) if {
	some c in env.platformObjects
	c.kind == "Cluster"
	lib.cnpg(c)
	lib.namespace_of(c) == ns
	lib.name_of(c) == name
}

# --- isolation.quota ------------------------------------------------------------

violations contains lib.violation(
	"isolation.quota", "deny", env,
	"no ResourceQuota with hard requests.cpu and requests.memory",
	"add the tier's ResourceQuota to the environment",
) if {
	some i, env in input.environments
	not has_quota(i)
}

has_quota(i) if {
	some q in lib.objects_of(i, "ResourceQuota")
	q.spec.hard["requests.cpu"]
	q.spec.hard["requests.memory"]
}

# --- isolation.cross-tenant-reference -------------------------------------------

cross_fix := "reference only the environment's own namespace and objects, and the platform's shared services"

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, obj,
	sprintf("%s is placed in namespace %q, which is neither the environment's nor the platform's", [lib.describe(obj), ns]),
	cross_fix,
) if {
	some i, env in input.environments
	some ns, js in lib.by_namespace[i]
	foreign_namespace(env, ns)
	some j in js
	obj := env.objects[j]
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, env.objects[j],
	sprintf("a namespaceSelector admits namespace %q, which is neither the environment's nor the platform's", [ns]),
	cross_fix,
) if {
	some [i, j, sel] in namespace_selectors
	env := input.environments[i]
	some ns in selector_namespaces(sel)
	foreign_namespace(env, ns)
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, env.objects[j],
	"a namespaceSelector does not name its namespaces (kubernetes.io/metadata.name), so it may admit other tenants",
	cross_fix,
) if {
	some [i, j, sel] in namespace_selectors
	count(selector_namespaces(sel)) == 0
	env := input.environments[i]
}

# namespace_selectors are [i, j, selector] for each namespaceSelector of the
# ingress and egress peers of NetworkPolicy j of environment i.
namespace_selectors contains [i, j, peer.namespaceSelector] if {
	some i, env in input.environments
	some j in lib.by_kind[i].NetworkPolicy
	some rule in object.get(env.objects[j].spec, "ingress", [])
	some peer in object.get(rule, "from", [])
}

namespace_selectors contains [i, j, peer.namespaceSelector] if {
	some i, env in input.environments
	some j in lib.by_kind[i].NetworkPolicy
	some rule in object.get(env.objects[j].spec, "egress", [])
	some peer in object.get(rule, "to", [])
}

selector_namespaces(sel) := {ns | ns := sel.matchLabels["kubernetes.io/metadata.name"]} | {ns |
	some e in object.get(sel, "matchExpressions", [])
	e.key == "kubernetes.io/metadata.name"
	e.operator == "In"
	some ns in e.values
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, obj,
	sprintf("%s refers to service %q in namespace %q, which is neither the environment's nor the platform's", [lib.describe(obj), ref.host, ref.namespace]),
	cross_fix,
) if {
	some ref in service_refs
	env := input.environments[ref.env]
	foreign_namespace(env, ref.namespace)
	obj := env.objects[ref.obj]
}

# service_refs are the in-cluster service hosts (name.namespace.svc) the
# environments' ConfigMaps and container environments name.
service_refs contains {"env": i, "obj": j, "host": m[0], "namespace": m[2]} if {
	some i, env in input.environments
	some j in lib.by_kind[i].ConfigMap
	some value in object.get(env.objects[j], "data", {})
	contains(value, ".svc")
	some m in regex.find_all_string_submatch_n(`([a-z0-9-]+)\.([a-z0-9-]+)\.svc`, value, -1)
}

service_refs contains {"env": key[0], "obj": key[1], "host": m[0], "namespace": m[2]} if {
	some key, c in lib.containers
	some e in object.get(c, "env", [])
	contains(e.value, ".svc")
	some m in regex.find_all_string_submatch_n(`([a-z0-9-]+)\.([a-z0-9-]+)\.svc`, e.value, -1)
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, obj,
	sprintf("%s uses Secret %q, which no ExternalSecret of the environment declares", [lib.describe(obj), name]),
	"declare every Secret the environment uses as an ExternalSecret in its namespace",
) if {
	some [i, j, name] in secret_uses
	not lib.declared_secrets[i][name]
	env := input.environments[i]
	obj := env.objects[j]
}

# secret_uses are [i, j, name] for each Secret object j of environment i
# uses: in container environments, envFrom, volumes, image pull secrets and
# CloudNativePG clusters.
secret_uses contains [key[0], key[1], e.valueFrom.secretKeyRef.name] if {
	some key, c in lib.containers
	some e in object.get(c, "env", [])
}

secret_uses contains [key[0], key[1], e.secretRef.name] if {
	some key, c in lib.containers
	some e in object.get(c, "envFrom", [])
}

secret_uses contains [i, j, source.secretName] if {
	some [i, j, "secret", source] in volumes
}

secret_uses contains [i, j, s.secret.name] if {
	some [i, j, "projected", source] in volumes
	some s in source.sources
}

secret_uses contains [key[0], key[1], s.name] if {
	some key, spec in lib.pods
	some s in object.get(spec, "imagePullSecrets", [])
}

secret_uses contains [i, j, name] if {
	some i, env in input.environments
	some j in lib.by_kind[i].Cluster
	some name in cluster_secrets(env.objects[j])
}

# cluster_secrets are the Secrets a CloudNativePG cluster names.
cluster_secrets(c) := ({name |
	some path in [
		["bootstrap", "initdb", "secret", "name"],
		["superuserSecret", "name"],
	]
	name := object.get(c.spec, path, null)
	name != null
} | {name |
	some store in array.concat(
		[object.get(c.spec, ["backup", "barmanObjectStore"], {})],
		[object.get(x, "barmanObjectStore", {}) | some x in object.get(c.spec, "externalClusters", [])],
	)
	some ref in object.get(store, "s3Credentials", {})
	name := ref.name
}) | {name |
	some role in object.get(c.spec, ["managed", "roles"], [])
	name := role.passwordSecret.name
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, obj,
	sprintf("%s mounts PersistentVolumeClaim %q, which is not one of the environment's", [lib.describe(obj), claim]),
	"mount only the environment's own PersistentVolumeClaims",
) if {
	some [i, j, "persistentVolumeClaim", source] in volumes
	claim := source.claimName
	not own_claim(i, claim)
	env := input.environments[i]
	obj := env.objects[j]
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, pvc,
	sprintf("%s binds to PersistentVolume %q by name, which may hold another tenant's data", [lib.describe(pvc), pvc.spec.volumeName]),
	"let the claim be provisioned dynamically from its storage class",
) if {
	some i, env in input.environments
	some pvc in lib.objects_of(i, "PersistentVolumeClaim")
	pvc.spec.volumeName != ""
}

own_claim(i, claim) if {
	some pvc in lib.objects_of(i, "PersistentVolumeClaim")
	lib.name_of(pvc) == claim
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, obj,
	sprintf("%s is placed on another tenant's node pool (%s)", [lib.describe(obj), how]),
	"place pods on the tier's node pool; only the tenant itself may use its dedicated pool",
) if {
	some key in unusual_placement
	some how in foreign_pool(lib.pods[key])
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

foreign_pool(spec) := {sprintf("nodeSelector palisade.io/tenant=%s", [t]) |
	t := spec.nodeSelector["palisade.io/tenant"]
	t != input.tenant.name
} | {sprintf("toleration palisade.io/dedicated=%s", [t.value]) |
	some t in object.get(spec, "tolerations", [])
	t.key == "palisade.io/dedicated"
	object.get(t, "value", "") != input.tenant.name
}

violations contains lib.object_violation(
	"isolation.cross-tenant-reference", "deny", env, so,
	sprintf("%s scales on metrics of namespace %q", [lib.describe(so), m[1]]),
	"scale on the environment's own metrics only",
) if {
	some i, env in input.environments
	some so in lib.objects_of(i, "ScaledObject")
	some t in object.get(so, ["spec", "triggers"], [])
	some m in regex.find_all_string_submatch_n(`namespace="([a-z0-9-]+)"`, object.get(t, ["metadata", "query"], ""), -1)
	m[1] != env.namespace
}

# --- isolation.host-access --------------------------------------------------------

violations contains lib.object_violation(
	"isolation.host-access", "deny", env, obj,
	sprintf("%s uses the host's %s", [lib.describe(obj), field]),
	host_fix,
) if {
	some key, spec in lib.pods
	some field in (object.keys(spec) & {"hostNetwork", "hostPID", "hostIPC"})
	spec[field] == true
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

violations contains lib.object_violation(
	"isolation.host-access", "deny", env, obj,
	sprintf("%s mounts host path %q", [lib.describe(obj), source.path]),
	host_fix,
) if {
	some [i, j, "hostPath", source] in volumes
	env := input.environments[i]
	obj := env.objects[j]
}

host_fix := "remove host namespaces, host paths and host ports; Pod Security restricted forbids them"

violations contains lib.object_violation(
	"isolation.host-access", "deny", env, obj,
	sprintf("%s container %q binds host port %d", [lib.describe(obj), c.name, p.hostPort]),
	"remove host ports; expose the workload through a Service",
) if {
	some key, c in lib.containers
	some p in object.get(c, "ports", [])
	p.hostPort > 0
	env := input.environments[key[0]]
	obj := env.objects[key[1]]
}

# volumes are [i, j, source, definition] for each volume of the pod spec of
# object j of environment i: source is the volume's type
# (persistentVolumeClaim, secret, projected, hostPath, emptyDir...). One
# pass over the volumes serves every rule about them.
volumes contains [key[0], key[1], source, v[source]] if {
	some key, spec in lib.pods
	some v in object.get(spec, "volumes", [])
	some source in object.keys(v)
	source != "name"
}

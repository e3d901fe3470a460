package palisade.tests.isolation

import data.palisade.fixtures as fx

# --- isolation.namespace

test_namespace_ok if {
	not "isolation.namespace" in fx.ids with input as fx.dedicated
}

test_namespace_platform_namespace_denied if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-web", "/metadata/namespace", "monitoring")
	fx.messages("isolation.namespace") == {`Deployment/odoo-web is in namespace "monitoring", not in the environment's namespace "acme-prod"`} with input as inp
	not "isolation.cross-tenant-reference" in fx.ids with input as inp
}

test_namespace_missing_denied if {
	inp := fx.unset(fx.dedicated, 0, "ConfigMap", "odoo-config", "/metadata/namespace")
	fx.messages("isolation.namespace") == {`ConfigMap/odoo-config is in no namespace, not in the environment's namespace "acme-prod"`} with input as inp
}

test_namespace_object_missing_denied if {
	inp := fx.without_object(fx.dedicated, 2, "Namespace", "acme-staging")
	fx.messages("isolation.namespace") == {`the environment has no Namespace object named "acme-staging"`} with input as inp
}

test_cluster_scoped_object_denied if {
	inp := fx.with_extra(fx.shared, 0, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "acme-admin"}})
	fx.messages("isolation.namespace") == {`cluster-scoped ClusterRole/acme-admin is not the environment's own Namespace "acme-prod"`} with input as inp
}

test_namespace_label_denied if {
	inp := fx.set(fx.shared, 1, "Namespace", "acme-staging", "/metadata/labels", {"palisade.io/tenant": "other"})
	fx.messages("isolation.namespace") == {`Namespace "acme-staging" is labelled palisade.io/tenant="other", not "acme"`} with input as inp
}

# --- isolation.default-deny

test_default_deny_ok if {
	not "isolation.default-deny" in fx.ids with input as fx.shared
}

test_default_deny_missing_denied if {
	inp := fx.without_object(fx.shared, 0, "NetworkPolicy", "default-deny")
	[v.environment | some v in fx.found("isolation.default-deny")] == ["production"] with input as inp
}

test_default_deny_with_rules_denied if {
	inp := fx.set(fx.shared, 1, "NetworkPolicy", "default-deny", "/spec/egress", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])
	"isolation.default-deny" in fx.ids with input as inp
}

test_default_deny_ingress_only_denied if {
	inp := fx.set(fx.shared, 1, "NetworkPolicy", "default-deny", "/spec/policyTypes", ["Ingress"])
	"isolation.default-deny" in fx.ids with input as inp
}

# --- isolation.dedicated-node-pool

test_dedicated_node_pool_ok if {
	not "isolation.dedicated-node-pool" in fx.ids with input as fx.dedicated
}

test_dedicated_node_pool_selector_denied if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-web", "/spec/template/spec/nodeSelector", {"palisade.io/pool-class": "shared"})
	fx.messages("isolation.dedicated-node-pool") == {`Deployment/odoo-web does not select the tenant's node pool (nodeSelector palisade.io/tenant="acme")`} with input as inp
}

test_dedicated_node_pool_toleration_denied if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-cron", "/spec/template/spec/tolerations", [])
	fx.messages("isolation.dedicated-node-pool") == {`Deployment/odoo-cron does not tolerate the taint palisade.io/dedicated="acme" of the tenant's node pool`} with input as inp
}

test_dedicated_node_pool_other_toleration_allowed if {
	inp := fx.set(fx.dedicated, 0, "Deployment", "odoo-cron", "/spec/template/spec/tolerations/-", {"key": "node.kubernetes.io/not-ready", "operator": "Exists"})
	not "isolation.dedicated-node-pool" in fx.ids with input as inp
}

test_dedicated_node_pool_cluster_denied if {
	inp := fx.set(fx.dedicated, 0, "Cluster", "odoo-db", "/spec/affinity", {})
	fx.messages("isolation.dedicated-node-pool") == {`Cluster/odoo-db does not place its instances on the tenant's node pool`} with input as inp
}

# --- isolation.dedicated-database

test_dedicated_database_ok if {
	not "isolation.dedicated-database" in fx.ids with input as fx.dedicated
}

test_dedicated_database_missing_denied if {
	inp := fx.without_object(fx.dedicated, 2, "Cluster", "odoo-db")
	fx.messages("isolation.dedicated-database") == {`a dedicated tenant needs its own PostgreSQL cluster: no postgresql.cnpg.io Cluster in "acme-staging"`} with input as inp
}

test_dedicated_database_in_shared_cluster_denied if {
	db := {
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
		"metadata": {"name": "acme-prod", "namespace": "postgres-shared", "labels": {"palisade.io/tenant": "acme", "palisade.io/environment": "production"}},
		"spec": {"cluster": {"name": "pg-shared"}},
	}
	inp := fx.patch(fx.dedicated, [{"op": "add", "path": "/environments/0/platformObjects/-", "value": db}])
	fx.messages("isolation.dedicated-database") == {`a dedicated tenant's database Database/acme-prod is in a platform cluster (namespace "postgres-shared")`} with input as inp
}

test_dedicated_database_shared_host_denied if {
	inp := fx.set(fx.dedicated, 0, "ConfigMap", "odoo-config", "/data", {"web.db_host": "pg-shared-rw.postgres-shared.svc"})
	fx.messages("isolation.dedicated-database") == {`ConfigMap/odoo-config points at "postgres-shared", a platform database namespace; a dedicated tenant uses its own cluster`} with input as inp
}

# --- isolation.shared-database

test_shared_database_ok if {
	not "isolation.shared-database" in fx.ids with input as fx.shared
}

test_shared_database_own_cluster_denied if {
	cluster := {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "mine", "namespace": "acme-prod"}, "spec": {}}
	inp := fx.with_extra(fx.shared, 0, cluster)
	fx.messages("isolation.shared-database") == {`a shared tenant must not run its own PostgreSQL cluster (Cluster/mine)`} with input as inp
}

test_shared_database_missing_denied if {
	inp := fx.patch(fx.shared, [{"op": "remove", "path": "/environments/1/platformObjects/1"}])
	fx.messages("isolation.shared-database") == {`no Database for "acme" (staging) in namespace "postgres-shared" among the platform objects`} with input as inp
}

test_shared_database_wrong_cluster_denied if {
	inp := fx.patch(fx.shared, [{"op": "replace", "path": "/environments/0/platformObjects/1/spec/cluster/name", "value": "pg-other"}])
	fx.messages("isolation.shared-database") == {`Database postgres-shared/acme-prod names cluster "pg-other", which is not a PostgreSQL cluster in namespace "postgres-shared"`} with input as inp
}

test_segmented_database_in_segment_cluster if {
	inp := fx.patch(fx.shared, [
		{"op": "replace", "path": "/tier/isolation", "value": "segmented"},
		{"op": "replace", "path": "/tenant/segment", "value": "fashion-eu"},
	])
	fx.messages("isolation.shared-database") == {
		`no Database for "acme" (production) in namespace "postgres-fashion-eu" among the platform objects`,
		`no Database for "acme" (staging) in namespace "postgres-fashion-eu" among the platform objects`,
	} with input as inp
}

# --- isolation.quota

test_quota_ok if {
	not "isolation.quota" in fx.ids with input as fx.shared
}

test_quota_missing_denied if {
	inp := fx.without_object(fx.shared, 0, "ResourceQuota", "tenant-quota")
	[v.environment | some v in fx.found("isolation.quota")] == ["production"] with input as inp
}

test_quota_without_cpu_denied if {
	inp := fx.set(fx.shared, 0, "ResourceQuota", "tenant-quota", "/spec/hard", {"requests.memory": "1Gi"})
	"isolation.quota" in fx.ids with input as inp
}

# --- isolation.cross-tenant-reference

test_cross_tenant_ok if {
	not "isolation.cross-tenant-reference" in fx.ids with input as fx.dedicated
	not "isolation.cross-tenant-reference" in fx.ids with input as fx.shared
}

test_cross_tenant_namespace_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/metadata/namespace", "globex-prod")
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-web is placed in namespace "globex-prod", which is neither the environment's nor the platform's`} with input as inp
	not "isolation.namespace" in fx.ids with input as inp
}

test_cross_tenant_namespace_selector_denied if {
	inp := fx.set(fx.shared, 0, "NetworkPolicy", "allow-ingress-controller", "/spec/ingress/0/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name", "globex-prod")
	fx.messages("isolation.cross-tenant-reference") == {`a namespaceSelector admits namespace "globex-prod", which is neither the environment's nor the platform's`} with input as inp
}

test_cross_tenant_namespace_expression_denied if {
	inp := fx.set(fx.shared, 0, "NetworkPolicy", "allow-ingress-controller", "/spec/egress", [{"to": [{"namespaceSelector": {"matchExpressions": [{
		"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["traefik", "globex-prod"],
	}]}}]}])
	fx.messages("isolation.cross-tenant-reference") == {`a namespaceSelector admits namespace "globex-prod", which is neither the environment's nor the platform's`} with input as inp
}

test_cross_tenant_unnamed_namespace_selector_denied if {
	inp := fx.set(fx.shared, 0, "NetworkPolicy", "allow-ingress-controller", "/spec/ingress/0/from/0/namespaceSelector", {"matchLabels": {"team": "shop"}})
	fx.messages("isolation.cross-tenant-reference") == {"a namespaceSelector does not name its namespaces (kubernetes.io/metadata.name), so it may admit other tenants"} with input as inp
}

test_cross_tenant_service_in_config_denied if {
	inp := fx.set(fx.dedicated, 0, "ConfigMap", "odoo-config", "/data", {"web.db_host": "odoo-db-rw.globex-prod.svc.cluster.local"})
	fx.messages("isolation.cross-tenant-reference") == {`ConfigMap/odoo-config refers to service "odoo-db-rw.globex-prod.svc" in namespace "globex-prod", which is neither the environment's nor the platform's`} with input as inp
}

test_cross_tenant_service_in_env_denied if {
	inp := fx.set(fx.shared, 1, "Deployment", "odoo-worker", "/spec/template/spec/containers/0/env/1/value", "redis.globex-staging.svc")
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-worker refers to service "redis.globex-staging.svc" in namespace "globex-staging", which is neither the environment's nor the platform's`} with input as inp
}

test_cross_tenant_secret_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name", "globex-db")
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-web uses Secret "globex-db", which no ExternalSecret of the environment declares`} with input as inp
}

test_cross_tenant_secret_sources_denied if {
	inp := fx.patch(fx.dedicated, [
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/containers/0/envFrom", [fx.index(fx.dedicated, 0, "Deployment", "odoo-web")]), "value": [{"secretRef": {"name": "s-envfrom"}}]},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/volumes/-", [fx.index(fx.dedicated, 0, "Deployment", "odoo-web")]), "value": {"name": "a", "secret": {"secretName": "s-volume"}}},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/volumes/-", [fx.index(fx.dedicated, 0, "Deployment", "odoo-web")]), "value": {"name": "b", "projected": {"sources": [{"secret": {"name": "s-projected"}}]}}},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/imagePullSecrets", [fx.index(fx.dedicated, 0, "Deployment", "odoo-web")]), "value": [{"name": "s-pull"}]},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/superuserSecret", [fx.index(fx.dedicated, 0, "Cluster", "odoo-db")]), "value": {"name": "s-superuser"}},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/managed", [fx.index(fx.dedicated, 0, "Cluster", "odoo-db")]), "value": {"roles": [{"name": "r", "passwordSecret": {"name": "s-role"}}]}},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/externalClusters", [fx.index(fx.dedicated, 0, "Cluster", "odoo-db")]), "value": [{"name": "primary", "barmanObjectStore": {"s3Credentials": {"accessKeyId": {"name": "s-external", "key": "k"}}}}]},
	])
	names := {name |
		some m in fx.messages("isolation.cross-tenant-reference")
		name := regex.find_all_string_submatch_n(`Secret "([^"]+)"`, m, 1)[0][1]
	} with input as inp
	names == {"s-envfrom", "s-volume", "s-projected", "s-pull", "s-superuser", "s-role", "s-external"}
}

test_cross_tenant_secret_without_target_name_declared if {
	inp := fx.unset(fx.shared, 0, "ExternalSecret", "odoo-db", "/spec/target")
	not "isolation.cross-tenant-reference" in fx.ids with input as inp
}

test_cross_tenant_volume_claim_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/spec/template/spec/volumes/0/persistentVolumeClaim/claimName", "globex-filestore")
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-web mounts PersistentVolumeClaim "globex-filestore", which is not one of the environment's`} with input as inp
}

test_cross_tenant_volume_binding_denied if {
	inp := fx.set(fx.shared, 0, "PersistentVolumeClaim", "odoo-filestore", "/spec/volumeName", "pv-globex-0001")
	fx.messages("isolation.cross-tenant-reference") == {`PersistentVolumeClaim/odoo-filestore binds to PersistentVolume "pv-globex-0001" by name, which may hold another tenant's data`} with input as inp
}

test_cross_tenant_node_pool_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/spec/template/spec/nodeSelector/palisade.io~1tenant", "globex")
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-web is placed on another tenant's node pool (nodeSelector palisade.io/tenant=globex)`} with input as inp
}

test_cross_tenant_toleration_denied if {
	inp := fx.set(fx.shared, 0, "Deployment", "odoo-web", "/spec/template/spec/tolerations", [{"key": "palisade.io/dedicated", "operator": "Equal", "value": "globex", "effect": "NoSchedule"}])
	fx.messages("isolation.cross-tenant-reference") == {`Deployment/odoo-web is placed on another tenant's node pool (toleration palisade.io/dedicated=globex)`} with input as inp
}

test_cross_tenant_metrics_denied if {
	inp := fx.set(fx.shared, 0, "ScaledObject", "odoo-web", "/spec/triggers/0/metadata/query", `sum(odoo_queue_job_pending{namespace="globex-prod"})`)
	fx.messages("isolation.cross-tenant-reference") == {`ScaledObject/odoo-web scales on metrics of namespace "globex-prod"`} with input as inp
}

# --- isolation.host-access

test_host_access_ok if {
	not "isolation.host-access" in fx.ids with input as fx.dedicated
}

test_host_access_denied if {
	web := fx.index(fx.shared, 0, "Deployment", "odoo-web")
	inp := fx.patch(fx.shared, [
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/hostNetwork", [web]), "value": true},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/volumes/-", [web]), "value": {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}},
		{"op": "add", "path": sprintf("/environments/0/objects/%d/spec/template/spec/containers/0/ports", [web]), "value": [{"containerPort": 8069, "hostPort": 80}]},
	])
	fx.messages("isolation.host-access") == {
		"Deployment/odoo-web uses the host's hostNetwork",
		`Deployment/odoo-web mounts host path "/var/run/docker.sock"`,
		`Deployment/odoo-web container "odoo" binds host port 80`,
	} with input as inp
}

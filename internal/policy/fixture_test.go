package policy

import (
	"fmt"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// This file builds realistic policy inputs in Go: tenant environments
// shaped like the renderer's output (Namespace, quota, four Odoo
// Deployments, PDBs, network policies, ExternalSecrets, ScaledObjects,
// CloudNativePG objects...), about 45 objects each, that pass every
// built-in rule. Tests break one thing at a time.

type obj = map[string]any
type list = []any

var testAt = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const (
	testRegistry = "registry.palisade.example"
	odooImage    = testRegistry + "/odoo/enterprise@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	pgImage      = testRegistry + "/platform/postgresql@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	redisImage   = testRegistry + "/platform/redis@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	rcloneImage  = testRegistry + "/platform/rclone@sha256:4444444444444444444444444444444444444444444444444444444444444444"
	restoreImage = testRegistry + "/platform/restore-test@sha256:5555555555555555555555555555555555555555555555555555555555555555"
)

var envShort = map[string]string{estate.Production: "prod", estate.Staging: "staging", estate.Development: "dev"}

// tierFacts are the example tiers' facts, as NewInput would copy them.
func tierFacts(isolation string) Tier {
	rb := func(min, def, max int) estate.ReplicaBounds {
		return estate.ReplicaBounds{Min: min, Default: def, Max: max}
	}
	switch isolation {
	case estate.IsolationDedicated:
		return Tier{
			Name: "dedicated", Isolation: isolation, SigningKeys: []string{"palisade-example", "nordlys-release"},
			Environments: map[string]TierEnvironment{
				estate.Production: {
					Replicas: map[string]estate.ReplicaBounds{"web": rb(3, 4, 12), "cron": rb(1, 2, 2), "worker": rb(2, 3, 12), "longpolling": rb(2, 2, 4)},
					Zones:    3, PDB: estate.PDB{Enabled: true, MaxUnavailable: 1}, NodePool: "dedicated",
					Database: estate.Database{Placement: estate.DBDedicatedCluster, Instances: 3, SynchronousReplicas: 1},
					Redis:    estate.Redis{Mode: "dedicated", Replicas: 2},
					Backup: estate.Backup{RPO: "5m", Schedule: "0 */6 * * *", Retention: "90d", PITR: true, CrossRegion: true,
						RestoreTest: &estate.RestoreTest{Schedule: "0 4 * * 6"}},
					Autoscaling: estate.Autoscaling{Enabled: true, Signals: []string{"queue-depth", "latency"}},
					Quota:       estate.Quota{CPU: "64", Memory: "160Gi", Pods: 150, Storage: "4Ti"},
				},
				estate.Staging: {
					Replicas: map[string]estate.ReplicaBounds{"web": rb(1, 2, 4), "cron": rb(0, 1, 1), "worker": rb(0, 1, 4), "longpolling": rb(0, 1, 2)},
					Zones:    2, NodePool: "dedicated",
					Database: estate.Database{Placement: estate.DBDedicatedCluster, Instances: 2},
					Backup:   estate.Backup{RPO: "24h", Schedule: "0 3 * * *", Retention: "14d", PITR: true},
					Quota:    estate.Quota{CPU: "16", Memory: "48Gi", Pods: 40, Storage: "1Ti"},
				},
			},
		}
	default:
		return Tier{
			Name: isolation, Isolation: isolation, SigningKeys: []string{"palisade-example"},
			Environments: map[string]TierEnvironment{
				estate.Production: {
					Replicas: map[string]estate.ReplicaBounds{"web": rb(2, 2, 4), "cron": rb(1, 1, 1), "worker": rb(1, 1, 4), "longpolling": rb(1, 1, 2)},
					Zones:    2, PDB: estate.PDB{Enabled: true, MaxUnavailable: 1}, NodePool: "shared",
					Database: estate.Database{Placement: estate.DBSharedCluster},
					Backup:   estate.Backup{RPO: "15m", Schedule: "0 2 * * *", Retention: "14d", PITR: true},
					Quota:    estate.Quota{CPU: "12", Memory: "32Gi", Pods: 30, Storage: "500Gi"},
				},
				estate.Staging: {
					Replicas: map[string]estate.ReplicaBounds{"web": rb(1, 1, 2), "cron": rb(0, 1, 1), "worker": rb(0, 1, 1), "longpolling": rb(0, 1, 1)},
					Zones:    1, NodePool: "shared",
					Database: estate.Database{Placement: estate.DBSharedCluster},
					Backup:   estate.Backup{RPO: "24h", Schedule: "0 3 * * *", Retention: "3d"},
					Quota:    estate.Quota{CPU: "4", Memory: "8Gi", Pods: 15, Storage: "100Gi"},
				},
			},
		}
	}
}

// testInput is a valid input for a tenant of the given isolation:
// production (with a standby in a second region when dedicated) and
// staging.
func testInput(tenant, isolation string) Input {
	in := Input{
		At: testAt.Format(time.RFC3339),
		Platform: Platform{
			Name:       "palisade-example",
			Registries: Registries{Allowed: []string{testRegistry + "/odoo", testRegistry + "/platform"}},
			Keys:       []string{"nordlys-release", "palisade-example"},
			Namespaces: []string{"argocd", "cnpg-system", "flux-system", "kube-system", "monitoring", "postgres-shared", "redis-shared", "traefik"},
		},
		Tenant:       Tenant{Name: tenant, Brand: "Brand " + tenant, Tier: isolation, TimeZone: "Europe/Paris", File: "tenants/" + tenant + ".cue"},
		Tier:         tierFacts(isolation),
		Images:       []Image{},
		SupplyChain:  SupplyChain{Enforced: true},
		Change:       Change{Environments: []string{}},
		Windows:      []Window{},
		Waivers:      []Waiver{},
		Environments: []Environment{},
	}
	in.Tenant.Tier = in.Tier.Name
	// value() gives these as empty rather than null; so must the JSON
	// encoding TestValueMatchesJSON compares it with.
	for class, te := range in.Tier.Environments {
		te.Autoscaling.Signals = orEmpty(te.Autoscaling.Signals)
		if te.Autoscaling.MaxReplicas == nil {
			te.Autoscaling.MaxReplicas = map[string]int{}
		}
		in.Tier.Environments[class] = te
	}
	for _, img := range []string{odooImage, pgImage, redisImage, rcloneImage, restoreImage} {
		ref, digest := splitDigest(img)
		in.Images = append(in.Images, Image{Ref: ref + ":1.0", Digest: digest, Verified: true, Signer: "palisade-example"})
	}
	b := builder{tenant: tenant, isolation: isolation, tier: in.Tier}
	in.Environments = append(in.Environments, b.environment(estate.Production, "eu-west-prod", "eu-west", false))
	if isolation == estate.IsolationDedicated {
		in.Environments = append(in.Environments, b.environment(estate.Production, "eu-central-prod", "eu-central", true))
	}
	in.Environments = append(in.Environments, b.environment(estate.Staging, "eu-west-nonprod", "eu-west", false))
	return in
}

func splitDigest(ref string) (string, string) {
	for i := range ref {
		if ref[i] == '@' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}

type builder struct {
	tenant, isolation string
	tier              Tier
	// env being built
	class, ns string
	standby   bool
}

func (b *builder) labels(extra ...string) obj {
	l := obj{
		"app.kubernetes.io/managed-by": "palisade",
		"palisade.io/environment":      b.class,
		"palisade.io/tenant":           b.tenant,
		"palisade.io/tier":             b.tier.Name,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func (b *builder) meta(name string, extra ...string) obj {
	return obj{"name": name, "namespace": b.ns, "labels": b.labels(extra...)}
}

func (b *builder) object(apiVersion, kind, name string, spec obj) obj {
	o := obj{"apiVersion": apiVersion, "kind": kind, "metadata": b.meta(name)}
	if spec != nil {
		o["spec"] = spec
	}
	return o
}

func (b *builder) environment(class, cluster, region string, standby bool) Environment {
	b.class, b.ns, b.standby = class, b.tenant+"-"+envShort[class], standby
	name := class
	if standby {
		name += "-standby"
	}
	te := b.tier.Environments[class]
	env := Environment{Name: name, Class: class, Namespace: b.ns, Cluster: cluster, Region: region, Standby: standby}
	add := func(o ...obj) { env.Objects = append(env.Objects, o...) }

	add(obj{"apiVersion": "v1", "kind": "Namespace", "metadata": obj{"name": b.ns, "labels": b.labels(
		"pod-security.kubernetes.io/enforce", "restricted")}, "spec": obj{}})
	add(b.object("v1", "ResourceQuota", "tenant-quota", obj{"hard": obj{
		"requests.cpu": te.Quota.CPU, "requests.memory": te.Quota.Memory,
		"pods": fmt.Sprint(te.Quota.Pods), "requests.storage": te.Quota.Storage}}))
	sa := b.object("v1", "ServiceAccount", "odoo", nil)
	sa["automountServiceAccountToken"] = false
	add(sa)
	dbHost := "odoo-db-rw"
	if b.isolation != estate.IsolationDedicated {
		dbHost = "pg-shared-rw.postgres-shared.svc"
	}
	cm := b.object("v1", "ConfigMap", "odoo-config", nil)
	cm["data"] = obj{"web.db_host": dbHost, "cron.db_host": dbHost, "worker.db_host": dbHost,
		"longpolling.db_host": dbHost, "web.workers": "4", "odoo.conf": "[options]\ndb_host = False\nproxy_mode = True\n"}
	bcm := b.object("v1", "ConfigMap", "backup-config", nil)
	bcm["data"] = obj{"S3_BUCKET": "backups", "S3_ENDPOINT": "https://s3.example", "DB_HOST": dbHost}
	add(cm, bcm)
	for _, svc := range []string{"odoo-web", "odoo-longpolling", "redis", "redis-headless"} {
		add(b.object("v1", "Service", svc, obj{"ports": list{obj{"name": "http", "port": 8069}},
			"selector": obj{"app.kubernetes.io/name": "odoo"}}))
	}
	add(b.object("v1", "LimitRange", "tenant-limits", obj{"limits": list{obj{"type": "Container",
		"default": obj{"cpu": "500m", "memory": "512Mi"}}}}))
	add(b.object("v1", "PersistentVolumeClaim", "odoo-filestore", obj{"accessModes": list{"ReadWriteMany"},
		"resources": obj{"requests": obj{"storage": "100Gi"}}, "storageClassName": "premium-rwx"}))

	res := map[string][4]string{
		"web": {"1", "2Gi", "2", "4Gi"}, "cron": {"500m", "1Gi", "1", "2Gi"},
		"worker": {"500m", "1536Mi", "2", "3Gi"}, "longpolling": {"250m", "512Mi", "500m", "1Gi"},
	}
	for _, w := range estate.WorkloadClasses {
		replicas := te.Replicas[w].Default
		if standby {
			replicas = 0
		}
		r := res[w]
		d := b.object("apps/v1", "Deployment", "odoo-"+w, obj{
			"replicas": replicas,
			"selector": obj{"matchLabels": obj{"app.kubernetes.io/component": w, "app.kubernetes.io/name": "odoo"}},
			"template": obj{
				"metadata": obj{"labels": b.labels("app.kubernetes.io/component", w, "app.kubernetes.io/name", "odoo")},
				"spec":     b.podSpec(w, odooImage, r, te.Zones, []string{"odoo-db", "redis"}, true),
			},
		})
		d["metadata"].(obj)["labels"].(obj)["app.kubernetes.io/component"] = w
		d["metadata"].(obj)["labels"].(obj)["app.kubernetes.io/name"] = "odoo"
		add(d)
	}
	if b.isolation == estate.IsolationDedicated {
		add(b.object("apps/v1", "StatefulSet", "redis", obj{
			"replicas":    3,
			"serviceName": "redis-headless",
			"selector":    obj{"matchLabels": obj{"app.kubernetes.io/name": "redis"}},
			"template": obj{
				"metadata": obj{"labels": b.labels("app.kubernetes.io/name", "redis")},
				"spec":     b.podSpec("redis", redisImage, [4]string{"250m", "512Mi", "1", "1Gi"}, 0, []string{"redis"}, false),
			},
		}))
	}
	add(b.cronJob("filestore-backup", "0 */6 * * *", rcloneImage, true))
	if te.Backup.RestoreTest != nil {
		add(b.cronJob("restore-test", te.Backup.RestoreTest.Schedule, restoreImage, false))
	}
	if te.PDB.Enabled {
		for _, w := range estate.WorkloadClasses {
			add(b.object("policy/v1", "PodDisruptionBudget", "odoo-"+w, obj{"maxUnavailable": 1,
				"selector": obj{"matchLabels": obj{"app.kubernetes.io/component": w, "app.kubernetes.io/name": "odoo"}}}))
		}
	}
	secrets := []string{"integration-marketplace", "object-storage", "odoo-admin", "odoo-db", "redis"}
	for _, s := range secrets {
		add(b.object("external-secrets.io/v1", "ExternalSecret", s, obj{
			"data":            list{obj{"remoteRef": obj{"key": "palisade/" + b.tenant + "/" + class + "/" + s, "property": "password"}, "secretKey": "password"}},
			"refreshInterval": "1h",
			"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": "platform-secrets"},
			"target":          obj{"creationPolicy": "Owner", "name": s},
		}))
	}
	if class == estate.Production && !standby {
		for _, w := range []string{"web", "worker"} {
			add(b.object("keda.sh/v1alpha1", "ScaledObject", "odoo-"+w, obj{
				"minReplicaCount": te.Replicas[w].Default, "maxReplicaCount": 12,
				"scaleTargetRef": obj{"name": "odoo-" + w},
				"triggers": list{
					obj{"type": "prometheus", "metadata": obj{"query": fmt.Sprintf(`sum(odoo_queue_job_pending{namespace="%s"})`, b.ns), "threshold": "50"}},
					obj{"type": "cpu", "metadata": obj{"value": "80"}},
				},
			}))
		}
	}
	add(b.object("monitoring.coreos.com/v1", "PrometheusRule", "odoo-continuity", obj{"groups": list{obj{"name": "odoo", "rules": list{
		obj{"alert": "OdooQueueDepthHigh", "expr": fmt.Sprintf(`sum(odoo_queue_job_pending{namespace="%s"}) > 500`, b.ns)}}}}}))
	add(b.object("monitoring.coreos.com/v1", "ServiceMonitor", "odoo", obj{"endpoints": list{obj{"port": "http", "path": "/metrics"}},
		"selector": obj{"matchLabels": obj{"app.kubernetes.io/name": "odoo"}}}))
	add(b.networkPolicies()...)
	add(b.database(te)...)
	for _, d := range []string{"erp", "shop"} {
		add(b.object("traefik.io/v1alpha1", "IngressRoute", d+"-"+b.tenant+"-example", obj{
			"entryPoints": list{"websecure"},
			"routes": list{obj{"kind": "Rule", "match": "Host(`" + d + "." + b.tenant + ".example`)",
				"services": list{obj{"name": "odoo-web", "port": 8069}}}},
			"tls": obj{"certResolver": "letsencrypt"},
		}))
	}
	add(b.object("traefik.io/v1alpha1", "Middleware", "retry", obj{"retry": obj{"attempts": 3}}))
	add(b.object("traefik.io/v1alpha1", "Middleware", "security-headers", obj{"headers": obj{"frameDeny": true}}))
	env.PlatformObjects = b.platformObjects()
	return env
}

func (b *builder) podSpec(component, image string, r [4]string, zones int, secrets []string, filestore bool) obj {
	var envs list
	for _, s := range secrets {
		envs = append(envs, obj{"name": "SECRET_" + s, "valueFrom": obj{"secretKeyRef": obj{"key": "password", "name": s}}})
	}
	envs = append(envs, obj{"name": "PGHOST", "valueFrom": obj{"configMapKeyRef": obj{"key": component + ".db_host", "name": "odoo-config"}}})
	spec := obj{
		"automountServiceAccountToken": false,
		"containers": list{obj{
			"name":  component,
			"image": image,
			"args":  list{"--config=/etc/odoo/odoo.conf"},
			"env":   envs,
			"ports": list{obj{"containerPort": 8069, "name": "http", "protocol": "TCP"}},
			"resources": obj{
				"requests": obj{"cpu": r[0], "memory": r[1]},
				"limits":   obj{"cpu": r[2], "memory": r[3]},
			},
			"securityContext": obj{
				"allowPrivilegeEscalation": false,
				"capabilities":             obj{"drop": list{"ALL"}},
				"readOnlyRootFilesystem":   true,
				"runAsNonRoot":             true,
			},
			"readinessProbe": obj{"httpGet": obj{"path": "/web/health", "port": "http"}, "periodSeconds": 10},
			"livenessProbe":  obj{"httpGet": obj{"path": "/web/health", "port": "http"}, "periodSeconds": 20},
			"volumeMounts":   list{obj{"mountPath": "/tmp", "name": "tmp"}},
		}},
		"enableServiceLinks": false,
		"securityContext": obj{"fsGroup": 101, "runAsGroup": 101, "runAsNonRoot": true, "runAsUser": 101,
			"seccompProfile": obj{"type": "RuntimeDefault"}},
		"serviceAccountName": "odoo",
		"volumes":            list{obj{"name": "tmp", "emptyDir": obj{}}},
	}
	if filestore {
		spec["volumes"] = append(spec["volumes"].(list), obj{"name": "filestore", "persistentVolumeClaim": obj{"claimName": "odoo-filestore"}})
	}
	b.placePod(spec)
	if zones > 1 {
		sel := obj{"matchLabels": obj{"app.kubernetes.io/component": component, "app.kubernetes.io/name": "odoo"}}
		spec["topologySpreadConstraints"] = list{
			obj{"labelSelector": sel, "maxSkew": 1, "minDomains": zones, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"},
			obj{"labelSelector": sel, "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"},
		}
	}
	return spec
}

func (b *builder) placePod(spec obj) {
	if b.isolation == estate.IsolationDedicated {
		spec["nodeSelector"] = obj{"palisade.io/pool-class": "dedicated", "palisade.io/tenant": b.tenant}
		spec["tolerations"] = list{obj{"effect": "NoSchedule", "key": "palisade.io/dedicated", "operator": "Equal", "value": b.tenant}}
		return
	}
	spec["nodeSelector"] = obj{"palisade.io/pool-class": "shared"}
}

func (b *builder) cronJob(name, schedule, image string, filestore bool) obj {
	spec := b.podSpec(name, image, [4]string{"100m", "256Mi", "1", "1Gi"}, 0, []string{"object-storage"}, filestore)
	spec["restartPolicy"] = "OnFailure"
	return b.object("batch/v1", "CronJob", name, obj{
		"schedule":          schedule,
		"concurrencyPolicy": "Forbid",
		"jobTemplate": obj{"spec": obj{"backoffLimit": 2, "template": obj{
			"metadata": obj{"labels": b.labels("app.kubernetes.io/component", name)},
			"spec":     spec,
		}}},
	})
}

func (b *builder) networkPolicies() []obj {
	np := func(name string, spec obj) obj { return b.object("networking.k8s.io/v1", "NetworkPolicy", name, spec) }
	nsPeer := func(ns string) obj {
		return obj{"namespaceSelector": obj{"matchLabels": obj{"kubernetes.io/metadata.name": ns}}}
	}
	odoo := obj{"matchLabels": obj{"app.kubernetes.io/name": "odoo"}}
	port := func(p int) list { return list{obj{"port": p, "protocol": "TCP"}} }
	dbPeer := obj{"podSelector": obj{"matchLabels": obj{"cnpg.io/cluster": "odoo-db"}}}
	if b.isolation != estate.IsolationDedicated {
		dbPeer = nsPeer("postgres-shared")
	}
	return []obj{
		np("default-deny", obj{"podSelector": obj{}, "policyTypes": list{"Ingress", "Egress"}}),
		np("allow-dns", obj{"podSelector": obj{}, "policyTypes": list{"Egress"},
			"egress": list{obj{"ports": list{obj{"port": 53, "protocol": "UDP"}}, "to": list{nsPeer("kube-system")}}}}),
		np("allow-ingress-controller", obj{"podSelector": odoo, "policyTypes": list{"Ingress"},
			"ingress": list{obj{"from": list{nsPeer("traefik")}, "ports": port(8069)}}}),
		np("allow-monitoring", obj{"podSelector": odoo, "policyTypes": list{"Ingress"},
			"ingress": list{obj{"from": list{nsPeer("monitoring")}, "ports": port(8069)}}}),
		np("allow-odoo-database", obj{"podSelector": odoo, "policyTypes": list{"Egress"},
			"egress": list{obj{"to": list{dbPeer}, "ports": port(5432)}}}),
		np("allow-odoo-redis", obj{"podSelector": odoo, "policyTypes": list{"Egress"},
			"egress": list{obj{"to": list{obj{"podSelector": obj{"matchLabels": obj{"app.kubernetes.io/name": "redis"}}}}, "ports": port(6379)}}}),
		np("allow-integrations", obj{"podSelector": odoo, "policyTypes": list{"Egress"},
			"egress": list{obj{"to": list{obj{"ipBlock": obj{"cidr": "198.51.100.16/28"}}}, "ports": port(443)}}}),
		np("allow-object-storage", obj{"podSelector": odoo, "policyTypes": list{"Egress"},
			"egress": list{obj{"to": list{obj{"ipBlock": obj{"cidr": "0.0.0.0/0", "except": list{"10.0.0.0/8"}}}}, "ports": port(443)}}}),
	}
}

func (b *builder) database(te TierEnvironment) []obj {
	if b.isolation != estate.IsolationDedicated {
		return nil
	}
	spec := obj{
		"instances": 3,
		"imageName": pgImage,
		"affinity": obj{
			"enablePodAntiAffinity": true,
			"nodeSelector":          obj{"palisade.io/pool-class": "dedicated", "palisade.io/tenant": b.tenant},
			"tolerations":           list{obj{"effect": "NoSchedule", "key": "palisade.io/dedicated", "operator": "Equal", "value": b.tenant}},
			"topologyKey":           "topology.kubernetes.io/zone",
		},
		"backup": obj{
			"barmanObjectStore": obj{
				"destinationPath": "s3://backups/" + b.tenant + "/" + b.class + "/db",
				"endpointURL":     "https://s3.example",
				"s3Credentials": obj{
					"accessKeyId":     obj{"key": "AWS_ACCESS_KEY_ID", "name": "object-storage"},
					"secretAccessKey": obj{"key": "AWS_SECRET_ACCESS_KEY", "name": "object-storage"},
				},
				"wal": obj{"compression": "gzip", "maxParallel": 4},
			},
			"retentionPolicy": te.Backup.Retention,
		},
		"bootstrap":  obj{"initdb": obj{"database": "odoo", "owner": "odoo", "secret": obj{"name": "odoo-db"}}},
		"postgresql": obj{"parameters": obj{"max_connections": "400"}},
		"storage":    obj{"size": "100Gi", "storageClass": "premium-ssd"},
	}
	if te.Database.SynchronousReplicas > 0 {
		spec["postgresql"].(obj)["synchronous"] = obj{"method": "any", "number": te.Database.SynchronousReplicas}
	}
	if b.standby {
		spec["replica"] = obj{"enabled": true, "source": "primary"}
		spec["bootstrap"] = obj{"recovery": obj{"source": "primary"}}
	}
	return []obj{
		b.object("postgresql.cnpg.io/v1", "Cluster", "odoo-db", spec),
		b.object("postgresql.cnpg.io/v1", "Pooler", "odoo-db-pooler-rw", obj{"cluster": obj{"name": "odoo-db"}, "instances": 2, "type": "rw"}),
		b.object("postgresql.cnpg.io/v1", "ScheduledBackup", "odoo-db", obj{"cluster": obj{"name": "odoo-db"},
			"method": "barmanObjectStore", "schedule": "0 0 " + hoursField(te.Backup.Schedule) + " * * *"}),
	}
}

// hoursField is the hour field of a five-field cron schedule.
func hoursField(schedule string) string {
	var min, hour string
	fmt.Sscanf(schedule, "%s %s", &min, &hour)
	return hour
}

// platformObjects are the objects of the cluster's platform directory that
// concern a shared tenant's environment: its Database, the shared cluster
// and its ScheduledBackup.
func (b *builder) platformObjects() []map[string]any {
	if b.isolation == estate.IsolationDedicated {
		return []map[string]any{}
	}
	pm := func(name string, labels obj) obj {
		return obj{"name": name, "namespace": "postgres-shared", "labels": labels}
	}
	ident := b.tenant + "-" + envShort[b.class]
	return []map[string]any{
		{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": pm("pg-shared", obj{"app.kubernetes.io/managed-by": "palisade"}),
			"spec": obj{"instances": 3, "imageName": pgImage, "backup": obj{
				"barmanObjectStore": obj{"destinationPath": "s3://backups/platform/pg-shared", "wal": obj{"compression": "gzip"}},
				"retentionPolicy":   "14d"}}},
		{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database", "metadata": pm(ident, obj{
			"palisade.io/tenant": b.tenant, "palisade.io/environment": b.class}),
			"spec": obj{"cluster": obj{"name": "pg-shared"}, "name": ident, "owner": ident}},
		{"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup", "metadata": pm("pg-shared", obj{}),
			"spec": obj{"cluster": obj{"name": "pg-shared"}, "method": "barmanObjectStore", "schedule": "0 0 2 * * *"}},
	}
}

// find returns the object of kind and name in environment env of in.
func find(in *Input, env int, kind, name string) obj {
	for _, o := range in.Environments[env].Objects {
		if o["kind"] == kind && o["metadata"].(obj)["name"] == name {
			return o
		}
	}
	panic(fmt.Sprintf("no %s/%s in environment %d", kind, name, env))
}

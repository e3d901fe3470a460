package render

import (
	"fmt"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// pgGroup is a platform PostgreSQL cluster (shared, or one segment's) and
// the tenant environments with a database in it.
type pgGroup struct {
	ns, cluster, poolClass, segment string
	units                           []*unit
}

// platformObjects are, for one Kubernetes cluster, the objects the tenants
// placed on it depend on: the shared and segment PostgreSQL clusters with a
// role and a Database per tenant environment, and the shared Redis.
func platformObjects(e *estate.Estate, cluster string, units []*unit, digests map[string]string) map[string][]any {
	groups := map[string]*pgGroup{}
	sharedRedis := false
	for _, u := range units {
		if u.standby || u.tenv == nil {
			continue
		}
		if u.tenv.Redis.Mode != "dedicated" {
			sharedRedis = true
		}
		var g *pgGroup
		switch u.tenv.Database.Placement {
		case estate.DBSharedCluster:
			ns, cl := sharedPG()
			g = groups[cl]
			if g == nil {
				g = &pgGroup{ns: ns, cluster: cl, poolClass: estate.PoolShared}
				groups[cl] = g
			}
		case estate.DBSegmentCluster:
			ns, cl := segmentPG(u.t.Segment)
			g = groups[cl]
			if g == nil {
				g = &pgGroup{ns: ns, cluster: cl, poolClass: estate.PoolSegment, segment: u.t.Segment}
				groups[cl] = g
			}
		default:
			continue
		}
		g.units = append(g.units, u)
	}
	files := map[string][]any{}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	region := e.Platform.Clusters[cluster].Region
	for _, n := range names {
		files["postgres-"+groups[n].cluster+".yaml"] = pgObjects(e, region, groups[n], digests)
	}
	if sharedRedis {
		files["redis-shared.yaml"] = sharedRedisObjects(e, cluster, digests)
	}
	return files
}

func platformNamespace(name string, labels map[string]string) *corev1.Namespace {
	l := map[string]string{
		LabelManagedBy:                       "palisade",
		"pod-security.kubernetes.io/enforce": "restricted",
	}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: meta(name, l)}
}

func platformSecret(e *estate.Estate, ns, name, remote, secretType string, keys ...string) obj {
	u := &unit{e: e}
	es := u.externalSecret(name, remote, secretType, keys...)
	es["metadata"].(obj)["namespace"] = ns
	es["metadata"].(obj)["labels"] = obj{LabelManagedBy: "palisade"}
	return es
}

// pgObjects is one platform PostgreSQL cluster: sized to its tenants, on
// the pool class of their tier, with a managed role and a Database object
// per tenant environment, backed up on the most demanding tenant's
// schedule and kept for the longest retention.
func pgObjects(e *estate.Estate, region string, g *pgGroup, digests map[string]string) []any {
	sort.Slice(g.units, func(i, j int) bool { return g.units[i].ns < g.units[j].ns })
	storage := resource.MustParse("10Gi")
	instances := 1
	schedule, bestRPO, retention := "", int64(-1), int64(0)
	storageClass := ""
	for _, u := range g.units {
		q := resource.MustParse(u.tenv.Database.StorageSize)
		storage.Add(q)
		if u.class == estate.Production {
			instances = 3
			if storageClass == "" {
				storageClass = u.tenv.StorageClasses.Database
			}
		}
		rpo, _ := estate.ParseDuration(u.tenv.Backup.RPO)
		if bestRPO < 0 || int64(rpo) < bestRPO {
			bestRPO, schedule = int64(rpo), u.tenv.Backup.Schedule
		}
		if r, _ := estate.ParseDuration(u.tenv.Backup.Retention); int64(r) > retention {
			retention = int64(r)
		}
	}
	if storageClass == "" {
		storageClass = g.units[0].tenv.StorageClasses.Database
	}
	var roles, dbs []any
	objs := []any{platformNamespace(g.ns, map[string]string{LabelComponent: "postgres"})}
	for _, u := range g.units {
		id := dbIdent(u.t.Name, u.class)
		secret := "role-" + u.ns
		objs = append(objs, platformSecret(e, g.ns, secret, u.secretKey("database"), "kubernetes.io/basic-auth", "username", "password"))
		roles = append(roles, obj{"name": id, "ensure": "present", "login": true, "connectionLimit": 200, "passwordSecret": obj{"name": secret}})
		dbs = append(dbs, obj{
			"apiVersion": "postgresql.cnpg.io/v1",
			"kind":       "Database",
			"metadata":   obj{"name": u.ns, "namespace": g.ns, "labels": obj{LabelTenant: u.t.Name, LabelEnvironment: u.class, LabelManagedBy: "palisade"}},
			"spec":       obj{"name": id, "owner": id, "ensure": "present", "cluster": obj{"name": g.cluster}},
		})
	}
	objs = append(objs, platformSecret(e, g.ns, secretStorage, "palisade/object-storage/"+region, "", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
	nodeSelector := obj{LabelPoolClass: g.poolClass}
	if g.segment != "" {
		nodeSelector[LabelSegment] = g.segment
	}
	st := e.Platform.ObjectStorage[region]
	cl := obj{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "Cluster",
		"metadata":   obj{"name": g.cluster, "namespace": g.ns, "labels": obj{LabelManagedBy: "palisade"}},
		"spec": obj{
			"instances":             instances,
			"imageName":             pin(e.Platform.Images.Postgres, digests),
			"primaryUpdateStrategy": "unsupervised",
			"storage":               obj{"size": storage.String(), "storageClass": storageClass},
			"affinity":              obj{"nodeSelector": nodeSelector, "topologyKey": "topology.kubernetes.io/zone", "enablePodAntiAffinity": true},
			"monitoring":            obj{"enablePodMonitor": true},
			"managed":               obj{"roles": roles},
			"backup": obj{
				"retentionPolicy":   fmt.Sprintf("%dd", retention/int64(24*3600*1e9)),
				"barmanObjectStore": barman(st, "platform/"+g.cluster, secretStorage),
			},
		},
	}
	objs = append(objs, cl, obj{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "ScheduledBackup",
		"metadata":   obj{"name": g.cluster, "namespace": g.ns, "labels": obj{LabelManagedBy: "palisade"}},
		"spec": obj{
			"schedule":             cnpgSchedule(schedule),
			"backupOwnerReference": "self",
			"cluster":              obj{"name": g.cluster},
			"method":               "barmanObjectStore",
		},
	})
	objs = append(objs, dbs...)
	objs = append(objs, sharedServiceNetworkPolicy(g.ns, map[string]string{"cnpg.io/cluster": g.cluster}, portPostgres, true))
	return objs
}

// sharedServiceNetworkPolicy lets tenant namespaces (and the component's
// own pods and operators) reach a shared platform service, and nothing else.
func sharedServiceNetworkPolicy(ns string, pods map[string]string, port int, cnpg bool) *networkingv1.NetworkPolicy {
	tenants := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: LabelTenant, Operator: metav1.LabelSelectorOpExists}}}
	own := podSel(pods)
	ingress := []networkingv1.NetworkPolicyIngressRule{
		{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: tenants}, {PodSelector: own}}, Ports: tcpPorts(port)},
	}
	if cnpg {
		ingress = append(ingress,
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(NamespaceCNPG)}}, Ports: tcpPorts(8000, portPostgres)},
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(NamespaceMonitoring)}}, Ports: tcpPorts(9187)},
		)
	}
	p := np("allow-tenants", networkingv1.NetworkPolicySpec{
		PodSelector: *own,
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress:     ingress,
	})
	p.Namespace = ns
	p.Labels = map[string]string{LabelManagedBy: "palisade"}
	return p
}

// sharedRedisObjects is the cluster's shared Redis: tenants get a key space
// (a prefix) and an ACL user limited to it, from an ACL file kept in the
// secret manager.
func sharedRedisObjects(e *estate.Estate, cluster string, digests map[string]string) []any {
	labels := map[string]string{LabelName: "redis", LabelManagedBy: "palisade"}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "redis"}}
	sts := &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: metav1.ObjectMeta{Name: "redis", Namespace: NamespaceRedis, Labels: labels},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr(int32(1)),
			ServiceName: "redis",
			Selector:    sel,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr(false),
					EnableServiceLinks:           ptr(false),
					SecurityContext:              restrictedPod(),
					NodeSelector:                 map[string]string{LabelPoolClass: estate.PoolShared},
					Containers: []corev1.Container{{
						Name:            "redis",
						Image:           pin(e.Platform.Images.Redis, digests),
						Args:            []string{"redis-server", "--aclfile", "/etc/redis/users.acl", "--appendonly", "yes", "--dir", "/data", "--maxmemory-policy", "volatile-lru"},
						Ports:           []corev1.ContainerPort{{Name: "redis", ContainerPort: portRedis, Protocol: corev1.ProtocolTCP}},
						SecurityContext: restrictedContainer(),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("500m"), corev1.ResourceMemory: quantity("2Gi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("2"), corev1.ResourceMemory: quantity("4Gi")},
						},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}}, PeriodSeconds: 10},
						LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}}, PeriodSeconds: 20},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "data", MountPath: "/data"},
							{Name: "acl", MountPath: "/etc/redis", ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{{Name: "acl", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "redis-acl"}}}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: quantity("20Gi")}},
				},
			}},
		},
	}
	svc := &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: metav1.ObjectMeta{Name: "redis", Namespace: NamespaceRedis, Labels: labels},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelName: "redis"},
			Ports:    []corev1.ServicePort{{Name: "redis", Port: portRedis, TargetPort: intstr.FromString("redis"), Protocol: corev1.ProtocolTCP}},
		},
	}
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: metav1.ObjectMeta{Name: "redis", Namespace: NamespaceRedis, Labels: labels},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr(intstr.FromInt32(0)), Selector: sel},
	}
	return []any{
		platformNamespace(NamespaceRedis, map[string]string{LabelComponent: "redis"}),
		platformSecret(e, NamespaceRedis, "redis-acl", "palisade/redis-shared/"+cluster+"/acl", "", "users.acl"),
		sts, svc, pdb,
		sharedServiceNetworkPolicy(NamespaceRedis, map[string]string{LabelName: "redis"}, portRedis, false),
	}
}

// tiersOf lists the tiers of the units, sorted.
func tiersOf(units []*unit) []string {
	var out []string
	for _, u := range units {
		if !slices.Contains(out, u.t.Tier) {
			out = append(out, u.t.Tier)
		}
	}
	sort.Strings(out)
	return out
}

package render

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// unit is one tenant environment to render: where it runs and what its tier
// gives it. A standby unit is the warm standby of a production environment
// in a second region: the same namespace with workloads scaled to zero and
// the database as a replica cluster.
type unit struct {
	e *estate.Estate
	// digests pin images by verified digest (Options.Digests).
	digests map[string]string
	t       *estate.Tenant
	tier    *estate.Tier
	tenv    *estate.TierEnvironment
	env     *estate.TenantEnvironment
	class   string
	ns      string
	place   estate.Placement
	standby bool
	// retained is a directory kept from a previous render
	// (Options.Retain): wired, never built; tenv is nil when the tenant's
	// tier no longer has the environment's class.
	retained bool
}

// Dir is the unit's directory in the environment tree.
func (u *unit) Dir() string {
	return "clusters/" + u.place.Cluster + "/tenants/" + u.t.Name + "/" + u.DirEnv()
}

// DirEnv is the unit's environment directory name.
func (u *unit) DirEnv() string {
	if u.standby {
		return u.class + "-standby"
	}
	return u.class
}

// App is the unit's Argo CD Application or Flux Kustomization name.
func (u *unit) App() string {
	if u.standby {
		return AppName(u.t.Name, u.class) + "-standby"
	}
	return AppName(u.t.Name, u.class)
}

func (u *unit) image() string {
	if u.env.Image != "" {
		return u.env.Image
	}
	return u.t.Odoo.Image
}

// replicas is the effective replica count of a workload class.
func (u *unit) replicas(w string) int {
	if u.standby {
		return 0
	}
	if n, ok := u.env.Replicas[w]; ok {
		return n
	}
	return u.tenv.Replicas[w].Default
}

// maxReplicas bounds autoscaling of a workload class.
func (u *unit) maxReplicas(w string) int {
	m := u.tenv.Autoscaling.MaxReplicas[w]
	if u.env.Autoscaling != nil {
		if n, ok := u.env.Autoscaling.MaxReplicas[w]; ok {
			m = n
		}
	}
	return max(m, u.replicas(w))
}

func (u *unit) resources(w string) estate.Resources {
	if o, ok := u.t.Odoo.Workloads[w]; ok && o.Resources != nil {
		return *o.Resources
	}
	return u.tenv.Resources[w]
}

// workers is Odoo's process count of a class (cron threads for cron).
func (u *unit) workers(w string) int {
	if o, ok := u.t.Odoo.Workloads[w]; ok && o.Workers != nil {
		return *o.Workers
	}
	switch w {
	case estate.Web:
		return 4
	case estate.Cron:
		return 2
	case estate.Worker:
		return 2
	}
	return 0
}

func (u *unit) labels() map[string]string {
	l := map[string]string{
		LabelTenant:      u.t.Name,
		LabelTier:        u.t.Tier,
		LabelEnvironment: u.class,
		LabelManagedBy:   "palisade",
	}
	if u.t.Segment != "" {
		l[LabelSegment] = u.t.Segment
	}
	return l
}

// dbTarget is where the tenant's database lives.
type dbTarget struct {
	host, hostDirect, name, user, clusterNS, cluster string
	own                                              bool
}

func (u *unit) db() dbTarget {
	switch u.tenv.Database.Placement {
	case estate.DBDedicatedCluster:
		host := dbCluster + "-rw"
		if u.tenv.Database.Pooler.Enabled {
			host = dbPooler
		}
		return dbTarget{host: host, hostDirect: dbCluster + "-rw", name: "odoo", user: "odoo", clusterNS: u.ns, cluster: dbCluster, own: true}
	case estate.DBSegmentCluster:
		ns, cl := segmentPG(u.t.Segment)
		h := cl + "-rw." + ns + ".svc"
		return dbTarget{host: h, hostDirect: h, name: dbIdent(u.t.Name, u.class), user: dbIdent(u.t.Name, u.class), clusterNS: ns, cluster: cl}
	default:
		ns, cl := sharedPG()
		h := cl + "-rw." + ns + ".svc"
		return dbTarget{host: h, hostDirect: h, name: dbIdent(u.t.Name, u.class), user: dbIdent(u.t.Name, u.class), clusterNS: ns, cluster: cl}
	}
}

func (u *unit) redisHost() string {
	if u.tenv.Redis.Mode == "dedicated" {
		return "redis"
	}
	return "redis." + NamespaceRedis + ".svc"
}

// secretKey is the path of a credential in the secret manager.
func (u *unit) secretKey(name string) string {
	return "palisade/" + u.t.Name + "/" + u.class + "/" + name
}

// poolSelector is what the tenant's pods add to the base's node selector,
// and the tolerations of a dedicated pool.
func (u *unit) poolSelector() (map[string]string, []corev1.Toleration) {
	switch u.tenv.NodePool {
	case estate.PoolSegment:
		return map[string]string{LabelSegment: u.t.Segment}, nil
	case estate.PoolDedicated:
		return map[string]string{LabelTenant: u.t.Name}, []corev1.Toleration{{
			Key: TaintDedicated, Operator: corev1.TolerationOpEqual, Value: u.t.Name, Effect: corev1.TaintEffectNoSchedule,
		}}
	}
	return nil, nil
}

func (u *unit) objectStorage(region string) estate.ObjectStorage {
	return u.e.Platform.ObjectStorage[region]
}

// tenantObjects are the objects only this tenant environment has, grouped
// by concern. They go into one file of the overlay: on the filesystems
// CI runs on, creating a file costs far more than writing its bytes.
func (u *unit) tenantObjects() []any {
	objs := []any{u.namespace()}
	objs = append(objs, u.configMaps()...)
	objs = append(objs, u.externalSecrets()...)
	objs = append(objs, u.networkPolicies()...)
	if !u.standby {
		objs = append(objs, u.ingress()...)
		objs = append(objs, u.scaledObjects()...)
	}
	if u.tenv.Database.Placement == estate.DBDedicatedCluster {
		objs = append(objs, u.database()...)
	}
	if !u.standby {
		objs = append(objs, u.prometheusRule())
	}
	return objs
}

func (u *unit) namespace() any {
	labels := u.labels()
	labels["pod-security.kubernetes.io/enforce"] = "restricted"
	labels["pod-security.kubernetes.io/audit"] = "restricted"
	labels["pod-security.kubernetes.io/warn"] = "restricted"
	m := meta(u.ns, labels)
	m.Annotations = map[string]string{AnnotationTimeZone: u.t.TimeZone}
	return &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: m}
}

func (u *unit) configMaps() []any {
	db := u.db()
	var conf strings.Builder
	conf.WriteString("[options]\n")
	for _, kv := range [][2]string{
		{"db_host", "False"}, // from PGHOST, per workload class
		{"db_port", strconv.Itoa(portPostgres)},
		{"db_name", db.name},
		{"db_user", db.user},
		{"dbfilter", "^" + db.name + "$"},
		{"list_db", "False"},
		{"proxy_mode", "True"},
		{"data_dir", "/var/lib/odoo"},
		{"http_port", strconv.Itoa(portHTTP)},
		{"gevent_port", strconv.Itoa(portWebsocket)},
		{"limit_time_cpu", "600"},
		{"limit_time_real", "1200"},
		{"redis_host", u.redisHost()},
		{"redis_prefix", u.t.Name + ":" + u.class + ":"},
		{"server_wide_modules", "base,web,queue_job"},
	} {
		fmt.Fprintf(&conf, "%s = %s\n", kv[0], kv[1])
	}
	data := map[string]string{"odoo.conf": conf.String()}
	for _, w := range estate.WorkloadClasses {
		data[w+".workers"] = strconv.Itoa(u.workers(w))
		host := db.host
		if w == estate.LongPolling {
			host = db.hostDirect
		}
		data[w+".db_host"] = host
	}
	st := u.objectStorage(u.place.Region)
	backup := map[string]string{
		"S3_ENDPOINT": st.Endpoint,
		"S3_BUCKET":   st.Bucket,
		"S3_PREFIX":   u.t.Name + "/" + u.class,
		"RETENTION":   u.tenv.Backup.Retention,
		"DB_HOST":     db.hostDirect,
		"DB_NAME":     db.name,
	}
	return []any{
		&corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: meta(configMapOdoo, map[string]string{LabelPartOf: "odoo"}), Data: data},
		&corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: meta(configMapBackup, map[string]string{LabelPartOf: "odoo"}), Data: backup},
	}
}

// externalSecret reads keys of one secret-manager entry into a Secret.
func (u *unit) externalSecret(name, remote string, secretType string, keys ...string) obj {
	var data []any
	for _, k := range keys {
		data = append(data, obj{"secretKey": k, "remoteRef": obj{"key": remote, "property": k}})
	}
	target := obj{"name": name, "creationPolicy": "Owner"}
	if secretType != "" {
		target["template"] = obj{"type": secretType}
	}
	return obj{
		"apiVersion": "external-secrets.io/v1",
		"kind":       "ExternalSecret",
		"metadata":   obj{"name": name, "labels": obj{LabelPartOf: "odoo"}},
		"spec": obj{
			"refreshInterval": "1h",
			"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": u.e.Platform.GitOps.SecretStore},
			"target":          target,
			"data":            data,
		},
	}
}

func (u *unit) externalSecrets() []any {
	out := []any{
		u.externalSecret(secretDB, u.secretKey("database"), "kubernetes.io/basic-auth", "username", "password"),
		u.externalSecret(secretAdmin, u.secretKey("odoo-admin"), "", "admin_passwd"),
		u.externalSecret(secretRedis, u.secretKey("redis"), "", "password", "REDIS_PASSWORD"),
		u.externalSecret(secretStorage, "palisade/object-storage/"+u.place.Region, "", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
	}
	if u.standby {
		// The replica restores from the primary region's object storage.
		out = append(out, u.externalSecret(secretStorage+"-primary", "palisade/object-storage/"+u.env.Placement.Region, "", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
	}
	for _, name := range slices.Sorted(maps.Keys(u.t.Integrations)) {
		out = append(out, u.externalSecret("integration-"+name, u.secretKey("integrations/"+name), "", "credentials"))
	}
	return out
}

func np(name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"), ObjectMeta: meta(name, map[string]string{LabelPartOf: "odoo"}), Spec: spec}
}

func tcpPorts(ports ...int) []networkingv1.NetworkPolicyPort {
	tcp := corev1.ProtocolTCP
	var out []networkingv1.NetworkPolicyPort
	for _, p := range ports {
		out = append(out, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: ptr(intstr.FromInt32(int32(p)))})
	}
	return out
}

func nsSelector(ns string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
}

func podSel(labels map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labels}
}

// networkPolicies open, on top of the base's default deny, exactly the
// paths this tenant needs: Odoo to its own database and Redis, the queue
// workers and cron to the declared integrations, backups to object storage.
func (u *unit) networkPolicies() []any {
	odoo := metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "odoo"}}
	db := u.db()
	egress := networkingv1.PolicyTypeEgress
	ingress := networkingv1.PolicyTypeIngress
	var out []any
	dbPeers := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(db.clusterNS), PodSelector: podSel(map[string]string{"cnpg.io/cluster": db.cluster})}}
	if db.own {
		dbPeers = []networkingv1.NetworkPolicyPeer{
			{PodSelector: podSel(map[string]string{"cnpg.io/cluster": db.cluster})},
			{PodSelector: podSel(map[string]string{"cnpg.io/poolerName": dbPooler})},
		}
	}
	out = append(out, np("allow-odoo-database", networkingv1.NetworkPolicySpec{
		PodSelector: odoo,
		PolicyTypes: []networkingv1.PolicyType{egress},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: dbPeers, Ports: tcpPorts(portPostgres)}},
	}))
	redisPeer := networkingv1.NetworkPolicyPeer{NamespaceSelector: nsSelector(NamespaceRedis), PodSelector: podSel(map[string]string{LabelName: "redis"})}
	if u.tenv.Redis.Mode == "dedicated" {
		redisPeer = networkingv1.NetworkPolicyPeer{PodSelector: podSel(map[string]string{LabelName: "redis"})}
	}
	out = append(out, np("allow-odoo-redis", networkingv1.NetworkPolicySpec{
		PodSelector: odoo,
		PolicyTypes: []networkingv1.PolicyType{egress},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{redisPeer}, Ports: tcpPorts(portRedis)}},
	}))
	if len(u.t.Integrations) > 0 {
		var rules []networkingv1.NetworkPolicyEgressRule
		for _, name := range slices.Sorted(maps.Keys(u.t.Integrations)) {
			for _, ep := range u.t.Integrations[name].Endpoints {
				rules = append(rules, networkingv1.NetworkPolicyEgressRule{
					To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: ep.CIDR}}},
					Ports: tcpPorts(ep.Port),
				})
			}
		}
		out = append(out, np("allow-integrations", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "odoo"}, MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: LabelComponent, Operator: metav1.LabelSelectorOpIn, Values: []string{estate.Cron, estate.Worker}},
			}},
			PolicyTypes: []networkingv1.PolicyType{egress},
			Egress:      rules,
		}))
	}
	// Backups, restore drills and the database's WAL archive reach object
	// storage over HTTPS outside the cluster's private ranges.
	public := networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}}}
	out = append(out, np("allow-object-storage", networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: LabelComponent, Operator: metav1.LabelSelectorOpIn, Values: []string{"filestore-backup", "restore-test"}},
		}},
		PolicyTypes: []networkingv1.PolicyType{egress},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{public}, Ports: tcpPorts(443)}},
	}))
	out = append(out, np("allow-restore-test-database", networkingv1.NetworkPolicySpec{
		PodSelector: *podSel(map[string]string{LabelComponent: "restore-test"}),
		PolicyTypes: []networkingv1.PolicyType{egress},
		Egress:      []networkingv1.NetworkPolicyEgressRule{{To: dbPeers, Ports: tcpPorts(portPostgres)}},
	}))
	if db.own {
		clusterPods := *podSel(map[string]string{"cnpg.io/cluster": db.cluster})
		out = append(out,
			np("allow-database-ingress", networkingv1.NetworkPolicySpec{
				PodSelector: clusterPods,
				PolicyTypes: []networkingv1.PolicyType{ingress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{
					{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &odoo}, {PodSelector: podSel(map[string]string{"cnpg.io/poolerName": dbPooler})}, {PodSelector: podSel(map[string]string{LabelComponent: "restore-test"})}, {PodSelector: &clusterPods}}, Ports: tcpPorts(portPostgres)},
					{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(NamespaceCNPG)}}, Ports: tcpPorts(8000, portPostgres)},
					{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(NamespaceMonitoring)}}, Ports: tcpPorts(9187)},
				},
			}),
			np("allow-database-egress", networkingv1.NetworkPolicySpec{
				PodSelector: clusterPods,
				PolicyTypes: []networkingv1.PolicyType{egress},
				Egress: []networkingv1.NetworkPolicyEgressRule{
					{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &clusterPods}}, Ports: tcpPorts(portPostgres, 8000)},
					// Kubernetes API (instance manager) and WAL archive.
					{To: []networkingv1.NetworkPolicyPeer{public, {IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}, Ports: tcpPorts(443, 6443)},
				},
			}),
		)
		if u.tenv.Database.Pooler.Enabled && !u.standby {
			pooler := *podSel(map[string]string{"cnpg.io/poolerName": dbPooler})
			out = append(out, np("allow-pooler", networkingv1.NetworkPolicySpec{
				PodSelector: pooler,
				PolicyTypes: []networkingv1.PolicyType{ingress, egress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &odoo}}, Ports: tcpPorts(portPostgres)}},
				Egress: []networkingv1.NetworkPolicyEgressRule{
					{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &clusterPods}}, Ports: tcpPorts(portPostgres)},
					{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}, Ports: tcpPorts(443, 6443)},
				},
			}))
		}
	}
	if u.tenv.Redis.Mode == "dedicated" {
		redisPods := *podSel(map[string]string{LabelName: "redis"})
		out = append(out, np("allow-redis", networkingv1.NetworkPolicySpec{
			PodSelector: redisPods,
			PolicyTypes: []networkingv1.PolicyType{ingress, egress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &odoo}, {PodSelector: &redisPods}}, Ports: tcpPorts(portRedis)}},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &redisPods}}, Ports: tcpPorts(portRedis)}},
		}))
	}
	return out
}

// ingress is a Traefik IngressRoute per domain, with TLS, security
// headers, retries, and for shared tenants a rate limit against noisy
// neighbours.
func (u *unit) ingress() []any {
	mw := []any{obj{"name": "security-headers"}, obj{"name": "retry"}}
	out := []any{
		middleware("security-headers", obj{"headers": obj{
			"stsSeconds": 31536000, "stsIncludeSubdomains": true, "frameDeny": true,
			"contentTypeNosniff": true, "browserXssFilter": true, "referrerPolicy": "strict-origin-when-cross-origin",
		}}),
		middleware("retry", obj{"retry": obj{"attempts": 3, "initialInterval": "100ms"}}),
	}
	if u.tier.Isolation == estate.IsolationShared {
		mw = append(mw, obj{"name": "rate-limit"})
		out = append(out, middleware("rate-limit", obj{"rateLimit": obj{"average": 50, "burst": 100, "period": "1s"}}))
	}
	for _, d := range u.env.Domains {
		out = append(out, obj{
			"apiVersion": "traefik.io/v1alpha1",
			"kind":       "IngressRoute",
			"metadata":   obj{"name": slug(d), "labels": obj{LabelPartOf: "odoo"}},
			"spec": obj{
				"entryPoints": []any{"websecure"},
				"routes": []any{
					obj{
						"kind":        "Rule",
						"match":       fmt.Sprintf("Host(`%s`) && PathPrefix(`/websocket`)", d),
						"services":    []any{obj{"name": "odoo-longpolling", "port": portWebsocket}},
						"middlewares": []any{obj{"name": "security-headers"}},
					},
					obj{
						"kind":        "Rule",
						"match":       fmt.Sprintf("Host(`%s`)", d),
						"services":    []any{obj{"name": "odoo-web", "port": portHTTP}},
						"middlewares": mw,
					},
				},
				"tls": obj{"certResolver": "letsencrypt"},
			},
		})
	}
	return out
}

func middleware(name string, spec obj) obj {
	return obj{
		"apiVersion": "traefik.io/v1alpha1",
		"kind":       "Middleware",
		"metadata":   obj{"name": name, "labels": obj{LabelPartOf: "odoo"}},
		"spec":       spec,
	}
}

const prometheusAddress = "http://prometheus-operated." + NamespaceMonitoring + ".svc:9090"

// scaledObjects autoscale web and queue workers on the tier's signals,
// within its bounds, and scale non-production to zero outside its uptime.
func (u *unit) scaledObjects() []any {
	var out []any
	for _, w := range estate.WorkloadClasses {
		var triggers []any
		if u.tenv.Autoscaling.Enabled && (w == estate.Web || w == estate.Worker) {
			for _, sig := range u.tenv.Autoscaling.Signals {
				if t := u.trigger(w, sig); t != nil {
					triggers = append(triggers, t)
				}
			}
		}
		min := u.replicas(w)
		max := min
		if len(triggers) > 0 {
			max = u.maxReplicas(w)
		}
		if up := u.tenv.Uptime; up != nil && min > 0 {
			triggers = append(triggers, obj{
				"type": "cron",
				"metadata": obj{
					"timezone":        u.t.TimeZone,
					"start":           fmt.Sprintf("%s * * %s", cronClock(up.From), cronDays(up.Days)),
					"end":             fmt.Sprintf("%s * * %s", cronClock(up.To), cronDays(up.Days)),
					"desiredReplicas": strconv.Itoa(min),
				},
			})
			min = 0
		}
		if len(triggers) == 0 {
			continue
		}
		out = append(out, obj{
			"apiVersion": "keda.sh/v1alpha1",
			"kind":       "ScaledObject",
			"metadata":   obj{"name": "odoo-" + w, "labels": obj{LabelPartOf: "odoo"}},
			"spec": obj{
				"scaleTargetRef":  obj{"name": "odoo-" + w},
				"minReplicaCount": min,
				"maxReplicaCount": max,
				"pollingInterval": 30,
				"cooldownPeriod":  300,
				"advanced": obj{"horizontalPodAutoscalerConfig": obj{"behavior": obj{
					"scaleDown": obj{"stabilizationWindowSeconds": 600},
				}}},
				"triggers": triggers,
			},
		})
	}
	return out
}

func (u *unit) trigger(w, signal string) obj {
	q := func(query, threshold string) obj {
		return obj{"type": "prometheus", "metadata": obj{"serverAddress": prometheusAddress, "query": query, "threshold": threshold}}
	}
	ns := u.ns
	switch {
	case signal == "queue-depth" && w == estate.Worker:
		return q(fmt.Sprintf(`sum(odoo_queue_job_pending{namespace=%q})`, ns), "50")
	case signal == "latency" && w == estate.Web:
		return q(fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(odoo_http_request_duration_seconds_bucket{namespace=%q}[2m])))`, ns), "0.8")
	case signal == "worker-saturation":
		return q(fmt.Sprintf(`avg(odoo_worker_busy_ratio{namespace=%q,component=%q})`, ns, w), "0.75")
	case signal == "cpu":
		return obj{"type": "cpu", "metricType": "Utilization", "metadata": obj{"value": "70"}}
	}
	return nil
}

func cronClock(hhmm string) string {
	h, m, _ := strings.Cut(hhmm, ":")
	hi, _ := strconv.Atoi(h)
	mi, _ := strconv.Atoi(m)
	return fmt.Sprintf("%d %d", mi, hi)
}

func cronDays(days []string) string {
	idx := map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	var n []int
	for _, d := range days {
		n = append(n, idx[d])
	}
	sort.Ints(n)
	parts := make([]string, len(n))
	for i, x := range n {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// prometheusRule alerts on business continuity, not only pod health.
func (u *unit) prometheusRule() any {
	ns := u.ns
	crit := "warning"
	if u.class == estate.Production {
		crit = "critical"
	}
	rule := func(alert, expr, forDur, severity, summary string) obj {
		return obj{
			"alert":       alert,
			"expr":        expr,
			"for":         forDur,
			"labels":      obj{"severity": severity, "tenant": u.t.Name, "tier": u.t.Tier},
			"annotations": obj{"summary": summary},
		}
	}
	rules := []any{
		rule("OdooQueueDepthHigh", fmt.Sprintf(`sum(odoo_queue_job_pending{namespace=%q}) > 500`, ns), "15m", "warning",
			"Queue jobs are piling up: integrations and order processing are falling behind"),
		rule("OdooCronBacklog", fmt.Sprintf(`max(odoo_cron_overdue_jobs{namespace=%q}) > 0`, ns), "30m", "warning",
			"Scheduled actions are overdue: invoicing, stock rules or syncs are late"),
		rule("FilestoreBackupTooOld", fmt.Sprintf(`time() - kube_cronjob_status_last_successful_time{namespace=%q,cronjob="filestore-backup"} > %d`, ns, backupAgeLimit(u.tenv.Backup.Schedule)), "10m", crit,
			"The filestore has not been backed up within twice its schedule"),
	}
	for _, name := range slices.Sorted(maps.Keys(u.t.Integrations)) {
		in := u.t.Integrations[name]
		sev := "warning"
		if in.Critical && u.class == estate.Production {
			sev = "critical"
		}
		rules = append(rules, rule("IntegrationSyncFailed", fmt.Sprintf(`increase(odoo_integration_sync_failures_total{namespace=%q,integration=%q}[30m]) > 0`, ns, name), "5m", sev,
			fmt.Sprintf("Sync with %s (%s) is failing", in.Vendor, in.Kind)))
	}
	if u.db().own {
		rules = append(rules,
			rule("PostgresReplicationLagHigh", fmt.Sprintf(`max(cnpg_pg_replication_lag{namespace=%q}) > 30`, ns), "5m", crit,
				"A PostgreSQL replica is more than 30 s behind the primary"),
			rule("DatabaseBackupTooOld", fmt.Sprintf(`time() - max(cnpg_collector_last_available_backup_timestamp{namespace=%q}) > %d`, ns, backupAgeLimit(u.tenv.Backup.Schedule)), "10m", crit,
				"No database base backup within twice its schedule"),
		)
	}
	if u.tenv.Backup.RestoreTest != nil {
		rules = append(rules, rule("RestoreTestFailed", fmt.Sprintf(`max(kube_job_status_failed{namespace=%q,job_name=~"restore-test-.*"}) > 0`, ns), "1m", crit,
			"The last recovery drill failed: backups may not be restorable"))
	}
	return obj{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata":   obj{"name": "odoo-continuity", "labels": obj{LabelPartOf: "odoo"}},
		"spec":       obj{"groups": []any{obj{"name": "odoo-continuity", "rules": rules}}},
	}
}

// backupAgeLimit is twice the interval of a backup schedule, in seconds,
// from the cron's hour and day fields (hourly steps, daily, weekly).
func backupAgeLimit(schedule string) int {
	f := strings.Fields(schedule)
	interval := 24 * 3600
	if len(f) == 5 {
		switch {
		case strings.HasPrefix(f[1], "*/"):
			if n, err := strconv.Atoi(f[1][2:]); err == nil && n > 0 {
				interval = n * 3600
			}
		case f[1] == "*":
			interval = 3600
		case f[4] != "*":
			interval = 7 * 24 * 3600
		}
	}
	return 2 * interval
}

// cnpgSchedule turns a 5-field cron into CloudNativePG's 6-field form
// (seconds first).
func cnpgSchedule(s string) string { return "0 " + s }

// barman is the object-store configuration of a CloudNativePG cluster.
func barman(st estate.ObjectStorage, path, secret string) obj {
	return obj{
		"destinationPath": "s3://" + st.Bucket + "/" + path,
		"endpointURL":     st.Endpoint,
		"s3Credentials": obj{
			"accessKeyId":     obj{"name": secret, "key": "AWS_ACCESS_KEY_ID"},
			"secretAccessKey": obj{"name": secret, "key": "AWS_SECRET_ACCESS_KEY"},
		},
		"wal":  obj{"compression": "gzip", "maxParallel": 4},
		"data": obj{"compression": "gzip"},
	}
}

// database is the tenant's own PostgreSQL: a CloudNativePG Cluster with
// synchronous replication, a Pooler and scheduled backups; on the standby,
// a replica cluster restoring from the primary region's archive.
func (u *unit) database() []any {
	d := u.tenv.Database
	sel, tol := u.poolSelector()
	nodeSelector := map[string]any{LabelPoolClass: u.tenv.NodePool}
	for k, v := range sel {
		nodeSelector[k] = v
	}
	affinity := obj{
		"nodeSelector":          nodeSelector,
		"topologyKey":           "topology.kubernetes.io/zone",
		"enablePodAntiAffinity": true,
		"podAntiAffinityType":   "preferred",
	}
	if d.Instances > 1 && u.class == estate.Production {
		affinity["podAntiAffinityType"] = "required"
	}
	if len(tol) > 0 {
		affinity["tolerations"] = []any{obj{"key": tol[0].Key, "operator": string(tol[0].Operator), "value": tol[0].Value, "effect": string(tol[0].Effect)}}
	}
	st := u.objectStorage(u.place.Region)
	spec := obj{
		"instances":             d.Instances,
		"imageName":             pin(u.e.Platform.Images.Postgres, u.digests),
		"primaryUpdateStrategy": "unsupervised",
		"storage":               obj{"size": d.StorageSize, "storageClass": u.tenv.StorageClasses.Database},
		"affinity":              affinity,
		"monitoring":            obj{"enablePodMonitor": true},
		"postgresql": obj{"parameters": obj{
			"max_connections": "400",
			"shared_buffers":  "512MB",
		}},
		"backup": obj{
			"retentionPolicy":   strings.TrimSuffix(u.tenv.Backup.Retention, "d") + "d",
			"barmanObjectStore": barman(st, u.t.Name+"/"+u.class+"/db", secretStorage),
		},
	}
	if d.SynchronousReplicas > 0 {
		spec["postgresql"].(obj)["synchronous"] = obj{"method": "any", "number": d.SynchronousReplicas, "dataDurability": "required"}
	}
	if u.standby {
		primary := u.objectStorage(u.env.Placement.Region)
		src := barman(primary, u.t.Name+"/"+u.class+"/db", secretStorage+"-primary")
		delete(src, "wal")
		delete(src, "data")
		spec["replica"] = obj{"enabled": true, "source": "primary"}
		spec["bootstrap"] = obj{"recovery": obj{"source": "primary"}}
		spec["externalClusters"] = []any{obj{"name": "primary", "barmanObjectStore": src}}
		spec["backup"].(obj)["barmanObjectStore"] = barman(st, u.t.Name+"/"+u.class+"/db-standby", secretStorage)
	} else {
		spec["bootstrap"] = obj{"initdb": obj{"database": "odoo", "owner": "odoo", "secret": obj{"name": secretDB}}}
	}
	out := []any{obj{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "Cluster",
		"metadata":   obj{"name": dbCluster, "labels": obj{LabelPartOf: "odoo"}},
		"spec":       spec,
	}}
	if d.Pooler.Enabled && !u.standby {
		// The pooler's pods carry the tenant's database traffic: they go
		// on the tenant's pool like the database's.
		poolerPod := obj{"containers": []any{}, "nodeSelector": nodeSelector}
		if tols, ok := affinity["tolerations"]; ok {
			poolerPod["tolerations"] = tols
		}
		out = append(out, obj{
			"apiVersion": "postgresql.cnpg.io/v1",
			"kind":       "Pooler",
			"metadata":   obj{"name": dbPooler, "labels": obj{LabelPartOf: "odoo"}},
			"spec": obj{
				"cluster":   obj{"name": dbCluster},
				"instances": d.Pooler.Instances,
				"type":      "rw",
				"template":  obj{"spec": poolerPod},
				"pgbouncer": obj{
					"poolMode":   d.Pooler.Mode,
					"parameters": obj{"max_client_conn": "1000", "default_pool_size": "40"},
				},
			},
		})
	}
	out = append(out, obj{
		"apiVersion": "postgresql.cnpg.io/v1",
		"kind":       "ScheduledBackup",
		"metadata":   obj{"name": dbCluster, "labels": obj{LabelPartOf: "odoo"}},
		"spec": obj{
			"schedule":             cnpgSchedule(u.tenv.Backup.Schedule),
			"backupOwnerReference": "self",
			"cluster":              obj{"name": dbCluster},
			"method":               "barmanObjectStore",
			"immediate":            true,
		},
	})
	return out
}

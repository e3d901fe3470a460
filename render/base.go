package render

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// Odoo's ports and paths.
const (
	portHTTP      = 8069
	portWebsocket = 8072
	portPostgres  = 5432
	portRedis     = 6379
	odooUID       = 101
	healthPath    = "/web/health"
)

func ptr[T any](v T) *T { return &v }

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func meta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}

// odooLabels are the labels and selector of one Odoo workload.
func odooLabels(component string) map[string]string {
	return map[string]string{LabelName: "odoo", LabelComponent: component, LabelPartOf: "odoo"}
}

func selector(component string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "odoo", LabelComponent: component}}
}

// baseName is the directory of the base of a tier's environment class.
func baseName(tier, class string) string { return "bases/" + tier + "/" + class }

// restrictedPod is the pod security context every workload runs with: the
// Pod Security "restricted" profile.
func restrictedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr(true),
		RunAsUser:      ptr(int64(odooUID)),
		RunAsGroup:     ptr(int64(odooUID)),
		FSGroup:        ptr(int64(odooUID)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func restrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		RunAsNonRoot:             ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

func resourceReq(r estate.Resources) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: quantity(r.Requests.CPU), corev1.ResourceMemory: quantity(r.Requests.Memory)},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity(r.Limits.CPU), corev1.ResourceMemory: quantity(r.Limits.Memory)},
	}
}

// baseObjects are the objects every tenant of a tier's environment class
// shares, without namespace; overlays place them, label them, pin images and
// patch what differs per tenant.
func baseObjects(pl *estate.Platform, tier *estate.Tier, tenv *estate.TierEnvironment) []any {
	objs := []any{
		&corev1.ServiceAccount{
			TypeMeta:                     typeMeta("v1", "ServiceAccount"),
			ObjectMeta:                   meta(serviceAccount, map[string]string{LabelPartOf: "odoo"}),
			AutomountServiceAccountToken: ptr(false),
		},
		&corev1.PersistentVolumeClaim{
			TypeMeta:   typeMeta("v1", "PersistentVolumeClaim"),
			ObjectMeta: meta(pvcFilestore, map[string]string{LabelPartOf: "odoo", LabelComponent: "filestore"}),
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				StorageClassName: ptr(tenv.StorageClasses.Filestore),
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: quantity(tenv.FilestoreSize)}},
			},
		},
	}
	for _, w := range estate.WorkloadClasses {
		objs = append(objs, deployment(tenv, w))
		if tenv.PDB.Enabled {
			objs = append(objs, &policyv1.PodDisruptionBudget{
				TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
				ObjectMeta: meta("odoo-"+w, odooLabels(w)),
				Spec: policyv1.PodDisruptionBudgetSpec{
					MaxUnavailable: ptr(intstr.FromInt32(int32(tenv.PDB.MaxUnavailable))),
					Selector:       selector(w),
				},
			})
		}
	}
	objs = append(objs,
		service("odoo-web", estate.Web, "http", portHTTP),
		service("odoo-longpolling", estate.LongPolling, "websocket", portWebsocket),
	)
	objs = append(objs, baseNetworkPolicies()...)
	objs = append(objs,
		&corev1.ResourceQuota{
			TypeMeta:   typeMeta("v1", "ResourceQuota"),
			ObjectMeta: meta("tenant-quota", map[string]string{LabelPartOf: "odoo"}),
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
				"requests.cpu":     quantity(tenv.Quota.CPU),
				"requests.memory":  quantity(tenv.Quota.Memory),
				"requests.storage": quantity(tenv.Quota.Storage),
				"pods":             *resource.NewQuantity(int64(tenv.Quota.Pods), resource.DecimalSI),
			}},
		},
		&corev1.LimitRange{
			TypeMeta:   typeMeta("v1", "LimitRange"),
			ObjectMeta: meta("tenant-limits", map[string]string{LabelPartOf: "odoo"}),
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
				Type:           corev1.LimitTypeContainer,
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("128Mi")},
				Default:        corev1.ResourceList{corev1.ResourceCPU: quantity("500m"), corev1.ResourceMemory: quantity("512Mi")},
			}}},
		},
		obj{
			"apiVersion": "monitoring.coreos.com/v1",
			"kind":       "ServiceMonitor",
			"metadata":   obj{"name": "odoo", "labels": obj{LabelPartOf: "odoo"}},
			"spec": obj{
				"selector":  obj{"matchLabels": obj{LabelName: "odoo"}},
				"endpoints": []any{obj{"port": "http", "path": "/metrics", "interval": "30s"}},
			},
		},
		backupCronJob(pl, tenv),
	)
	if rt := tenv.Backup.RestoreTest; rt != nil {
		objs = append(objs, restoreTestCronJob(pl, tenv, rt.Schedule))
	}
	if tenv.Redis.Mode == "dedicated" {
		objs = append(objs, dedicatedRedis(pl, tenv)...)
	}
	return objs
}

func service(name, component, port string, number int32) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(name, odooLabels(component)),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelName: "odoo", LabelComponent: component},
			Ports:    []corev1.ServicePort{{Name: port, Port: number, TargetPort: intstr.FromString(port), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// odooArgs are the command-line arguments of each workload class; worker
// counts come from the tenant's ConfigMap.
func odooArgs(w string) []string {
	conf := "--config=/etc/odoo/odoo.conf"
	switch w {
	case estate.Web:
		return []string{conf, "--workers=$(ODOO_WORKERS)", "--max-cron-threads=0"}
	case estate.Cron:
		return []string{conf, "--workers=0", "--max-cron-threads=$(ODOO_CRON_THREADS)"}
	case estate.Worker:
		return []string{conf, "--workers=$(ODOO_WORKERS)", "--max-cron-threads=0", "--load=base,web,queue_job"}
	default:
		return []string{"gevent", conf, fmt.Sprintf("--gevent-port=%d", portWebsocket)}
	}
}

func deployment(tenv *estate.TierEnvironment, w string) *appsv1.Deployment {
	prod := tenv.Class == estate.Production
	port, portName := int32(portHTTP), "http"
	probe := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: healthPath, Port: intstr.FromString("http")}}
	if w == estate.LongPolling {
		port, portName = portWebsocket, "websocket"
		probe = corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("websocket")}}
	}
	env := []corev1.EnvVar{{Name: "ODOO_WORKERS", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: configMapOdoo}, Key: w + ".workers"},
	}}}
	if w == estate.Cron {
		env[0].Name = "ODOO_CRON_THREADS"
	}
	env = append(env,
		// The long-polling (bus) workload needs LISTEN/NOTIFY, which a
		// transaction-mode pooler breaks, so each class reads its own
		// database host.
		corev1.EnvVar{Name: "PGHOST", ValueFrom: &corev1.EnvVarSource{
			ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: configMapOdoo}, Key: w + ".db_host"},
		}},
		corev1.EnvVar{Name: "PGPASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secretDB}, Key: "password"}}},
		corev1.EnvVar{Name: "REDIS_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secretRedis}, Key: "password"}}},
	)
	whenUnsatisfiable := corev1.ScheduleAnyway
	var minDomains *int32
	if prod {
		whenUnsatisfiable = corev1.DoNotSchedule
		if tenv.Zones > 1 {
			minDomains = ptr(int32(tenv.Zones))
		}
	}
	grace := int64(60)
	if w == estate.Cron || w == estate.Worker {
		grace = 300 // let running jobs finish
	}
	d := &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: meta("odoo-"+w, odooLabels(w)),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(tenv.Replicas[w].Default)),
			Selector: selector(w),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr(intstr.FromInt32(0)), MaxSurge: ptr(intstr.FromInt32(1)),
			}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: odooLabels(w)},
				Spec: corev1.PodSpec{
					ServiceAccountName:            serviceAccount,
					AutomountServiceAccountToken:  ptr(false),
					EnableServiceLinks:            ptr(false),
					TerminationGracePeriodSeconds: ptr(grace),
					SecurityContext:               restrictedPod(),
					NodeSelector:                  map[string]string{LabelPoolClass: tenv.NodePool},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
						{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: whenUnsatisfiable, MinDomains: minDomains, LabelSelector: selector(w)},
						{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: selector(w)},
					},
					Containers: []corev1.Container{{
						Name:            "odoo",
						Image:           odooImage,
						Args:            odooArgs(w),
						Env:             env,
						Ports:           []corev1.ContainerPort{{Name: portName, ContainerPort: port, Protocol: corev1.ProtocolTCP}},
						Resources:       resourceReq(tenv.Resources[w]),
						SecurityContext: restrictedContainer(),
						StartupProbe:    &corev1.Probe{ProbeHandler: probe, PeriodSeconds: 10, FailureThreshold: 30},
						ReadinessProbe:  &corev1.Probe{ProbeHandler: probe, PeriodSeconds: 10, FailureThreshold: 3},
						LivenessProbe:   &corev1.Probe{ProbeHandler: probe, PeriodSeconds: 20, FailureThreshold: 3, TimeoutSeconds: 5},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "filestore", MountPath: "/var/lib/odoo"},
							{Name: "config", MountPath: "/etc/odoo", ReadOnly: true},
							{Name: "tmp", MountPath: "/tmp"},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "filestore", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvcFilestore}}},
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMapOdoo}}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
	return d
}

// podSpec is the restricted pod spec of an auxiliary job.
func jobPod(component, image string, args []string, env []corev1.EnvVar, mounts []corev1.VolumeMount, vols []corev1.Volume, nodePool string) corev1.PodTemplateSpec {
	mounts = append(mounts, corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"})
	vols = append(vols, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{LabelComponent: component, LabelPartOf: "odoo"}},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyOnFailure,
			ServiceAccountName:           serviceAccount,
			AutomountServiceAccountToken: ptr(false),
			EnableServiceLinks:           ptr(false),
			SecurityContext:              restrictedPod(),
			NodeSelector:                 map[string]string{LabelPoolClass: nodePool},
			Containers: []corev1.Container{{
				Name:            component,
				Image:           image,
				Args:            args,
				Env:             env,
				SecurityContext: restrictedContainer(),
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("256Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("1"), corev1.ResourceMemory: quantity("1Gi")},
				},
				VolumeMounts: mounts,
			}},
			Volumes: vols,
		},
	}
}

func cronJob(name, schedule string, tmpl corev1.PodTemplateSpec) *batchv1.CronJob {
	return &batchv1.CronJob{
		TypeMeta:   typeMeta("batch/v1", "CronJob"),
		ObjectMeta: meta(name, map[string]string{LabelComponent: name, LabelPartOf: "odoo"}),
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr(int32(3)),
			FailedJobsHistoryLimit:     ptr(int32(3)),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				BackoffLimit:            ptr(int32(2)),
				ActiveDeadlineSeconds:   ptr(int64(6 * 3600)),
				TTLSecondsAfterFinished: ptr(int32(7 * 24 * 3600)),
				Template:                tmpl,
			}},
		},
	}
}

func envFromConfig(cm string, keys ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, k := range keys {
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: cm}, Key: k}}})
	}
	return out
}

func envFromSecret(secret string, keys ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, k := range keys {
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: k}}})
	}
	return out
}

// backupCronJob copies the filestore to object storage on the tier's
// schedule; retention is enforced by the bucket's lifecycle rule, which the
// ConfigMap documents.
func backupCronJob(pl *estate.Platform, tenv *estate.TierEnvironment) *batchv1.CronJob {
	env := append(envFromConfig(configMapBackup, "S3_ENDPOINT", "S3_BUCKET", "S3_PREFIX", "RETENTION"),
		envFromSecret(secretStorage, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")...)
	tmpl := jobPod("filestore-backup", pl.Images.Backup,
		[]string{"sync", "/var/lib/odoo/filestore", ":s3:$(S3_BUCKET)/$(S3_PREFIX)/filestore", "--s3-endpoint=$(S3_ENDPOINT)", "--s3-env-auth", "--backup-dir=:s3:$(S3_BUCKET)/$(S3_PREFIX)/filestore-history"},
		env,
		[]corev1.VolumeMount{{Name: "filestore", MountPath: "/var/lib/odoo", ReadOnly: true}},
		[]corev1.Volume{{Name: "filestore", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvcFilestore, ReadOnly: true}}}},
		tenv.NodePool)
	return cronJob("filestore-backup", tenv.Backup.Schedule, tmpl)
}

// restoreTestCronJob runs the recovery drill: restore the latest backup
// into a scratch database and check Odoo starts on it.
func restoreTestCronJob(pl *estate.Platform, tenv *estate.TierEnvironment, schedule string) *batchv1.CronJob {
	env := append(envFromConfig(configMapBackup, "S3_ENDPOINT", "S3_BUCKET", "S3_PREFIX", "DB_HOST", "DB_NAME"),
		envFromSecret(secretStorage, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")...)
	tmpl := jobPod("restore-test", pl.Images.RestoreTest, []string{"--verify-odoo", "--report-metrics"}, env, nil, nil, tenv.NodePool)
	return cronJob("restore-test", schedule, tmpl)
}

// baseNetworkPolicies deny everything, then let in DNS, the ingress
// controller to the web and long-polling workloads, and Prometheus.
func baseNetworkPolicies() []any {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port := func(p int, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: ptr(intstr.FromInt32(int32(p)))}
	}
	nsSel := func(ns string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	}
	np := func(name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"), ObjectMeta: meta(name, map[string]string{LabelPartOf: "odoo"}), Spec: spec}
	}
	return []any{
		np("default-deny", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		}),
		np("allow-dns", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel("kube-system"), PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
				Ports: []networkingv1.NetworkPolicyPort{port(53, udp), port(53, tcp)},
			}},
		}),
		np("allow-ingress-controller", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "odoo"}, MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: LabelComponent, Operator: metav1.LabelSelectorOpIn, Values: []string{estate.Web, estate.LongPolling}},
			}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel(NamespaceIngress)}},
				Ports: []networkingv1.NetworkPolicyPort{port(portHTTP, tcp), port(portWebsocket, tcp)},
			}},
		}),
		np("allow-monitoring", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "odoo"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSel(NamespaceMonitoring)}},
				Ports: []networkingv1.NetworkPolicyPort{port(portHTTP, tcp)},
			}},
		}),
	}
}

// dedicatedRedis is a Redis of the tenant's own: a StatefulSet whose first
// pod is the primary and the others replicate from it.
func dedicatedRedis(pl *estate.Platform, tenv *estate.TierEnvironment) []any {
	labels := map[string]string{LabelName: "redis", LabelPartOf: "odoo"}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: "redis"}}
	replicas := int32(1 + tenv.Redis.Replicas)
	script := `set -eu
if [ "${HOSTNAME##*-}" = "0" ]; then
  exec redis-server --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD" --appendonly yes --dir /data
fi
exec redis-server --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD" --appendonly yes --dir /data --replicaof redis-0.redis-headless 6379
`
	sts := &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: meta("redis", labels),
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr(replicas),
			ServiceName: "redis-headless",
			Selector:    sel,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:           serviceAccount,
					AutomountServiceAccountToken: ptr(false),
					EnableServiceLinks:           ptr(false),
					SecurityContext:              restrictedPod(),
					NodeSelector:                 map[string]string{LabelPoolClass: tenv.NodePool},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
						{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
					},
					Containers: []corev1.Container{{
						Name:            "redis",
						Image:           pl.Images.Redis,
						Command:         []string{"/bin/sh", "-c", script},
						Env:             envFromSecret(secretRedis, "REDIS_PASSWORD"),
						Ports:           []corev1.ContainerPort{{Name: "redis", ContainerPort: portRedis, Protocol: corev1.ProtocolTCP}},
						SecurityContext: restrictedContainer(),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("250m"), corev1.ResourceMemory: quantity("512Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("1"), corev1.ResourceMemory: quantity("1Gi")},
						},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}}, PeriodSeconds: 10},
						LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}}, PeriodSeconds: 20},
						VolumeMounts:   []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
					}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: ptr(tenv.StorageClasses.Database),
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: quantity("8Gi")}},
				},
			}},
		},
	}
	svc := func(name string, headless bool) *corev1.Service {
		s := &corev1.Service{
			TypeMeta:   typeMeta("v1", "Service"),
			ObjectMeta: meta(name, labels),
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{LabelName: "redis"},
				Ports:    []corev1.ServicePort{{Name: "redis", Port: portRedis, TargetPort: intstr.FromString("redis"), Protocol: corev1.ProtocolTCP}},
			},
		}
		if headless {
			s.Spec.ClusterIP = corev1.ClusterIPNone
			s.Spec.PublishNotReadyAddresses = true
		} else {
			// Only the primary takes writes.
			s.Spec.Selector = map[string]string{LabelName: "redis", "statefulset.kubernetes.io/pod-name": "redis-0"}
		}
		return s
	}
	objs := []any{sts, svc("redis", false), svc("redis-headless", true)}
	if replicas > 1 {
		objs = append(objs, &policyv1.PodDisruptionBudget{
			TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
			ObjectMeta: meta("redis", labels),
			Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr(intstr.FromInt32(1)), Selector: sel},
		})
	}
	return objs
}

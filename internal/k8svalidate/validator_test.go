package k8svalidate

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// requireValid fails the test for every error Validate reports.
func requireValid(t *testing.T, manifest string) {
	t.Helper()
	for _, err := range ForTest(t).Validate([]byte(manifest)) {
		t.Errorf("unexpected error: %v", err)
	}
}

// requireErrors checks that Validate reports exactly len(want) errors and
// that error i contains every substring of want[i].
func requireErrors(t *testing.T, manifest string, want ...[]string) {
	t.Helper()
	errs := ForTest(t).Validate([]byte(manifest))
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:", len(errs), len(want))
		for _, err := range errs {
			t.Errorf("  %v", err)
		}
		return
	}
	for i, err := range errs {
		for _, sub := range want[i] {
			if !strings.Contains(err.Error(), sub) {
				t.Errorf("error %d = %q, want it to contain %q", i, err, sub)
			}
		}
	}
}

const validDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 8080, name: http}]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
`

func TestBuiltinValid(t *testing.T) {
	t.Parallel()
	requireValid(t, `# rendered by palisade
---
`+validDeployment+`
---
# only a comment
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app.kubernetes.io/name: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: vacuum}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: vacuum, image: busybox:1.37, args: [sh, -c, "true"]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app.kubernetes.io/name: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list, watch]
`)
}

func TestBuiltinUnknownFields(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(validDeployment, "      containers:", "      bogusField: true\n      containers:", 1)
	bad = strings.Replace(bad, "          image: nginx:1.27", "          image: nginx:1.27\n          imagePullPolicyy: Always", 1)
	requireErrors(t, bad,
		[]string{`validating apps/v1 Deployment "shop/web"`, "spec.template.spec.bogusField: unknown field"},
		[]string{`validating apps/v1 Deployment "shop/web"`, "spec.template.spec.containers[0].imagePullPolicyy: unknown field"},
	)
}

func TestBuiltinWrongType(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(validDeployment, "replicas: 3", `replicas: "three"`, 1)
	requireErrors(t, bad, []string{`validating apps/v1 Deployment "shop/web": spec.replicas: cannot unmarshal string into int32`})

	// A type error is fatal to the decoder and hides other problems of the
	// same object, but not of the next object.
	both := strings.Replace(bad, "      containers:", "      bogusField: true\n      containers:", 1)
	requireErrors(t, both+"---\n"+strings.Replace(validDeployment, "  replicas: 3", "  replicas: 3\n  replica: 3", 1),
		[]string{`Deployment "shop/web"`, "spec.replicas"},
		[]string{`Deployment "shop/web"`, "spec.replica: unknown field"},
	)
}

func TestBuiltinDuplicateField(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(validDeployment, "replicas: 3", "replicas: 3\n  replicas: 4", 1)
	requireErrors(t, bad, []string{`Deployment "shop/web"`, `"replicas" already set`})
}

func TestBuiltinMetadata(t *testing.T) {
	t.Parallel()
	requireErrors(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: Not_A_Name
  labelz: {a: b}
  labels: {"app": "has spaces"}
data: {a: b}
`,
		[]string{`v1 ConfigMap "Not_A_Name"`, "metadata.labelz: unknown field"},
		[]string{"metadata.labels: Invalid value"},
		[]string{"metadata.name: Invalid value"},
	)
}

func TestUnsupportedKinds(t *testing.T) {
	t.Parallel()
	requireErrors(t, `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: x
---
apiVersion: apps/v1
kind: Deploymnet
metadata: {name: web}
---
apiVersion: postgresql.cnpg.io/v2
kind: Cluster
metadata: {name: db}
---
kind: ConfigMap
metadata: {name: x}
---
- just a list
`,
		[]string{`validating example.com/v1 Widget "w": no schema for example.com/v1/Widget`},
		[]string{"no schema for autoscaling/v1/HorizontalPodAutoscaler", "not a supported built-in kind"},
		[]string{"no schema for storage.k8s.io/v1/StorageClass", "not a supported built-in kind"},
		[]string{"no schema for apps/v1/Deploymnet"},
		[]string{"no schema for postgresql.cnpg.io/v2/Cluster", "serves versions v1"},
		[]string{"apiVersion and kind are required"},
		[]string{"document 7", "not a YAML object"},
	)
}

const validCluster = `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: x
  namespace: db
spec:
  instances: 3
  imageName: ghcr.io/cloudnative-pg/postgresql:17.5
  primaryUpdateStrategy: unsupervised
  storage:
    size: 10Gi
    storageClass: standard
  bootstrap:
    initdb: {database: app, owner: app}
  postgresql:
    parameters: {max_connections: "200", shared_buffers: 256MB}
    synchronous: {method: any, number: 1}
  resources:
    requests: {cpu: "1", memory: 1Gi}
  affinity:
    enablePodAntiAffinity: true
    topologyKey: kubernetes.io/hostname
`

func TestCNPGCluster(t *testing.T) {
	t.Parallel()
	requireValid(t, validCluster)

	requireErrors(t, strings.Replace(validCluster, "storageClass:", "storageClas:", 1),
		[]string{`validating postgresql.cnpg.io/v1 Cluster "db/x": spec.storage.storageClas: unknown field`})

	// Schema: enum, minimum, wrong type.
	bad := strings.Replace(validCluster, "primaryUpdateStrategy: unsupervised", "primaryUpdateStrategy: sometimes", 1)
	bad = strings.Replace(bad, "instances: 3", "instances: 0", 1)
	requireErrors(t, bad,
		[]string{"spec.instances: Invalid value: 0", "greater than or equal to 1"},
		[]string{"spec.primaryUpdateStrategy: Unsupported value", `"sometimes"`},
		[]string{"x-kubernetes-validations rules not checked"},
	)

	// CEL rules (x-kubernetes-validations), including one on an integer.
	bad = strings.Replace(validCluster, "  storage:", "  imageCatalogRef: {apiGroup: postgresql.cnpg.io, kind: ImageCatalog, name: pg, major: 17}\n  storage:", 1)
	bad = strings.Replace(bad, "number: 1", "number: 0", 1)
	requireErrors(t, bad,
		[]string{`Cluster "db/x": spec: Invalid value`, "imageName and imageCatalogRef are mutually exclusive"},
		[]string{"spec.postgresql.synchronous.number: Invalid value: 0", "greater than zero"},
	)
}

func TestCNPGOtherKinds(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: postgresql.cnpg.io/v1
kind: Pooler
metadata: {name: x-rw, namespace: db}
spec:
  cluster: {name: x}
  instances: 2
  type: rw
  pgbouncer:
    poolMode: transaction
    parameters: {max_client_conn: "1000"}
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata: {name: nightly, namespace: db}
spec:
  schedule: "0 0 2 * * *"
  cluster: {name: x}
  method: barmanObjectStore
  backupOwnerReference: self
---
apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata: {name: app, namespace: db}
spec:
  name: app
  owner: app
  cluster: {name: x}
`)
}

const validScaledObject = `
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker, namespace: shop}
spec:
  scaleTargetRef: {name: worker}
  pollingInterval: 30
  minReplicaCount: 1
  maxReplicaCount: 10
  triggers:
    - type: prometheus
      metadata:
        serverAddress: http://prometheus.monitoring:9090
        query: sum(rate(jobs_total[2m]))
        threshold: "10"
`

func TestKEDA(t *testing.T) {
	t.Parallel()
	// The CEL rule compares integers: this passes only if numbers decode as int64.
	requireValid(t, validScaledObject)
	requireErrors(t, strings.Replace(validScaledObject, "pollingInterval:", "pollingIntervall:", 1),
		[]string{`validating keda.sh/v1alpha1 ScaledObject "shop/worker": spec.pollingIntervall: unknown field`})
	requireErrors(t, strings.Replace(validScaledObject, "minReplicaCount: 1", "minReplicaCount: 20", 1),
		[]string{"spec: Invalid value", "minReplicaCount must be less than or equal to maxReplicaCount"})
	requireErrors(t, strings.Replace(validScaledObject, "    - type: prometheus\n", "    - kind: prometheus\n", 1),
		[]string{"spec.triggers[0].kind: unknown field"},
		[]string{"spec.triggers[0].type: Required value"},
		[]string{"x-kubernetes-validations rules not checked"},
	)
}

func TestExternalSecret(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db-credentials, namespace: shop}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target:
    name: db-credentials
    creationPolicy: Owner
    template:
      type: Opaque
      data: {DATABASE_URL: "postgres://{{ .user }}:{{ .password }}@db:5432/app"}
  data:
    - secretKey: user
      remoteRef: {key: shop/db, property: user}
    - secretKey: password
      remoteRef: {key: shop/db, property: password}
`)
}

func TestPrometheusOperator(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop, labels: {release: prometheus}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: web}}
  namespaceSelector: {matchNames: [shop]}
  endpoints:
    - port: http
      path: /metrics
      interval: 30s
      scrapeTimeout: 10s
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: web, namespace: shop}
spec:
  groups:
    - name: web.rules
      rules:
        - alert: WebDown
          expr: up{job="web"} == 0
          for: 5m
          labels: {severity: critical}
          annotations: {summary: "web is down"}
        - record: job:http_requests:rate5m
          expr: sum by (job) (rate(http_requests_total[5m]))
`)
	requireErrors(t, `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
spec:
  selector: {}
  endpoints: [{port: http, interval: 30 seconds}]
`, []string{"spec.endpoints[0].interval", "should match"})
}

func TestArgoCD(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shop, namespace: argocd}
spec:
  description: Shop services
  sourceRepos: [https://github.com/example/deploy.git]
  destinations:
    - server: https://kubernetes.default.svc
      namespace: shop
  clusterResourceWhitelist: [{group: "", kind: Namespace}]
  syncWindows:
    - kind: deny
      schedule: "0 22 * * *"
      duration: 8h
      applications: ["*"]
      timeZone: Europe/Berlin
      manualSync: true
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: shop
  source:
    repoURL: https://github.com/example/deploy.git
    targetRevision: main
    path: shop
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
    retry:
      limit: 5
      backoff: {duration: 5s, factor: 2, maxDuration: 3m}
`)
	requireErrors(t, `
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shop, namespace: argocd}
spec:
  syncWindows:
    - kind: deny
      schedule: "0 22 * * *"
      duration: 8h
      timezone: UTC
`, []string{`AppProject "argocd/shop": spec.syncWindows[0].timezone: unknown field`})
}

func TestFluxKustomization(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shop, namespace: flux-system}
spec:
  interval: 10m
  retryInterval: 1m
  timeout: 5m
  path: ./clusters/prod/shop
  prune: true
  wait: true
  targetNamespace: shop
  sourceRef: {kind: GitRepository, name: deploy}
  postBuild:
    substitute: {cluster: prod}
`)
	requireErrors(t, `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shop, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepo, name: deploy}
`,
		[]string{"spec.sourceRef.kind: Unsupported value", `"GitRepo"`},
		[]string{"x-kubernetes-validations rules not checked"},
	)
}

func TestTraefik(t *testing.T) {
	t.Parallel()
	requireValid(t, `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(`+"`shop.example.com`"+`) && PathPrefix(`+"`/`"+`)
      kind: Rule
      middlewares: [{name: ratelimit}, {name: security-headers}, {name: retry}]
      services: [{name: web, port: 80}]
  tls: {secretName: shop-tls}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: ratelimit, namespace: shop}
spec:
  rateLimit: {average: 100, burst: 200, period: 1s}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: security-headers, namespace: shop}
spec:
  headers:
    stsSeconds: 31536000
    stsIncludeSubdomains: true
    frameDeny: true
    contentTypeNosniff: true
    customResponseHeaders: {X-Powered-By: ""}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: retry, namespace: shop}
spec:
  retry: {attempts: 3, initialInterval: 100ms}
`)
	requireErrors(t, `
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: retry, namespace: shop}
spec:
  retry: {attempts: "three", intialInterval: 100ms}
`,
		[]string{`Middleware "shop/retry": spec.retry.intialInterval: unknown field`},
		[]string{"spec.retry.attempts: Invalid value", "must be of type integer"},
		[]string{"x-kubernetes-validations rules not checked"},
	)
}

func TestErrorsExposeFieldError(t *testing.T) {
	t.Parallel()
	errs := ForTest(t).Validate([]byte(strings.Replace(validCluster, "instances: 3", "instances: 0", 1)))
	if len(errs) != 1 {
		t.Fatalf("got %v, want one error", errs)
	}
	var fe *field.Error
	if !errors.As(errs[0], &fe) || fe.Field != "spec.instances" {
		t.Errorf("errors.As(%v) = %v, want a *field.Error for spec.instances", errs[0], fe)
	}
}

func TestNewRejectsNonCRD(t *testing.T) {
	t.Parallel()
	if _, err := New([][]byte{[]byte(validDeployment)}); err == nil {
		t.Error("New accepted a Deployment as a CRD")
	}
}

func TestForTestIsShared(t *testing.T) {
	t.Parallel()
	if ForTest(t) != ForTest(t) {
		t.Error("ForTest returned different validators")
	}
}

func TestUpstreamKinds(t *testing.T) {
	t.Parallel()
	v := ForTest(t)
	for _, gvk := range []string{
		"postgresql.cnpg.io/v1 Cluster", "postgresql.cnpg.io/v1 Pooler",
		"postgresql.cnpg.io/v1 ScheduledBackup", "postgresql.cnpg.io/v1 Database",
		"keda.sh/v1alpha1 ScaledObject", "keda.sh/v1alpha1 ScaledJob", "keda.sh/v1alpha1 TriggerAuthentication",
		"external-secrets.io/v1 ExternalSecret", "external-secrets.io/v1 ClusterSecretStore",
		"monitoring.coreos.com/v1 ServiceMonitor", "monitoring.coreos.com/v1 PodMonitor",
		"monitoring.coreos.com/v1 PrometheusRule",
		"argoproj.io/v1alpha1 Application", "argoproj.io/v1alpha1 AppProject",
		"kustomize.toolkit.fluxcd.io/v1 Kustomization",
		"traefik.io/v1alpha1 IngressRoute", "traefik.io/v1alpha1 Middleware",
	} {
		apiVersion, kind, _ := strings.Cut(gvk, " ")
		errs := v.Validate([]byte("apiVersion: " + apiVersion + "\nkind: " + kind + "\n"))
		for _, err := range errs {
			if strings.Contains(err.Error(), "no schema") {
				t.Errorf("%s: %v", gvk, err)
			}
		}
	}
}

func TestLoadCRDsMissingFile(t *testing.T) {
	t.Parallel()
	src := Upstream[len(Upstream)-1]
	src.Globs = []string{"no/such/dir/*.yaml"}
	_, err := LoadCRDs(t.Context(), []Source{src})
	if err == nil || !strings.Contains(err.Error(), "no file matches no/such/dir/*.yaml") {
		t.Errorf("LoadCRDs = %v, want a no-match error", err)
	}
}

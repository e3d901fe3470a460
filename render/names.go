package render

import (
	"regexp"
	"sort"
	"strings"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// Label keys Palisade sets.
const (
	LabelTenant      = "palisade.io/tenant"
	LabelTier        = "palisade.io/tier"
	LabelSegment     = "palisade.io/segment"
	LabelEnvironment = "palisade.io/environment"
	LabelPoolClass   = "palisade.io/pool-class"
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	LabelPartOf      = "app.kubernetes.io/part-of"
	LabelName        = "app.kubernetes.io/name"
	LabelComponent   = "app.kubernetes.io/component"

	// AnnotationTimeZone, on a tenant environment's Namespace, is the
	// tenant's time zone: with the tier and segment labels, what decides
	// which freeze windows apply to it, readable from the tree when the
	// tenant is no longer in the estate.
	AnnotationTimeZone = "palisade.io/time-zone"

	// TaintDedicated is the taint key on a dedicated node pool; its value
	// is the tenant's name.
	TaintDedicated = "palisade.io/dedicated"
)

// Namespaces of platform components the rendered objects talk to.
const (
	NamespaceIngress    = "traefik"
	NamespaceMonitoring = "monitoring"
	NamespaceCNPG       = "cnpg-system"
	NamespaceArgoCD     = "argocd"
	NamespaceFlux       = "flux-system"
	NamespaceRedis      = "redis-shared"
)

// Well-known object names inside a tenant namespace.
const (
	odooImage       = "odoo" // the image name in bases, pinned by the overlay
	serviceAccount  = "odoo"
	configMapOdoo   = "odoo-config"
	configMapBackup = "backup-config"
	pvcFilestore    = "odoo-filestore"
	dbCluster       = "odoo-db"
	dbPooler        = "odoo-db-pooler-rw"
	secretDB        = "odoo-db"
	secretAdmin     = "odoo-admin"
	secretRedis     = "redis"
	secretStorage   = "object-storage"
)

// envShort abbreviates an environment class in namespace and app names.
func envShort(env string) string {
	switch env {
	case estate.Production:
		return "prod"
	case estate.Staging:
		return "staging"
	default:
		return "dev"
	}
}

// Namespace is the namespace of a tenant environment.
func Namespace(tenant, env string) string { return tenant + "-" + envShort(env) }

// AppName is the name of the Argo CD Application or Flux Kustomization of a
// tenant environment.
func AppName(tenant, env string) string { return Namespace(tenant, env) }

// PlatformNamespaces lists, sorted, the namespaces of platform services a
// tenant's objects may refer to: the components every cluster runs, the
// shared PostgreSQL cluster's and each segment's.
func PlatformNamespaces(e *estate.Estate) []string {
	shared, _ := sharedPG()
	ns := []string{NamespaceArgoCD, NamespaceCNPG, NamespaceFlux, "kube-system", NamespaceMonitoring, NamespaceRedis, NamespaceIngress, shared}
	for seg := range e.Platform.Segments {
		n, _ := segmentPG(seg)
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// sharedPG and segmentPG name the platform PostgreSQL clusters and their
// namespaces.
func sharedPG() (ns, cluster string)            { return "postgres-shared", "pg-shared" }
func segmentPG(seg string) (ns, cluster string) { return "postgres-" + seg, "pg-" + seg }

// dbIdent is a PostgreSQL identifier for a tenant environment's database
// and role in a shared or segment cluster.
func dbIdent(tenant, env string) string {
	return strings.ReplaceAll(tenant, "-", "_") + "_" + envShort(env)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a domain into a DNS label for object names.
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "-")
	}
	return s
}

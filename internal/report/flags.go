package report

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Review flags mark the object changes a reviewer should read closely,
// whatever the policies say of them: the policies judge whether a change
// is allowed, the flags say which allowed changes carry risk.
const (
	// FlagImage: a container's or a database cluster's image changes.
	FlagImage = "image"
	// FlagNetwork: a NetworkPolicy changes: who may talk to whom.
	FlagNetwork = "network"
	// FlagExposure: what is reachable from outside changes: ingress
	// routes, their middlewares, a Service's type.
	FlagExposure = "exposure"
	// FlagAccess: RBAC, service accounts, or a pod's service account or
	// token mount changes.
	FlagAccess = "access"
	// FlagSecrets: a Secret, ExternalSecret or secret store changes.
	FlagSecrets = "secrets"
	// FlagSecurity: a pod's or container's security context or host
	// access changes.
	FlagSecurity = "security"
	// FlagBackup: a backup schedule or a database cluster's backup
	// configuration changes.
	FlagBackup = "backup"
	// FlagDataLoss: an object holding data is removed: a volume claim, a
	// database cluster, a database.
	FlagDataLoss = "data-loss"
	// FlagGitOps: the GitOps controller's own objects change: projects
	// (sync windows, signature keys), applications, Flux sources and
	// kustomizations.
	FlagGitOps = "gitops"
)

// Flags lists every review flag, in the order reports show them.
var Flags = []string{FlagDataLoss, FlagSecurity, FlagAccess, FlagSecrets, FlagNetwork, FlagExposure, FlagImage, FlagBackup, FlagGitOps}

// byKind are the flags any change of an object of a kind (by API group)
// raises.
var byKind = map[[2]string]string{
	{"networking.k8s.io", "NetworkPolicy"}:              FlagNetwork,
	{"cilium.io", "CiliumNetworkPolicy"}:                FlagNetwork,
	{"networking.k8s.io", "Ingress"}:                    FlagExposure,
	{"traefik.io", "IngressRoute"}:                      FlagExposure,
	{"traefik.io", "IngressRouteTCP"}:                   FlagExposure,
	{"traefik.io", "IngressRouteUDP"}:                   FlagExposure,
	{"traefik.io", "Middleware"}:                        FlagExposure,
	{"traefik.containo.us", "IngressRoute"}:             FlagExposure,
	{"traefik.containo.us", "Middleware"}:               FlagExposure,
	{"rbac.authorization.k8s.io", "Role"}:               FlagAccess,
	{"rbac.authorization.k8s.io", "RoleBinding"}:        FlagAccess,
	{"rbac.authorization.k8s.io", "ClusterRole"}:        FlagAccess,
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"}: FlagAccess,
	{"", "ServiceAccount"}:                              FlagAccess,
	{"", "Secret"}:                                      FlagSecrets,
	{"external-secrets.io", "ExternalSecret"}:           FlagSecrets,
	{"external-secrets.io", "SecretStore"}:              FlagSecrets,
	{"external-secrets.io", "ClusterSecretStore"}:       FlagSecrets,
	{"postgresql.cnpg.io", "ScheduledBackup"}:           FlagBackup,
	{"postgresql.cnpg.io", "Backup"}:                    FlagBackup,
	{"argoproj.io", "AppProject"}:                       FlagGitOps,
	{"argoproj.io", "Application"}:                      FlagGitOps,
	{"kustomize.toolkit.fluxcd.io", "Kustomization"}:    FlagGitOps,
	{"source.toolkit.fluxcd.io", "GitRepository"}:       FlagGitOps,
}

// riskyRemoval are the kind flags an object's removal raises too: a
// network policy removed may open traffic, a backup schedule or a GitOps
// object removed stops backups or prunes. Removing a route, a role or a
// secret only takes something away.
var riskyRemoval = map[string]bool{FlagNetwork: true, FlagBackup: true, FlagGitOps: true}

// holdsData are the kinds whose removal loses data.
var holdsData = map[[2]string]bool{
	{"", "PersistentVolumeClaim"}:                 true,
	{"postgresql.cnpg.io", "Cluster"}:             true,
	{"postgresql.cnpg.io", "Database"}:            true,
	{"", "PersistentVolume"}:                      true,
	{"snapshot.storage.k8s.io", "VolumeSnapshot"}: true,
}

// flagsOf are the review flags of an object's change from before to
// after (nil for an added or a removed object), sorted as Flags.
func flagsOf(group, kind string, before, after map[string]any) []string {
	set := map[string]bool{}
	k := [2]string{group, kind}
	if f, ok := byKind[k]; ok && (after != nil || riskyRemoval[f]) {
		set[f] = true
	}
	if after == nil && holdsData[k] {
		set[FlagDataLoss] = true
	}
	if before != nil && after != nil {
		bp, ap := podSpecOf(before), podSpecOf(after)
		if !reflect.DeepEqual(images(bp), images(ap)) {
			set[FlagImage] = true
		}
		if !reflect.DeepEqual(securityOf(bp), securityOf(ap)) {
			set[FlagSecurity] = true
		}
		if !reflect.DeepEqual(accessOf(bp), accessOf(ap)) {
			set[FlagAccess] = true
		}
		if group == "postgresql.cnpg.io" && kind == "Cluster" {
			if !reflect.DeepEqual(dig(before, "spec", "imageName"), dig(after, "spec", "imageName")) {
				set[FlagImage] = true
			}
			if !reflect.DeepEqual(dig(before, "spec", "backup"), dig(after, "spec", "backup")) {
				set[FlagBackup] = true
			}
		}
		if group == "" && kind == "Service" && !reflect.DeepEqual(dig(before, "spec", "type"), dig(after, "spec", "type")) {
			set[FlagExposure] = true
		}
	}
	var out []string
	for _, f := range Flags {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// podSpecOf is the pod spec of a workload, a CronJob's or a Pod's; nil
// for other objects.
func podSpecOf(o map[string]any) map[string]any {
	for _, path := range [][]string{
		{"spec", "template", "spec"},
		{"spec", "jobTemplate", "spec", "template", "spec"},
	} {
		if s, ok := dig(o, path...).(map[string]any); ok {
			return s
		}
	}
	if o["kind"] == "Pod" {
		s, _ := o["spec"].(map[string]any)
		return s
	}
	return nil
}

var containerFields = []string{"initContainers", "containers", "ephemeralContainers"}

// images are the images of a pod spec's containers, by field and name.
func images(spec map[string]any) map[string]any {
	out := map[string]any{}
	eachContainer(spec, func(key string, c map[string]any) { out[key] = c["image"] })
	return out
}

// securityOf is what of a pod spec decides its privileges: its security
// context, host namespaces, host-path volumes and each container's
// security context.
func securityOf(spec map[string]any) map[string]any {
	out := map[string]any{}
	if spec == nil {
		return out
	}
	for _, f := range []string{"securityContext", "hostNetwork", "hostPID", "hostIPC"} {
		out[f] = spec[f]
	}
	vols, _ := spec["volumes"].([]any)
	for _, v := range vols {
		if m, ok := v.(map[string]any); ok && m["hostPath"] != nil {
			out["hostPath "+str(m["name"])] = m["hostPath"]
		}
	}
	eachContainer(spec, func(key string, c map[string]any) { out[key] = c["securityContext"] })
	return out
}

// accessOf is whose identity a pod spec runs with, and whether its token
// is mounted.
func accessOf(spec map[string]any) map[string]any {
	if spec == nil {
		return nil
	}
	return map[string]any{
		"serviceAccountName":           spec["serviceAccountName"],
		"automountServiceAccountToken": spec["automountServiceAccountToken"],
	}
}

func eachContainer(spec map[string]any, fn func(key string, c map[string]any)) {
	for _, f := range containerFields {
		cs, _ := spec[f].([]any)
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				fn(f+"/"+str(m["name"]), m)
			}
		}
	}
}

// dig is the value at path in o, nil where there is none.
func dig(o map[string]any, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(o, path...)
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// FlagCounts counts the object changes raising each review flag.
func FlagCounts(diffs []TenantDiff) map[string]int {
	n := map[string]int{}
	for _, d := range diffs {
		for _, o := range d.Objects {
			for _, f := range o.Flags {
				n[f]++
			}
		}
	}
	return n
}

// flagSummary lists the counts of FlagCounts in the order of Flags, as
// "2 image, 1 network"; empty when no change raises a flag.
func flagSummary(n map[string]int) []string {
	var out []string
	for _, f := range Flags {
		if n[f] > 0 {
			out = append(out, fmt.Sprintf("%d %s", n[f], f))
		}
	}
	return out
}

package report

import (
	"reflect"
	"strings"
	"testing"
)

// workload is a Deployment whose pod spec edit changes.
func workload(edit func(spec map[string]any)) map[string]any {
	spec := map[string]any{
		"serviceAccountName":           "odoo",
		"automountServiceAccountToken": false,
		"securityContext":              map[string]any{"runAsNonRoot": true},
		"containers": []any{map[string]any{
			"name": "odoo", "image": "registry.example.test/odoo@sha256:1111",
			"securityContext": map[string]any{"allowPrivilegeEscalation": false},
			"resources":       map[string]any{"limits": map[string]any{"cpu": "1"}},
		}},
	}
	if edit != nil {
		edit(spec)
	}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "acme-prod"},
		"spec":     map[string]any{"replicas": 2, "template": map[string]any{"spec": spec}},
	}
}

func container(spec map[string]any) map[string]any {
	return spec["containers"].([]any)[0].(map[string]any)
}

func object(apiVersion, kind string, spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": "x", "namespace": "acme-prod"}, "spec": spec}
}

func TestReviewFlags(t *testing.T) {
	cluster := func(image string, schedule string) map[string]any {
		return object("postgresql.cnpg.io/v1", "Cluster", map[string]any{
			"instances": 2, "imageName": image,
			"backup": map[string]any{"retentionPolicy": schedule},
		})
	}
	for _, tc := range []struct {
		name          string
		before, after map[string]any
		want          []string
	}{
		{"replicas only", workload(nil), workload(func(s map[string]any) {}), nil},
		{"resources only", workload(nil), workload(func(s map[string]any) {
			container(s)["resources"] = map[string]any{"limits": map[string]any{"cpu": "2"}}
		}), nil},
		{"image", workload(nil), workload(func(s map[string]any) {
			container(s)["image"] = "registry.example.test/odoo@sha256:2222"
		}), []string{FlagImage}},
		{"container security context", workload(nil), workload(func(s map[string]any) {
			container(s)["securityContext"] = map[string]any{"privileged": true}
		}), []string{FlagSecurity}},
		{"host network", workload(nil), workload(func(s map[string]any) { s["hostNetwork"] = true }), []string{FlagSecurity}},
		{"host path", workload(nil), workload(func(s map[string]any) {
			s["volumes"] = []any{map[string]any{"name": "root", "hostPath": map[string]any{"path": "/"}}}
		}), []string{FlagSecurity}},
		{"token mounted", workload(nil), workload(func(s map[string]any) { s["automountServiceAccountToken"] = true }), []string{FlagAccess}},
		{"another service account, another image", workload(nil), workload(func(s map[string]any) {
			s["serviceAccountName"] = "admin"
			container(s)["image"] = "evil.example.test/odoo:latest"
		}), []string{FlagAccess, FlagImage}},
		{"network policy", object("networking.k8s.io/v1", "NetworkPolicy", map[string]any{"a": 1}), object("networking.k8s.io/v1", "NetworkPolicy", map[string]any{"a": 2}), []string{FlagNetwork}},
		{"route added", nil, object("traefik.io/v1alpha1", "IngressRoute", nil), []string{FlagExposure}},
		{"service type", object("v1", "Service", map[string]any{"type": "ClusterIP"}), object("v1", "Service", map[string]any{"type": "LoadBalancer"}), []string{FlagExposure}},
		{"service port", object("v1", "Service", map[string]any{"port": 80}), object("v1", "Service", map[string]any{"port": 8080}), nil},
		{"role added", nil, object("rbac.authorization.k8s.io/v1", "Role", nil), []string{FlagAccess}},
		{"role removed", object("rbac.authorization.k8s.io/v1", "Role", nil), nil, nil},
		{"network policy removed", object("networking.k8s.io/v1", "NetworkPolicy", nil), nil, []string{FlagNetwork}},
		{"route removed", object("traefik.io/v1alpha1", "IngressRoute", nil), nil, nil},
		{"backup schedule removed", object("postgresql.cnpg.io/v1", "ScheduledBackup", nil), nil, []string{FlagBackup}},
		{"external secret", object("external-secrets.io/v1beta1", "ExternalSecret", map[string]any{"a": 1}), object("external-secrets.io/v1beta1", "ExternalSecret", map[string]any{"a": 2}), []string{FlagSecrets}},
		{"database image", cluster("pg@sha256:1", "30d"), cluster("pg@sha256:2", "30d"), []string{FlagImage}},
		{"database backup", cluster("pg@sha256:1", "30d"), cluster("pg@sha256:1", "7d"), []string{FlagBackup}},
		{"database removed", cluster("pg@sha256:1", "30d"), nil, []string{FlagDataLoss}},
		{"claim removed", object("v1", "PersistentVolumeClaim", nil), nil, []string{FlagDataLoss}},
		{"claim added", nil, object("v1", "PersistentVolumeClaim", nil), nil},
		{"sync windows", object("argoproj.io/v1alpha1", "AppProject", map[string]any{"a": 1}), object("argoproj.io/v1alpha1", "AppProject", map[string]any{"a": 2}), []string{FlagGitOps}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.after
			if o == nil {
				o = tc.before
			}
			group, _, _ := strings.Cut(o["apiVersion"].(string), "/")
			if !strings.Contains(o["apiVersion"].(string), "/") {
				group = ""
			}
			if got := flagsOf(group, o["kind"].(string), tc.before, tc.after); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flags %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFlagSummary(t *testing.T) {
	diffs := []TenantDiff{
		{Tenant: "a/production", Objects: []ObjectDiff{{Flags: []string{FlagImage}}, {Flags: []string{FlagNetwork, FlagImage}}}},
		{Tenant: "b/production", Objects: []ObjectDiff{{}, {Flags: []string{FlagDataLoss}}}},
	}
	if got, want := flagSummary(FlagCounts(diffs)), []string{"1 data-loss", "1 network", "2 image"}; !reflect.DeepEqual(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	if got := flagSummary(FlagCounts(nil)); got != nil {
		t.Errorf("no diffs: %v", got)
	}
}

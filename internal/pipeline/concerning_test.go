package pipeline

import (
	"reflect"
	"testing"
)

// TestConcerningNarrowsSharedRoles: a tenant environment's policy input
// holds the shared cluster with its own role only (not every tenant's:
// that made each input grow with the estate), and the platform's cluster
// object itself is left whole.
func TestConcerningNarrowsSharedRoles(t *testing.T) {
	role := func(name string) map[string]any {
		return map[string]any{"name": name, "login": true, "passwordSecret": map[string]any{"name": "role-" + name}}
	}
	cluster := map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": "pg-shared", "namespace": "postgres-shared"},
		"spec": map[string]any{
			"instances": 3,
			"managed":   map[string]any{"roles": []any{role("a-prod"), role("b-prod"), role("c-prod")}},
		},
	}
	db := func(tenant, ns string) map[string]any {
		return map[string]any{
			"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
			"metadata": map[string]any{"name": ns, "namespace": "postgres-shared", "labels": map[string]any{"palisade.io/tenant": tenant}},
		}
	}
	objs := []map[string]any{cluster, db("a", "a-prod"), db("b", "b-prod")}

	got := concerning(objs, "b", "b-prod")
	if len(got) != 2 || got[0]["kind"] != "Database" || got[1]["kind"] != "Cluster" {
		t.Fatalf("concerning = %v, want b's Database and the cluster", got)
	}
	roles := got[1]["spec"].(map[string]any)["managed"].(map[string]any)["roles"]
	if !reflect.DeepEqual(roles, []any{role("b-prod")}) {
		t.Errorf("the cluster's roles in b's input = %v, want b's only", roles)
	}
	if got[1]["spec"].(map[string]any)["instances"] != 3 {
		t.Error("the rest of the cluster's spec is lost")
	}
	if n := len(cluster["spec"].(map[string]any)["managed"].(map[string]any)["roles"].([]any)); n != 3 {
		t.Errorf("the platform's cluster object was modified: %d roles left", n)
	}
	none := concerning(objs, "z", "z-prod")
	if len(none) != 0 {
		t.Errorf("a tenant with no database got %v", none)
	}
}

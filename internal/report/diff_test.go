package report

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func deployment(ns, name string, replicas int) map[string]any {
	return map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"b": "2", "a": "1"}},
		"spec":       map[string]any{"replicas": replicas},
	}
}

func namespace(name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}
}

func TestObjectDiffs(t *testing.T) {
	before := []map[string]any{
		deployment("acme-prod", "web", 2),
		deployment("acme-prod", "cron", 1), // unchanged
		deployment("acme-prod", "worker", 1),
		namespace("acme-old"),
	}
	after := []map[string]any{
		namespace("acme-new"),
		deployment("acme-prod", "cron", 1),
		deployment("acme-prod", "web", 3),
	}
	got, err := ObjectDiffs(before, after)
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, d := range got {
		summary = append(summary, fmt.Sprintf("%s %s %s/%s %s", d.Change, d.APIVersion, d.Kind, nsName(d.Namespace, d.Name), strings.SplitN(d.Unified, "\n", 3)[:2]))
	}
	want := []string{
		"changed apps/v1 Deployment/acme-prod/web [--- a/Deployment/acme-prod/web +++ b/Deployment/acme-prod/web]",
		"removed apps/v1 Deployment/acme-prod/worker [--- a/Deployment/acme-prod/worker +++ /dev/null]",
		"added v1 Namespace/acme-new [--- /dev/null +++ b/Namespace/acme-new]",
		"removed v1 Namespace/acme-old [--- a/Namespace/acme-old +++ /dev/null]",
	}
	if !slices.Equal(summary, want) {
		t.Errorf("diffs:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	wantWeb := `--- a/Deployment/acme-prod/web
+++ b/Deployment/acme-prod/web
@@ -7,4 +7,4 @@
   name: web
   namespace: acme-prod
 spec:
-  replicas: 2
+  replicas: 3
`
	if got[0].Unified != wantWeb {
		t.Errorf("web diff:\n%s\nwant:\n%s", got[0].Unified, wantWeb)
	}
	wantNew := `--- /dev/null
+++ b/Namespace/acme-new
@@ -0,0 +1,4 @@
+apiVersion: v1
+kind: Namespace
+metadata:
+  name: acme-new
`
	if got[2].Unified != wantNew {
		t.Errorf("added diff:\n%s\nwant:\n%s", got[2].Unified, wantNew)
	}
}

func TestObjectDiffsDeterministic(t *testing.T) {
	var before, after []map[string]any
	for i := range 50 {
		before = append(before, deployment(fmt.Sprintf("ns-%02d", i%7), fmt.Sprintf("d-%02d", i), i))
		after = append(after, deployment(fmt.Sprintf("ns-%02d", i%7), fmt.Sprintf("d-%02d", i), i+i%2))
	}
	first, err := ObjectDiffs(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 25 {
		t.Errorf("%d diffs, want 25 (the odd ones)", len(first))
	}
	slices.Reverse(before)
	for range 5 {
		again, err := ObjectDiffs(before, after)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatal("ObjectDiffs is not deterministic")
		}
	}
	if !slices.IsSortedFunc(first, compareObjects) {
		t.Error("diffs are not sorted by kind, namespace, name")
	}
}

// A new API version of the same group is a change, not a replacement; a
// different group is another object.
func TestObjectDiffsAPIVersion(t *testing.T) {
	hpa := func(apiVersion string) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": "HorizontalPodAutoscaler",
			"metadata": map[string]any{"name": "web", "namespace": "n"}}
	}
	got, err := ObjectDiffs([]map[string]any{hpa("autoscaling/v1")}, []map[string]any{hpa("autoscaling/v2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Change != Changed || got[0].APIVersion != "autoscaling/v2" ||
		!strings.Contains(got[0].Unified, "-apiVersion: autoscaling/v1\n+apiVersion: autoscaling/v2\n") {
		t.Errorf("version bump: %+v", got)
	}
	got, err = ObjectDiffs([]map[string]any{hpa("autoscaling/v2")}, []map[string]any{hpa("example.com/v2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Change == Changed || got[1].Change == Changed {
		t.Errorf("group change: %+v", got)
	}
}

func TestObjectDiffsErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		before, after []map[string]any
		want          string
	}{
		"duplicate": {
			before: []map[string]any{namespace("a"), namespace("a")},
			want:   "object Namespace/a appears twice before the change",
		},
		"no name": {
			after: []map[string]any{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{}}},
			want:  "object 0 after the change has no kind or metadata.name",
		},
		"no kind": {
			after: []map[string]any{{"metadata": map[string]any{"name": "x"}}},
			want:  "object 0 after the change has no kind or metadata.name",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ObjectDiffs(tc.before, tc.after)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestObjectDiffsNoChange(t *testing.T) {
	got, err := ObjectDiffs([]map[string]any{namespace("a")}, []map[string]any{namespace("a")})
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want no diffs", got, err)
	}
	got, err = ObjectDiffs(nil, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want no diffs", got, err)
	}
}

func TestObjectDiffsRedactsSecrets(t *testing.T) {
	secret := func(pw, user string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": "db", "namespace": "n"},
			"data":       map[string]any{"password": pw, "user": user},
			"stringData": map[string]any{"token": "tok-" + pw}}
	}
	got, err := ObjectDiffs([]map[string]any{secret("hunter2", "odoo")}, []map[string]any{secret("s3cr3t", "odoo")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d diffs, want 1", len(got))
	}
	u := got[0].Unified
	for _, leak := range []string{"hunter2", "s3cr3t", "odoo"} {
		if strings.Contains(u, leak) {
			t.Errorf("diff shows secret value %q:\n%s", leak, u)
		}
	}
	for _, want := range []string{"-  password: (redacted)\n", "+  password: (redacted, changed)\n", "   user: (redacted)\n", "+  token: (redacted, changed)\n"} {
		if !strings.Contains(u, want) {
			t.Errorf("diff lacks %q:\n%s", want, u)
		}
	}
	// A secret that did not change does not show up at all.
	got, err = ObjectDiffs([]map[string]any{secret("a", "b")}, []map[string]any{secret("a", "b")})
	if err != nil || len(got) != 0 {
		t.Errorf("unchanged secret: %v, %v", got, err)
	}
	// The inputs are not modified.
	s := secret("a", "b")
	if _, err := ObjectDiffs(nil, []map[string]any{s}); err != nil {
		t.Fatal(err)
	}
	if s["data"].(map[string]any)["password"] != "a" {
		t.Error("ObjectDiffs modified its input")
	}
}

package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/policy"
)

var (
	at   = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	ends = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
)

// sample is a small check with one of everything, deliberately out of
// order.
func sample() *Check {
	return &Check{
		Base:      Rev{Ref: "main", Commit: "1111111111111111111111111111111111111111"},
		Head:      Rev{Ref: "feature/scale", Commit: "2222222222222222222222222222222222222222"},
		At:        at,
		EstateDir: "estate",
		Blast: Blast{Tenants: []TenantImpact{
			{Tenant: "nordlys-kids", Tier: "shared", Change: Changed, Environments: []string{"staging", "production"},
				Production: []string{"production"}, Reasons: []string{"tier shared changed"}, File: "tenants/nordlys-kids.cue"},
			{Tenant: "acme", Tier: "dedicated", Change: Added, Environments: []string{"production"},
				Production: []string{"production"}, Reasons: []string{"tenants/acme.cue changed"}, File: "tenants/acme.cue"},
		}},
		Diffs: []TenantDiff{
			{Tenant: "nordlys-kids", Objects: []ObjectDiff{{
				APIVersion: "apps/v1", Kind: "Deployment", Namespace: "nordlys-kids-prod", Name: "web", Change: Changed,
				Unified: "--- a/Deployment/nordlys-kids-prod/web\n+++ b/Deployment/nordlys-kids-prod/web\n@@ -1,3 +1,3 @@\n spec:\n-  replicas: 2\n+  replicas: 1\n   x: y\n",
			}}},
			{Tenant: "acme", Objects: []ObjectDiff{{
				APIVersion: "v1", Kind: "Namespace", Name: "acme-prod", Change: Added,
				Unified: "--- /dev/null\n+++ b/Namespace/acme-prod\n@@ -0,0 +1,2 @@\n+kind: Namespace\n+metadata: {}\n",
			}}},
		},
		Results: []Finding{
			{Result: policy.Result{PolicyID: "replicas.min-production", Severity: policy.SeverityDeny, Tenant: "nordlys-kids",
				Environment: "production", Object: policy.Object{Kind: "Deployment", Namespace: "nordlys-kids-prod", Name: "web"},
				Message: "web has 1 replica | want >= 2 <b>now</b>", Remediation: "set replicas.web to 2",
				Path: []string{"tenants", "nordlys-kids", "environments", "production", "replicas", "web"}},
				Position: Position{File: "tenants/nordlys-kids.cue", Line: 14, Column: 9}},
			{Result: policy.Result{PolicyID: "images.signed", Severity: policy.SeverityWarn, Tenant: "acme",
				Message: "image odoo:17 is not signed by a trusted key", Image: "odoo"}},
			{Result: policy.Result{PolicyID: policy.FreezePolicy, Severity: policy.SeverityDeny, Tenant: "acme",
				Environment: "production", Message: "freeze window black-friday is active", Window: "black-friday",
				Waived: true, WaiverID: "bg-1"}},
			{Result: policy.Result{PolicyID: "platform.note", Severity: policy.SeverityWarn, Tenant: "ghost",
				Message: "no file known"}},
		},
		Freeze: []Forecast{
			{Tenant: "nordlys-kids", Environment: "production", Window: "black-friday", Scope: "platform", Ends: ends, TimeZone: "Europe/Oslo"},
			{Tenant: "acme", Environment: "production", Window: "black-friday", Scope: "platform", Ends: ends, TimeZone: "Europe/Paris", Waived: true, Waiver: "bg-1"},
		},
		Waivers: []WaiverNote{
			{Tenant: "acme", ID: "bg-1", Policy: policy.FreezePolicy, Expires: at.Add(48 * time.Hour), State: WaiverUsed},
			{Tenant: "acme", ID: "old", Policy: "images.signed", Expires: at.Add(-time.Hour), State: WaiverExpired},
		},
		Calendar: []CalendarChange{{Window: "black-friday", Calendar: "platform", Change: WindowShortened,
			Tenants: []string{"nordlys-kids"}, Ends: ends, EndsNow: ends.Add(-24 * time.Hour),
			Position: Position{File: "platform.cue", Line: 40, Column: 3}}},
		Notes: []string{"base and head render 2 tenants differently"},
	}
}

func write(t testing.TB, c *Check, format string, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, c, format, opts); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return b.String()
}

package calendar_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// TestWindowChanges: the windows whose freeze times change for a tenant,
// at any time — not only those active now — and nothing for an edit that
// leaves the times as they were.
func TestWindowChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tenant string
		edit   func(e *estate.Estate)
		want   string
	}{
		{"unchanged", "acme", func(*estate.Estate) {}, ""},
		{"moved", "acme", func(e *estate.Estate) {
			w := e.Tenants["acme"].Calendar["spring-sale"]
			w.Fixed = &estate.FixedRange{Start: "2026-04-10", End: "2026-04-12"}
			e.Tenants["acme"].Calendar["spring-sale"] = w
		}, "tenant/acme/spring-sale changed"},
		{"described", "acme", func(e *estate.Estate) {
			w := e.Tenants["acme"].Calendar["spring-sale"]
			w.Description, w.Kind, w.File = "the spring sale", "maintenance", "elsewhere.cue"
			e.Tenants["acme"].Calendar["spring-sale"] = w
		}, ""},
		{"own zone", "acme", func(e *estate.Estate) { e.Tenants["acme"].TimeZone = "Europe/Berlin" },
			// Every window without a zone of its own follows the tenant's.
			"platform//acme-launch changed, platform//black-friday changed, platform//defaulted-scope changed, tenant/acme/spring-sale changed, tier/shared/month-end changed"},
		{"added and removed", "acme", func(e *estate.Estate) {
			w := e.Tenants["acme"].Calendar["spring-sale"]
			delete(e.Tenants["acme"].Calendar, "spring-sale")
			w.Name = "easter"
			e.Tenants["acme"].Calendar["easter"] = w
		}, "tenant/acme/easter added, tenant/acme/spring-sale removed"},
		{"holidays reach business days only", "acme", func(e *estate.Estate) {
			e.Platform.Holidays = append(e.Platform.Holidays, "2026-08-15")
		}, "tier/shared/month-end changed"},
		{"a segment window for another segment", "acme", func(e *estate.Estate) {
			w := e.Platform.Calendar["fashion-week"]
			w.Fixed = &estate.FixedRange{Start: "2026-07-01", End: "2026-07-09"}
			e.Platform.Calendar["fashion-week"] = w
		}, ""},
		{"left the segment", "chic", func(e *estate.Estate) { e.Tenants["chic"].Segment = "" },
			"platform//fashion-week removed"},
		{"moved tier", "bigco", func(e *estate.Estate) { e.Tenants["bigco"].Tier = "shared" },
			"platform//dedicated-maintenance removed, tier/dedicated/stock-count removed, tier/shared/month-end added"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			was, now := testEstate(), testEstate()
			tc.edit(now)
			got, err := calendar.WindowChanges(was, now, was.Tenants[tc.tenant], now.Tenants[tc.tenant])
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, c := range got {
				s = append(s, fmt.Sprintf("%s/%s/%s %s", c.Calendar, c.Owner, c.Window, c.Change))
			}
			if g := strings.Join(s, ", "); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

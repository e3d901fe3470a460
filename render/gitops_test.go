package render

import (
	"reflect"
	"testing"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// A weekly window becomes one cron window per weekday; Argo CD runs cron
// and duration on the local wall clock, so 00:00-24:00 is the whole day
// even across a DST switch.
func TestWeeklySyncWindows(t *testing.T) {
	tests := []struct {
		from, to string
		days     []string
		want     []calendar.SyncWindow
	}{
		{"00:00", "24:00", []string{"sun"}, []calendar.SyncWindow{{Schedule: "0 0 * * 0", Duration: "24h", TimeZone: "Europe/Paris"}}},
		{"22:30", "24:00", []string{"fri"}, []calendar.SyncWindow{{Schedule: "30 22 * * 5", Duration: "90m", TimeZone: "Europe/Paris"}}},
		{"22:00", "06:00", []string{"sat", "sun"}, []calendar.SyncWindow{
			{Schedule: "0 22 * * 6", Duration: "8h", TimeZone: "Europe/Paris"},
			{Schedule: "0 22 * * 0", Duration: "8h", TimeZone: "Europe/Paris"},
		}},
		{"16:15", "20:00", []string{"fri"}, []calendar.SyncWindow{{Schedule: "15 16 * * 5", Duration: "225m", TimeZone: "Europe/Paris"}}},
	}
	for _, tt := range tests {
		got := weeklySyncWindows(&estate.WeeklyRule{Days: tt.days, From: tt.from, To: tt.to}, "Europe/Paris")
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s-%s %v: got %+v, want %+v", tt.from, tt.to, tt.days, got, tt.want)
		}
	}
}

// Retained directories are wired like the estate's own, and only those of
// a tenant still in the estate, on a known cluster, that the estate no
// longer plans.
func TestWithRetained(t *testing.T) {
	e := syntheticEstate(t, 12, 5)
	all := planUnits(e)
	u := all[0]
	name, cluster := u.t.Name, u.place.Cluster
	var other string
	for c := range e.Platform.Clusters {
		if c != cluster {
			other = c
			break
		}
	}
	moved := "clusters/" + other + "/tenants/" + name + "/development"
	got := withRetained(e, all, []string{
		u.Dir(), // still planned
		moved,
		"clusters/" + cluster + "/tenants/no-such-tenant/production",
		"clusters/no-such-cluster/tenants/" + name + "/production",
		"clusters/" + cluster + "/tenants/" + name + "/qa",
		"clusters/" + cluster + "/platform",
		moved, // twice
	})
	if len(got) != len(all)+1 {
		t.Fatalf("%d units, want %d: one retained", len(got), len(all)+1)
	}
	var r *unit
	for i, x := range got {
		if i > 0 && got[i-1].Dir() > x.Dir() {
			t.Errorf("units not in directory order: %s before %s", got[i-1].Dir(), x.Dir())
		}
		if x.retained {
			r = x
		}
	}
	if r == nil || r.Dir() != moved || r.class != "development" || r.ns != Namespace(name, "development") || r.App() != AppName(name, "development") {
		t.Errorf("retained unit %+v, want %s", r, moved)
	}
}

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

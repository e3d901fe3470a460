package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// TestLifts: the windows applying to a tenant that an edited estate ends
// early, told apart by where they are defined, and nothing for a window
// kept, extended or not applying to begin with.
func TestLifts(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	ny, _ := time.LoadLocation("America/New_York")
	spring := time.Date(2026, 4, 2, 12, 0, 0, 0, paris) // acme's spring-sale, 1-3 April
	fashion := time.Date(2026, 7, 2, 12, 0, 0, 0, ny)   // fashion-week for chic
	stock := time.Date(2026, 12, 31, 12, 0, 0, 0, ny)   // the dedicated tier's stock-count for bigco
	setSale := func(e *estate.Estate, start, end string) {
		w := e.Tenants["acme"].Calendar["spring-sale"]
		w.Fixed = &estate.FixedRange{Start: start, End: end}
		e.Tenants["acme"].Calendar["spring-sale"] = w
	}
	for _, tc := range []struct {
		name   string
		tenant string
		at     time.Time
		edit   func(e *estate.Estate)
		want   string
	}{
		{"unchanged", "acme", spring, func(*estate.Estate) {}, ""},
		{"shortened", "acme", spring, func(e *estate.Estate) { setSale(e, "2026-04-01", "2026-04-02") },
			"tenant/acme/spring-sale ends earlier: was until 2026-04-04 00:00, now 2026-04-03 00:00"},
		{"extended", "acme", spring, func(e *estate.Estate) { setSale(e, "2026-04-01", "2026-04-05") }, ""},
		{"moved later", "acme", spring, func(e *estate.Estate) { setSale(e, "2026-04-10", "2026-04-12") },
			"tenant/acme/spring-sale no longer applies: was until 2026-04-04 00:00"},
		{"removed", "acme", spring, func(e *estate.Estate) { delete(e.Tenants["acme"].Calendar, "spring-sale") },
			"tenant/acme/spring-sale removed: was until 2026-04-04 00:00"},
		{"not applying then", "acme", spring.AddDate(0, 1, 0), func(e *estate.Estate) { delete(e.Tenants["acme"].Calendar, "spring-sale") }, ""},
		{"left the segment", "chic", fashion, func(e *estate.Estate) { e.Tenants["chic"].Segment = "" },
			"platform//fashion-week no longer applies: was until 2026-07-06 00:00"},
		{"left the tier", "bigco", stock, func(e *estate.Estate) { e.Tenants["bigco"].Tier = "shared" },
			"tier/dedicated/stock-count no longer applies: was until 2027-01-03 00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			was, now := testEstate(), testEstate()
			tc.edit(now)
			got, err := calendar.Lifts(was, was.Tenants[tc.tenant], now, now.Tenants[tc.tenant], tc.at)
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			for _, l := range got {
				loc, _ := time.LoadLocation(l.Was.Zone)
				s += fmt.Sprintf("%s/%s/%s %s: was until %s", l.Was.Calendar, l.Owner, l.Was.Window.Name, l.Change, l.Was.End.In(loc).Format("2006-01-02 15:04"))
				if !l.EndsNow.IsZero() {
					s += ", now " + l.EndsNow.In(loc).Format("2006-01-02 15:04")
				}
			}
			if s != tc.want {
				t.Errorf("got  %q\nwant %q", s, tc.want)
			}
		})
	}
}

package calendar_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

func named(name string, w estate.Window, scope estate.WindowScope) estate.Window {
	w.Name, w.Scope = name, scope
	return w
}

func window(m map[string]estate.Window, ws ...estate.Window) map[string]estate.Window {
	if m == nil {
		m = map[string]estate.Window{}
	}
	for _, w := range ws {
		m[w.Name] = w
	}
	return m
}

// testEstate has a platform calendar with windows for everyone, for the
// dedicated tier, for the "fashion" segment and for tenant "acme"; tier
// and tenant calendars; and tenants in Paris and New York.
func testEstate() *estate.Estate {
	paris := fixed("2026-07-01", "2026-07-05")
	paris.TimeZone = "Europe/Paris"
	e := &estate.Estate{
		Platform: estate.Platform{
			Name:     "palisade",
			TimeZone: "Europe/Paris",
			Holidays: []string{"2026-05-01", "2026-12-25", "2027-01-01"},
			Segments: map[string]estate.Segment{"fashion": {Name: "fashion"}},
			Calendar: window(nil,
				named("black-friday", fixed("2026-11-20", "2026-12-01"), estate.WindowScope{Level: estate.ScopePlatform}),
				named("dedicated-maintenance", weekly("01:00", "05:00", "sun"), estate.WindowScope{Level: estate.ScopeTier, Name: "dedicated"}),
				named("fashion-week", paris, estate.WindowScope{Level: estate.ScopeSegment, Name: "fashion"}),
				named("acme-launch", fixed("2026-09-15", "2026-09-15"), estate.WindowScope{Level: estate.ScopeTenant, Name: "acme"}),
				named("defaulted-scope", fixed("2025-01-01", "2025-01-01"), estate.WindowScope{}),
			),
		},
		Tiers: map[string]*estate.Tier{
			"shared": {Name: "shared", Isolation: estate.IsolationShared, Calendar: window(nil,
				named("month-end", monthly(2, 1), estate.WindowScope{Level: estate.ScopeTier, Name: "shared"}))},
			"segmented": {Name: "segmented", Isolation: estate.IsolationSegmented},
			"dedicated": {Name: "dedicated", Isolation: estate.IsolationDedicated, Calendar: window(nil,
				named("stock-count", yearly("12-30", "01-02"), estate.WindowScope{Level: estate.ScopeTier, Name: "dedicated"}))},
		},
		Tenants: map[string]*estate.Tenant{
			"acme": {Name: "acme", Tier: "shared", TimeZone: "Europe/Paris", Calendar: window(nil,
				named("spring-sale", fixed("2026-04-01", "2026-04-03"), estate.WindowScope{Level: estate.ScopeTenant, Name: "acme"}))},
			"bigco": {Name: "bigco", Tier: "dedicated", TimeZone: "America/New_York"},
			"chic":  {Name: "chic", Tier: "segmented", Segment: "fashion", TimeZone: "America/New_York"},
		},
	}
	return e
}

func TestApplicable(t *testing.T) {
	t.Parallel()
	e := testEstate()
	tests := []struct {
		tenant string
		want   []string // calendar/name@zone
	}{
		{"acme", []string{
			"platform/acme-launch@Europe/Paris", "platform/black-friday@Europe/Paris", "platform/defaulted-scope@Europe/Paris",
			"tier/month-end@Europe/Paris", "tenant/spring-sale@Europe/Paris"}},
		{"bigco", []string{
			"platform/black-friday@America/New_York", "platform/dedicated-maintenance@America/New_York", "platform/defaulted-scope@America/New_York",
			"tier/stock-count@America/New_York"}},
		{"chic", []string{
			"platform/black-friday@America/New_York", "platform/defaulted-scope@America/New_York", "platform/fashion-week@Europe/Paris"}},
	}
	for _, tt := range tests {
		ws, err := calendar.Applicable(e, e.Tenants[tt.tenant])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range ws {
			got = append(got, w.Calendar+"/"+w.Window.Name+"@"+w.Zone)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Applicable(%s) =\n %v\nwant\n %v", tt.tenant, got, tt.want)
		}
	}

	bad := testEstate()
	bad.Platform.Calendar = window(nil, named("odd", fixed("2026-01-01", "2026-01-01"), estate.WindowScope{Level: "region", Name: "eu"}))
	if _, err := calendar.Applicable(bad, bad.Tenants["acme"]); err == nil || err.Error() != `window "odd": unknown scope level "region"` {
		t.Errorf("unknown scope level: error %v", err)
	}
}

func TestActiveAt(t *testing.T) {
	t.Parallel()
	e := testEstate()
	tests := []struct {
		name, tenant, at string
		want             []string // name, start, end, ...
	}{
		{"black friday and month-end end together, sorted by name", "acme", "2026-11-27T12:00:00Z", []string{
			"black-friday", "2026-11-20T00:00:00+01:00", "2026-12-02T00:00:00+01:00",
			// last two business days of November (Fri 27, Mon 30) through Tue 1 December
			"month-end", "2026-11-27T00:00:00+01:00", "2026-12-02T00:00:00+01:00"}},
		{"black friday ends at Paris midnight", "acme", "2026-12-01T23:00:00Z", nil},
		{"one instant before the end", "acme", "2026-12-01T22:59:59Z", []string{
			"black-friday", "2026-11-20T00:00:00+01:00", "2026-12-02T00:00:00+01:00",
			"month-end", "2026-11-27T00:00:00+01:00", "2026-12-02T00:00:00+01:00"}},
		{"the tenant's zone: New York is still frozen", "bigco", "2026-12-01T23:00:00Z", []string{
			"black-friday", "2026-11-20T00:00:00-05:00", "2026-12-02T00:00:00-05:00"}},
		{"sorted by end", "bigco", "2026-11-29T07:00:00Z", []string{
			"dedicated-maintenance", "2026-11-29T01:00:00-05:00", "2026-11-29T05:00:00-05:00",
			"black-friday", "2026-11-20T00:00:00-05:00", "2026-12-02T00:00:00-05:00"}},
		{"tier-scoped platform window: dedicated tenant", "bigco", "2026-11-01T09:30:00Z", []string{
			"dedicated-maintenance", "2026-11-01T01:00:00-04:00", "2026-11-01T05:00:00-05:00"}},
		{"tier-scoped platform window: a week later", "bigco", "2026-11-08T09:30:00Z", []string{
			"dedicated-maintenance", "2026-11-08T01:00:00-05:00", "2026-11-08T05:00:00-05:00"}},
		{"tier-scoped platform window: shared tenant", "acme", "2026-11-08T09:30:00Z", nil},
		{"segment window in its own zone", "chic", "2026-07-05T21:59:59Z", []string{
			"fashion-week", "2026-07-01T00:00:00+02:00", "2026-07-06T00:00:00+02:00"}},
		{"segment window ends at Paris midnight, not New York's", "chic", "2026-07-05T22:00:00Z", nil},
		{"segment window: tenant outside the segment", "acme", "2026-07-03T12:00:00Z", nil},
		{"tenant-scoped platform window", "acme", "2026-09-15T12:00:00Z", []string{
			"acme-launch", "2026-09-15T00:00:00+02:00", "2026-09-16T00:00:00+02:00"}},
		{"tenant-scoped platform window: other tenant", "bigco", "2026-09-15T12:00:00Z", nil},
		{"tier calendar wrapping the year end", "bigco", "2027-01-02T12:00:00Z", []string{
			"stock-count", "2026-12-30T00:00:00-05:00", "2027-01-03T00:00:00-05:00"}},
		{"tenant calendar", "acme", "2026-04-02T12:00:00Z", []string{
			"spring-sale", "2026-04-01T00:00:00+02:00", "2026-04-04T00:00:00+02:00"}},
		{"month-end over the May Day holiday", "acme", "2026-05-02T12:00:00Z", []string{
			// Wed 29, Thu 30 April through Mon 4 May: 1 May is a holiday
			"month-end", "2026-04-29T00:00:00+02:00", "2026-05-05T00:00:00+02:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ActiveAt(e, e.Tenants[tt.tenant], at(t, tt.at))
			if err != nil {
				t.Fatal(err)
			}
			var gs []string
			for _, a := range got {
				gs = append(gs, a.Window.Name, a.Start.Format(time.RFC3339), a.End.Format(time.RFC3339))
			}
			var ws []string
			for i := 0; i+2 < len(tt.want); i += 3 {
				ws = append(ws, tt.want[i], at(t, tt.want[i+1]).UTC().Format(time.RFC3339), at(t, tt.want[i+2]).UTC().Format(time.RFC3339))
			}
			if !slices.Equal(gs, ws) {
				t.Errorf("ActiveAt(%s, %s) =\n %v\nwant\n %v", tt.tenant, tt.at, gs, ws)
			}
		})
	}
}

func TestActiveAtMergesTouchingOccurrences(t *testing.T) {
	t.Parallel()
	e := &estate.Estate{
		Platform: estate.Platform{TimeZone: "Europe/Paris"},
		Tenants: map[string]*estate.Tenant{"solo": {Name: "solo", TimeZone: "Europe/Paris", Calendar: window(nil,
			named("inventory", monthly(0, 0, 1, 2, 3), estate.WindowScope{Level: estate.ScopeTenant, Name: "solo"}))}},
	}
	got, err := calendar.ActiveAt(e, e.Tenants["solo"], at(t, "2026-06-02T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Start.Equal(at(t, "2026-06-01T00:00:00+02:00")) || !got[0].End.Equal(at(t, "2026-06-04T00:00:00+02:00")) ||
		got[0].Zone != "Europe/Paris" || got[0].Calendar != estate.ScopeTenant {
		t.Errorf("ActiveAt = %+v, want inventory 1-3 June merged", got)
	}
}

func TestNextFree(t *testing.T) {
	t.Parallel()
	scope := estate.WindowScope{Level: estate.ScopeTenant, Name: "solo"}
	adjacent := window(nil,
		named("a", fixed("2026-05-11", "2026-05-13"), scope),             // ends 14 May 00:00
		named("b", fixed("2026-05-14", "2026-05-15"), scope),             // touches a
		named("c", fixed("2026-05-15T12:00", "2026-05-17T09:00"), scope), // overlaps b
		named("d", fixed("2026-05-17T09:01", "2026-05-18T00:00"), scope)) // a minute after c
	platform := window(nil, named("p", fixed("2026-05-18T00:00", "2026-05-18T06:00"), estate.WindowScope{Level: estate.ScopePlatform}))
	e := &estate.Estate{
		Platform: estate.Platform{TimeZone: "Europe/Paris", Calendar: platform},
		Tenants: map[string]*estate.Tenant{
			"solo":   {Name: "solo", TimeZone: "Europe/Paris", Calendar: adjacent},
			"always": {Name: "always", TimeZone: "Europe/Paris", Calendar: window(nil, named("daily", rrule("FREQ=DAILY", "2020-01-01", "1d"), scope))},
		},
	}
	tests := []struct {
		tenant, at, want string
	}{
		{"solo", "2026-05-10T12:00:00+02:00", "2026-05-10T12:00:00+02:00"}, // free already
		{"solo", "2026-05-12T12:00:00+02:00", "2026-05-17T09:00:00+02:00"}, // a, b, c chained
		{"solo", "2026-05-17T09:00:30+02:00", "2026-05-17T09:00:30+02:00"}, // between c and d
		{"solo", "2026-05-17T10:00:00+02:00", "2026-05-18T06:00:00+02:00"}, // d, then the platform window
	}
	for _, tt := range tests {
		got, err := calendar.NextFree(e, e.Tenants[tt.tenant], at(t, tt.at))
		if err != nil {
			t.Fatal(err)
		}
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("NextFree(%s, %s) = %s, want %s", tt.tenant, tt.at, got.Format(time.RFC3339), want.UTC().Format(time.RFC3339))
		}
	}

	_, err := calendar.NextFree(e, e.Tenants["always"], at(t, "2026-01-01T00:00:00Z"))
	if want := `tenant "always": not free within 2 years of 2026-01-01T00:00:00Z`; err == nil || err.Error() != want {
		t.Errorf("NextFree(always) error %v, want %s", err, want)
	}

	bad := *e
	bad.Platform.TimeZone = ""
	bad.Tenants = map[string]*estate.Tenant{"nozone": {Name: "nozone", Calendar: adjacent}}
	if _, err := calendar.NextFree(&bad, bad.Tenants["nozone"], at(t, "2026-05-12T00:00:00Z")); err == nil ||
		!strings.HasPrefix(err.Error(), `tenant "nozone": window "p": no time zone`) {
		t.Errorf("no zone: error %v", err)
	}
}

func TestUpcoming(t *testing.T) {
	t.Parallel()
	e := testEstate()
	tests := []struct {
		tenant, from, to string
		want             []string // name start end, UTC
	}{{
		// acme (shared, Paris): the tier's month-end close and the
		// platform's Black Friday; the close already running at the
		// start is active, not upcoming.
		tenant: "acme", from: "2026-10-30T12:00:00+01:00", to: "2026-12-01T00:00:00+01:00",
		want: []string{
			"black-friday 2026-11-19T23:00:00Z 2026-12-01T23:00:00Z",
			"month-end 2026-11-26T23:00:00Z 2026-12-01T23:00:00Z",
		},
	}, {
		// bigco (dedicated, New York): Sunday maintenance nights in its
		// zone, then the tier's stock count over the new year.
		tenant: "bigco", from: "2026-12-19T12:00:00-05:00", to: "2027-01-01T00:00:00-05:00",
		want: []string{
			"dedicated-maintenance 2026-12-20T06:00:00Z 2026-12-20T10:00:00Z",
			"dedicated-maintenance 2026-12-27T06:00:00Z 2026-12-27T10:00:00Z",
			"stock-count 2026-12-30T05:00:00Z 2027-01-03T05:00:00Z",
		},
	}, {
		tenant: "chic", from: "2026-08-01T00:00:00Z", to: "2026-09-01T00:00:00Z",
	}}
	for _, tt := range tests {
		got, err := calendar.Upcoming(e, e.Tenants[tt.tenant], at(t, tt.from), at(t, tt.to))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, a := range got {
			lines = append(lines, a.Window.Name+" "+a.Start.UTC().Format(time.RFC3339)+" "+a.End.UTC().Format(time.RFC3339))
		}
		if !slices.Equal(lines, tt.want) {
			t.Errorf("Upcoming(%s, %s, %s):\n%s\nwant\n%s", tt.tenant, tt.from, tt.to, strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

// TestActiveAtOpenRuns holds the occurrence of a window whose occurrences
// leave no gap to having no start or end to tell, and one long occurrence
// to having both.
func TestActiveAtOpenRuns(t *testing.T) {
	t.Parallel()
	scope := estate.WindowScope{Level: estate.ScopeTenant, Name: "solo"}
	tests := []struct {
		name       string
		w          estate.Window
		at         string
		start, end string // "open" or the instant
	}{
		{"daily rule lasting a day", rrule("FREQ=DAILY", "2020-01-01", "1d"), "2026-06-02T12:00:00Z", "open", "open"},
		{"daily rule, its first day within reach", rrule("FREQ=DAILY", "2020-01-01", "1d"), "2021-01-01T12:00:00Z", "2020-01-01T00:00:00+01:00", "open"},
		{"every day, all day", weekly("00:00", "24:00", "mon", "tue", "wed", "thu", "fri", "sat", "sun"), "2026-06-02T12:00:00Z", "open", "open"},
		{"whole years back to back", yearly("01-01", "12-31"), "2026-06-02T12:00:00Z", "open", "open"},
		{"fifteen years at once", fixed("2020-01-01", "2034-12-31"), "2026-06-02T12:00:00Z", "2020-01-01T00:00:00+01:00", "2035-01-01T00:00:00+01:00"},
		{"a week", fixed("2026-06-01", "2026-06-07"), "2026-06-02T12:00:00Z", "2026-06-01T00:00:00+02:00", "2026-06-08T00:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &estate.Estate{
				Platform: estate.Platform{TimeZone: "Europe/Paris"},
				Tenants:  map[string]*estate.Tenant{"solo": {Name: "solo", TimeZone: "Europe/Paris", Calendar: window(nil, named("w", tt.w, scope))}},
			}
			got, err := calendar.ActiveAt(e, e.Tenants["solo"], at(t, tt.at))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("ActiveAt = %+v, want one occurrence", got)
			}
			show := func(x time.Time, open bool) string {
				if open {
					return "open"
				}
				return x.Format(time.RFC3339)
			}
			start, end := show(got[0].Start, got[0].OpenStart), show(got[0].End, got[0].OpenEnd)
			if tt.start != "open" {
				tt.start = at(t, tt.start).UTC().Format(time.RFC3339)
			}
			if tt.end != "open" {
				tt.end = at(t, tt.end).UTC().Format(time.RFC3339)
			}
			if start != tt.start || end != tt.end {
				t.Errorf("occurrence [%s, %s), want [%s, %s)", start, end, tt.start, tt.end)
			}
		})
	}
}

package calendar_test

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// at parses an RFC 3339 instant; tests write instants with the offset the
// local clock shows, so expectations do not depend on the code under test.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fixed(start, end string) estate.Window {
	return estate.Window{Name: "w", Kind: estate.KindPromotion, Fixed: &estate.FixedRange{Start: start, End: end}}
}

func yearly(start, end string) estate.Window {
	return estate.Window{Name: "w", Kind: estate.KindPromotion, Yearly: &estate.YearlyRule{Start: start, End: end}}
}

func monthly(last, first int, days ...int) estate.Window {
	return estate.Window{Name: "w", Kind: estate.KindFinancialClose, Monthly: &estate.MonthlyRule{LastBusinessDays: last, FirstBusinessDays: first, Days: days}}
}

func weekly(from, to string, days ...string) estate.Window {
	return estate.Window{Name: "w", Kind: estate.KindWarehouseCutoff, Weekly: &estate.WeeklyRule{Days: days, From: from, To: to}}
}

func rrule(rule, start, dur string) estate.Window {
	return estate.Window{Name: "w", Kind: estate.KindMaintenance, RRule: &estate.RRule{Rule: rule, Start: start, Duration: dur}}
}

func TestOccurrences(t *testing.T) {
	t.Parallel()
	const paris, ny = "Europe/Paris", "America/New_York"
	frHolidays := []string{"2026-12-25", "2027-01-01"}
	tests := []struct {
		name     string
		w        estate.Window
		zone     string
		holidays []string
		from, to string
		want     []string // start, end, start, end...
	}{
		{"black friday: whole days, end inclusive", fixed("2026-11-20", "2026-12-01"), paris, nil,
			"2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z",
			[]string{"2026-11-20T00:00:00+01:00", "2026-12-02T00:00:00+01:00"}},
		{"black friday in New York", fixed("2026-11-20", "2026-12-01"), ny, nil,
			"2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z",
			[]string{"2026-11-20T00:00:00-05:00", "2026-12-02T00:00:00-05:00"}},
		{"fixed with times: end exclusive", fixed("2026-11-20T18:00", "2026-11-21T06:30"), paris, nil,
			"2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z",
			[]string{"2026-11-20T18:00:00+01:00", "2026-11-21T06:30:00+01:00"}},
		{"fixed outside the range", fixed("2026-11-20", "2026-12-01"), paris, nil,
			"2026-12-01T23:00:00Z", "2027-01-01T00:00:00Z", nil},
		{"Paris spring-forward day is 23h", fixed("2026-03-29", "2026-03-29"), paris, nil,
			"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
			[]string{"2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"}},
		{"Paris fall-back day is 25h", fixed("2026-10-25", "2026-10-25"), paris, nil,
			"2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z",
			[]string{"2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"}},
		{"New York spring-forward day is 23h", yearly("03-08", "03-08"), ny, nil,
			"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
			[]string{"2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"}},
		{"New York fall-back day is 25h", yearly("11-01", "11-01"), ny, nil,
			"2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z",
			[]string{"2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"}},
		{"weekly across the Paris spring-forward hour", weekly("01:00", "04:00", "sun"), paris, nil,
			"2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z",
			[]string{"2026-03-29T01:00:00+01:00", "2026-03-29T04:00:00+02:00"}},
		{"weekly inside the Paris gap moves an hour later", weekly("02:15", "02:45", "sun"), paris, nil,
			"2026-03-27T00:00:00Z", "2026-04-06T00:00:00Z",
			[]string{"2026-03-29T03:15:00+02:00", "2026-03-29T03:45:00+02:00", "2026-04-05T02:15:00+02:00", "2026-04-05T02:45:00+02:00"}},
		{"weekly starting in the Paris gap and ending within an hour of it is empty", weekly("02:30", "03:15", "sun"), paris, nil,
			"2026-03-27T00:00:00Z", "2026-04-06T00:00:00Z",
			[]string{"2026-04-05T02:30:00+02:00", "2026-04-05T03:15:00+02:00"}},
		{"weekly starting in the Paris gap starts an hour later", weekly("02:30", "05:00", "sun"), paris, nil,
			"2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z",
			[]string{"2026-03-29T03:30:00+02:00", "2026-03-29T05:00:00+02:00"}},
		{"weekly past midnight over the Paris spring-forward night", weekly("22:00", "06:00", "sat"), paris, nil,
			"2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z",
			[]string{"2026-03-28T22:00:00+01:00", "2026-03-29T06:00:00+02:00"}},
		{"weekly past midnight over the New York fall-back night", weekly("22:00", "06:00", "sat"), ny, nil,
			"2026-10-31T00:00:00Z", "2026-11-02T00:00:00Z",
			[]string{"2026-10-31T22:00:00-04:00", "2026-11-01T06:00:00-05:00"}},
		{"weekly in the repeated hour covers both passes", weekly("01:00", "01:30", "sun"), ny, nil,
			"2026-10-31T00:00:00Z", "2026-11-02T00:00:00Z",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-05:00"}},
		{"weekly New York spring-forward Sunday", weekly("00:00", "23:59", "sun"), ny, nil,
			"2026-03-07T00:00:00Z", "2026-03-09T12:00:00Z",
			[]string{"2026-03-08T00:00:00-05:00", "2026-03-08T23:59:00-04:00"}},
		{"weekly whole Sunday: 25 hours on the Paris fall-back day", weekly("00:00", "24:00", "sun"), paris, nil,
			"2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"}},
		{"weekly whole Sunday: 23 hours on the New York spring-forward day", weekly("00:00", "24:00", "sun"), ny, nil,
			"2026-03-07T00:00:00Z", "2026-03-09T12:00:00Z",
			[]string{"2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"}},
		{"weekly whole weekend days merge into one", weekly("00:00", "24:00", "sat", "sun"), paris, nil,
			"2026-06-01T00:00:00Z", "2026-06-09T00:00:00Z",
			[]string{"2026-06-06T00:00:00+02:00", "2026-06-08T00:00:00+02:00"}},
		{"weekly evening to the end of the day", weekly("22:00", "24:00", "fri"), paris, nil,
			"2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z",
			[]string{"2026-06-05T22:00:00+02:00", "2026-06-06T00:00:00+02:00"}},
		{"weekly Friday cut-off", weekly("16:00", "20:00", "fri", "mon"), paris, nil,
			"2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z",
			[]string{"2026-06-01T16:00:00+02:00", "2026-06-01T20:00:00+02:00", "2026-06-05T16:00:00+02:00", "2026-06-05T20:00:00+02:00"}},
		{"day 31: January, March, May 2027 but not February or April", monthly(0, 0, 31), paris, nil,
			"2027-01-01T00:00:00+01:00", "2027-06-01T00:00:00+02:00",
			[]string{"2027-01-31T00:00:00+01:00", "2027-02-01T00:00:00+01:00",
				"2027-03-31T00:00:00+02:00", "2027-04-01T00:00:00+02:00",
				"2027-05-31T00:00:00+02:00", "2027-06-01T00:00:00+02:00"}},
		{"days 28-31 merged; February 2027 has only the 28th", monthly(0, 0, 28, 29, 30, 31), paris, nil,
			"2027-01-01T00:00:00+01:00", "2027-05-01T00:00:00+02:00",
			[]string{"2027-01-28T00:00:00+01:00", "2027-02-01T00:00:00+01:00",
				"2027-02-28T00:00:00+01:00", "2027-03-01T00:00:00+01:00",
				"2027-03-28T00:00:00+01:00", "2027-04-01T00:00:00+02:00", // 28 March 2027 is a 23h day
				"2027-04-28T00:00:00+02:00", "2027-05-01T00:00:00+02:00"}},
		{"days 29-31 in February 2027: none", monthly(0, 0, 29, 30, 31), paris, nil,
			"2027-02-01T00:00:00+01:00", "2027-03-01T00:00:00+01:00", nil},
		{"days 29-31 in February 2028: the leap day", monthly(0, 0, 29, 30, 31), paris, nil,
			"2028-02-01T00:00:00+01:00", "2028-03-01T00:00:00+01:00",
			[]string{"2028-02-29T00:00:00+01:00", "2028-03-01T00:00:00+01:00"}},
		{"yearly 02-29 occurs in leap years only", yearly("02-29", "02-29"), paris, nil,
			"2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00+01:00", "2028-03-01T00:00:00+01:00"}},
		{"yearly through 02-29 ends on the 28th in other years", yearly("02-20", "02-29"), paris, nil,
			"2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z",
			[]string{"2027-02-20T00:00:00+01:00", "2027-03-01T00:00:00+01:00",
				"2028-02-20T00:00:00+01:00", "2028-03-01T00:00:00+01:00"}},
		{"yearly from 02-29 starts on 1 March in other years", yearly("02-29", "03-02"), paris, nil,
			"2027-01-01T00:00:00Z", "2029-01-01T00:00:00Z",
			[]string{"2027-03-01T00:00:00+01:00", "2027-03-03T00:00:00+01:00",
				"2028-02-29T00:00:00+01:00", "2028-03-03T00:00:00+01:00"}},
		{"yearly month end: 01-31 and 04-30", yearly("04-30", "04-30"), paris, nil,
			"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z",
			[]string{"2027-04-30T00:00:00+02:00", "2027-05-01T00:00:00+02:00"}},
		{"yearly wrapping the year end", yearly("12-30", "01-02"), paris, nil,
			"2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z",
			[]string{"2025-12-30T00:00:00+01:00", "2026-01-03T00:00:00+01:00",
				"2026-12-30T00:00:00+01:00", "2027-01-03T00:00:00+01:00",
				"2027-12-30T00:00:00+01:00", "2028-01-03T00:00:00+01:00"}},
		{"last two business days of May 2026: Thu 28, Fri 29", monthly(2, 0), paris, nil,
			"2026-05-01T00:00:00+02:00", "2026-06-01T00:00:00+02:00",
			[]string{"2026-05-28T00:00:00+02:00", "2026-05-30T00:00:00+02:00"}},
		{"first business day of August 2026: Mon 3", monthly(0, 1), paris, nil,
			"2026-08-01T00:00:00+02:00", "2026-08-10T00:00:00+02:00",
			[]string{"2026-08-03T00:00:00+02:00", "2026-08-04T00:00:00+02:00"}},
		{"last two of May through first of June, over the weekend", monthly(2, 1), paris, nil,
			"2026-05-15T00:00:00+02:00", "2026-06-15T00:00:00+02:00",
			[]string{"2026-05-28T00:00:00+02:00", "2026-06-02T00:00:00+02:00"}},
		{"last two of January 2027 (31st is a Sunday): Thu 28, Fri 29", monthly(2, 0), paris, nil,
			"2027-01-15T00:00:00+01:00", "2027-02-15T00:00:00+01:00",
			[]string{"2027-01-28T00:00:00+01:00", "2027-01-30T00:00:00+01:00"}},
		{"last business day of February 2027 (28th is a Sunday): Fri 26", monthly(1, 0), paris, nil,
			"2027-02-15T00:00:00+01:00", "2027-03-15T00:00:00+01:00",
			[]string{"2027-02-26T00:00:00+01:00", "2027-02-27T00:00:00+01:00"}},
		{"last business day of April 2027: Fri 30", monthly(1, 0), paris, nil,
			"2027-04-15T00:00:00+02:00", "2027-05-15T00:00:00+02:00",
			[]string{"2027-04-30T00:00:00+02:00", "2027-05-01T00:00:00+02:00"}},
		{"Dec 2026 Wed 30, Thu 31 through Jan 2027 Mon 4 (1 January a holiday)", monthly(2, 1), paris, frHolidays,
			"2026-12-15T00:00:00+01:00", "2027-01-15T00:00:00+01:00",
			[]string{"2026-12-30T00:00:00+01:00", "2027-01-05T00:00:00+01:00"}},
		{"without holidays January 2027 starts on Fri 1", monthly(2, 1), paris, nil,
			"2026-12-15T00:00:00+01:00", "2027-01-15T00:00:00+01:00",
			[]string{"2026-12-30T00:00:00+01:00", "2027-01-02T00:00:00+01:00"}},
		{"last six business days of Dec 2026 skip Christmas: from Wed 23", monthly(6, 0), paris, frHolidays,
			"2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00",
			[]string{"2026-12-23T00:00:00+01:00", "2027-01-01T00:00:00+01:00"}},
		{"last six business days of Dec 2026 without holidays: from Thu 24", monthly(6, 0), paris, nil,
			"2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00",
			[]string{"2026-12-24T00:00:00+01:00", "2027-01-01T00:00:00+01:00"}},
		{"business days and days of the month merge", monthly(1, 0, 1), paris, nil,
			"2026-07-15T00:00:00+02:00", "2026-08-15T00:00:00+02:00",
			[]string{"2026-07-31T00:00:00+02:00", "2026-08-02T00:00:00+02:00"}},
		{"rrule: second Wednesday of January for 96h", rrule("FREQ=YEARLY;BYMONTH=1;BYDAY=2WE", "2026-01-01T00:00", "96h"), paris, nil,
			"2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z",
			[]string{"2026-01-14T00:00:00+01:00", "2026-01-18T00:00:00+01:00",
				"2027-01-13T00:00:00+01:00", "2027-01-17T00:00:00+01:00",
				"2028-01-12T00:00:00+01:00", "2028-01-16T00:00:00+01:00"}},
		{"rrule: a day is nominal across spring-forward", rrule("FREQ=WEEKLY;BYDAY=SA", "2026-03-21T22:00", "1d"), paris, nil,
			"2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z",
			[]string{"2026-03-28T22:00:00+01:00", "2026-03-29T22:00:00+02:00"}},
		{"rrule: hours are exact across spring-forward", rrule("FREQ=WEEKLY;BYDAY=SA", "2026-03-21T22:00", "24h"), paris, nil,
			"2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z",
			[]string{"2026-03-28T22:00:00+01:00", "2026-03-29T23:00:00+02:00"}},
		{"rrule: a start in the gap moves forward", rrule("FREQ=DAILY;COUNT=3", "2026-03-28T02:30", "30m"), paris, nil,
			"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
			[]string{"2026-03-28T02:30:00+01:00", "2026-03-28T03:00:00+01:00",
				"2026-03-29T03:30:00+02:00", "2026-03-29T04:00:00+02:00",
				"2026-03-30T02:30:00+02:00", "2026-03-30T03:00:00+02:00"}},
		{"rrule: a start in the repeated hour is the first pass", rrule("FREQ=YEARLY", "2026-11-01T01:30", "1h"), ny, nil,
			"2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"}},
		{"rrule: UNTIL in UTC is an instant", rrule("FREQ=DAILY;UNTIL=20260103T000000Z", "2026-01-01T00:30", "1h"), paris, nil,
			"2025-12-01T00:00:00Z", "2026-02-01T00:00:00Z",
			[]string{"2026-01-01T00:30:00+01:00", "2026-01-01T01:30:00+01:00",
				"2026-01-02T00:30:00+01:00", "2026-01-02T01:30:00+01:00",
				"2026-01-03T00:30:00+01:00", "2026-01-03T01:30:00+01:00"}},
		{"rrule: touching occurrences merge", rrule("FREQ=DAILY;COUNT=5", "2026-06-01", "1d"), paris, nil,
			"2026-06-03T00:00:00Z", "2026-06-03T01:00:00Z",
			[]string{"2026-06-01T00:00:00+02:00", "2026-06-06T00:00:00+02:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.Occurrences(tt.w, tt.zone, tt.holidays, at(t, tt.from), at(t, tt.to))
			if err != nil {
				t.Fatal(err)
			}
			var want []calendar.Interval
			for i := 0; i+1 < len(tt.want); i += 2 {
				want = append(want, calendar.Interval{Start: at(t, tt.want[i]), End: at(t, tt.want[i+1])})
			}
			if len(got) != len(want) {
				t.Fatalf("got %d occurrences %s, want %d %s", len(got), show(got, tt.zone), len(want), show(want, tt.zone))
			}
			for i := range got {
				if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) ||
					got[i].Start.Location() != time.UTC || got[i].End.Location() != time.UTC {
					t.Fatalf("got %s, want %s", show(got, tt.zone), show(want, tt.zone))
				}
			}
		})
	}
}

func show(ivs []calendar.Interval, zone string) string {
	loc, _ := time.LoadLocation(zone)
	var b strings.Builder
	for _, iv := range ivs {
		b.WriteString("[" + iv.Start.In(loc).Format(time.RFC3339) + ", " + iv.End.In(loc).Format(time.RFC3339) + ") ")
	}
	return b.String()
}

func TestWholeDayLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone, day string
		hours     int
	}{
		{"Europe/Paris", "2026-03-29", 23},
		{"Europe/Paris", "2026-10-25", 25},
		{"Europe/Paris", "2026-07-14", 24},
		{"America/New_York", "2026-03-08", 23},
		{"America/New_York", "2026-11-01", 25},
	}
	for _, tt := range tests {
		occ, err := calendar.Occurrences(fixed(tt.day, tt.day), tt.zone, nil, at(t, "2026-01-01T00:00:00Z"), at(t, "2027-01-01T00:00:00Z"))
		if err != nil || len(occ) != 1 {
			t.Fatalf("%s %s: %v %v", tt.zone, tt.day, occ, err)
		}
		if got := occ[0].End.Sub(occ[0].Start); got != time.Duration(tt.hours)*time.Hour {
			t.Errorf("%s in %s lasts %s, want %dh", tt.day, tt.zone, got, tt.hours)
		}
	}
}

func TestOccurrencesErrors(t *testing.T) {
	t.Parallel()
	bf := fixed("2026-11-20", "2026-12-01")
	bf.Name = "black-friday"
	two := bf
	two.Yearly = &estate.YearlyRule{Start: "11-20", End: "12-01"}
	none := estate.Window{Name: "empty"}
	tests := []struct {
		w        estate.Window
		zone     string
		holidays []string
		want     string
	}{
		{bf, "Mars/Olympus_Mons", nil, `window "black-friday": unknown time zone "Mars/Olympus_Mons"`},
		{bf, "Local", nil, `window "black-friday": unknown time zone "Local"`},
		{bf, "", nil, `window "black-friday": no time zone`},
		{bf, "Europe/Paris", []string{"2026-02-30"}, `window "black-friday": invalid holiday "2026-02-30"`},
		{two, "Europe/Paris", nil, `window "black-friday": want exactly one schedule, have 2 (fixed, yearly)`},
		{none, "Europe/Paris", nil, `window "empty": want exactly one schedule, have 0 ()`},
		{fixed("2026-12-01", "2026-11-20"), "Europe/Paris", nil, `window "w": fixed end "2026-11-20" is not after start "2026-12-01"`},
		{fixed("2026-11-31", "2026-12-01"), "Europe/Paris", nil, `window "w": invalid fixed start "2026-11-31"`},
		{yearly("02-30", "03-01"), "Europe/Paris", nil, `window "w": invalid month-day "02-30"`},
		{monthly(0, 0), "Europe/Paris", nil, `window "w": monthly rule covers no day`},
		{monthly(0, 0, 32), "Europe/Paris", nil, `window "w": invalid day of month 32`},
		{weekly("16:00", "16:00", "fri"), "Europe/Paris", nil, `window "w": weekly rule is empty: from and to are both "16:00"`},
		{weekly("16:00", "20:00", "friday"), "Europe/Paris", nil, `window "w": invalid weekday "friday"`},
		{weekly("16:00", "24:30", "fri"), "Europe/Paris", nil, `window "w": invalid clock time "24:30"`},
		{rrule("FREQ=FORTNIGHTLY", "2026-01-01", "1d"), "Europe/Paris", nil, `window "w": invalid rrule "FREQ=FORTNIGHTLY": `},
		{rrule("FREQ=HOURLY", "2026-01-01", "1d"), "Europe/Paris", nil, `window "w": invalid rrule "FREQ=HOURLY": FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY`},
		{rrule("FREQ=DAILY;DTSTART=20260101T000000", "2026-01-01", "1d"), "Europe/Paris", nil, `window "w": invalid rrule "FREQ=DAILY;DTSTART=20260101T000000": DTSTART is the window's start`},
		{rrule("FREQ=DAILY", "0001-01-01", "1d"), "Europe/Paris", nil, `window "w": invalid rrule start "0001-01-01"`},
		{rrule("FREQ=DAILY", "2026-01-01", "0h"), "Europe/Paris", nil, `window "w": rrule duration "0h" is not positive`},
		{rrule("FREQ=DAILY", "2026-01-01", "2w"), "Europe/Paris", nil, `window "w": invalid duration "2w"`},
	}
	for _, tt := range tests {
		_, err := calendar.Occurrences(tt.w, tt.zone, tt.holidays, at(t, "2026-01-01T00:00:00Z"), at(t, "2027-01-01T00:00:00Z"))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

package calendar_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// fuzzWindow builds a window of each schedule kind from fuzzed numbers.
func fuzzWindow(kind uint8, a, b, c uint16) estate.Window {
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	clock := func(n uint16) string { return fmt.Sprintf("%02d:%02d", n/4%24, n%4*15) }
	date := func(n uint16) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%900)) }
	switch kind % 5 {
	case 0: // a fixed range of whole days, or of local date-times
		s := date(a)
		if c%2 == 0 {
			return fixed(s.Format(time.DateOnly), s.AddDate(0, 0, int(b%40)).Format(time.DateOnly))
		}
		st := s.Add(time.Duration(c%96) * 15 * time.Minute)
		return fixed(st.Format("2006-01-02T15:04"), st.Add(time.Duration(1+b%4000)*15*time.Minute).Format("2006-01-02T15:04"))
	case 1: // yearly between two month-days, wrapping or not, 29 February included
		md := func(n uint16) string {
			d := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%366))
			return d.Format("01-02")
		}
		return yearly(md(a), md(b))
	case 2: // the last and first business days of the month, and fixed days
		var ds []int
		for i := range 5 {
			if c&(1<<i) != 0 {
				ds = append(ds, []int{1, 15, 29, 30, 31}[i])
			}
		}
		return monthly(int(a%6), int(b%6), ds...)
	case 3: // weekly, across midnight or not, to 24:00
		var ds []string
		for i, d := range days {
			if c&(1<<i) != 0 {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			ds = days[c%7 : c%7+1]
		}
		to := clock(b)
		if b%97 == 0 {
			to = "24:00"
		}
		return weekly(clock(a), to, ds...)
	default: // RFC 5545 rules, with nominal days or exact hours and minutes
		rules := []string{"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SA,SU", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=YEARLY;BYMONTH=11;BYDAY=4FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "FREQ=MONTHLY;BYDAY=1MO;COUNT=7"}
		durs := []string{fmt.Sprintf("%dd", 1+b%5), fmt.Sprintf("%dh", 1+b%100), fmt.Sprintf("%dm", 15+b%600)}
		start := date(a).Add(time.Duration(c%96) * 15 * time.Minute)
		return rrule(rules[int(c/96)%len(rules)], start.Format("2006-01-02T15:04"), durs[int(b/7)%len(durs)])
	}
}

// FuzzOccurrences holds Occurrences to what ActiveAt and NextFree rely on,
// for windows of every schedule kind in zones with every kind of clock
// change: the intervals are sorted, non-empty, and neither overlap nor
// touch; and the occurrence containing an instant is the same whether the
// instant is asked about alone, as ActiveAt asks, or inside a range of
// four months; and an occurrence's start (end) is open exactly when the
// window is active just before it (at it). The seeds run as a test; `go test -fuzz FuzzOccurrences
// ./internal/calendar/` searches further.
func FuzzOccurrences(f *testing.F) {
	for kind := range uint8(5) {
		for z := range uint8(len(fuzzZones)) {
			f.Add(kind, uint16(300+int(z)*37), uint16(11*int(z)+3), uint16(z)*13+1, z, uint32(z)*86413*29+uint32(kind)*7919)
		}
	}
	holidays := []string{"2026-12-25", "2027-01-01", "2027-05-01", "2027-12-24", "2028-02-29"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, kind uint8, a, b, c uint16, zone uint8, sec uint32) {
		w := fuzzWindow(kind, a, b, c)
		name := fuzzZones[int(zone)%len(fuzzZones)]
		at := base.Add(time.Duration(sec%(3*366*24*3600)) * time.Second)
		wide, err := calendar.Occurrences(w, name, holidays, at.AddDate(0, -2, 0), at.AddDate(0, 2, 0))
		if err != nil {
			t.Skip(err) // a combination the schema refuses (an end before its start...)
		}
		for i, iv := range wide {
			if !iv.End.After(iv.Start) {
				t.Fatalf("%s in %s: empty occurrence %s", describe(w), name, show(wide[i:i+1], name))
			}
			if i > 0 && !iv.Start.After(wide[i-1].End) {
				t.Fatalf("%s in %s: occurrences %s and %s overlap or touch", describe(w), name, show(wide[i-1:i], name), show(wide[i:i+1], name))
			}
		}
		alone, err := calendar.Occurrences(w, name, holidays, at, at.Add(1))
		if err != nil {
			t.Fatalf("%+v in %s at %s: %v, though a range around it was fine", w, name, at.Format(time.RFC3339), err)
		}
		if got, want := containing(alone, at), containing(wide, at); got != want {
			t.Fatalf("%s in %s at %s: asked alone, the occurrence is %s; within four months, %s", describe(w), name, at.In(mustZone(t, name)).Format(time.RFC3339), got, want)
		}
		// An occurrence's end is open exactly when the run goes on past
		// it: asked about its end alone, the window is active then.
		for _, iv := range alone {
			after, err := calendar.Occurrences(w, name, holidays, iv.End, iv.End.Add(1))
			if err != nil {
				t.Fatal(err)
			}
			if goesOn := len(after) > 0 && after[0].Contains(iv.End); goesOn != iv.OpenEnd {
				t.Fatalf("%s in %s at %s: occurrence %s has an open end %v, but the window is active at its end: %v", describe(w), name, at.Format(time.RFC3339), show([]calendar.Interval{iv}, name), iv.OpenEnd, goesOn)
			}
			just := iv.Start.Add(-time.Nanosecond)
			before, err := calendar.Occurrences(w, name, holidays, just, iv.Start)
			if err != nil {
				t.Fatal(err)
			}
			if wentOn := len(before) > 0 && before[0].Contains(just); wentOn != iv.OpenStart {
				t.Fatalf("%s in %s at %s: occurrence %s has an open start %v, but the window is active just before it: %v", describe(w), name, at.Format(time.RFC3339), show([]calendar.Interval{iv}, name), iv.OpenStart, wentOn)
			}
		}
	})
}

// containing shows the interval of ivs that contains at, or "none". An
// end more than two years after at reads "never", and a start more than
// two years before it "ever": Occurrences follows a run of touching
// occurrences (a daily rule lasting a day) only so far beyond the range
// asked about, and NextFree calls a tenant frozen for two years never free.
func containing(ivs []calendar.Interval, at time.Time) string {
	for _, iv := range ivs {
		if iv.Contains(at) {
			start, end := iv.Start.UTC().Format(time.RFC3339), iv.End.UTC().Format(time.RFC3339)
			if iv.Start.Before(at.AddDate(-2, 0, 0)) {
				start = "ever"
			}
			if iv.End.After(at.AddDate(2, 0, 0)) {
				end = "never"
			}
			return fmt.Sprintf("[%s, %s)", start, end)
		}
	}
	return "none"
}

// describe shows a window's schedule.
func describe(w estate.Window) string {
	j, _ := json.Marshal(w)
	return string(j)
}

package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// maxRunYears bounds how far past [from, to) Occurrences follows a run of
// touching occurrences (a window that never ends, such as days 1 to 31 of
// every month): the run is cut at an occurrence boundary beyond it. It is
// longer than NextFree's two-year search, so NextFree reports such a window
// as never free.
const maxRunYears = 3

// expander returns the occurrences of one window whose civil start lies
// within, or shortly before, the civil range [lo, hi); callers filter.
type expander func(lo, hi time.Time) []Interval

// Occurrences returns every occurrence of w, read in zone, that overlaps
// [from, to), sorted, with occurrences that overlap or touch merged into
// one interval. Intervals are returned whole, not clipped to [from, to),
// and a merged interval includes the touching occurrences outside
// [from, to) (followed up to three years beyond it). Holidays (YYYY-MM-DD)
// are the days that are not business days, besides weekends.
//
// The schedules read as the schema says:
//
//   - fixed: one range; a date alone is a whole day (inclusive at both
//     ends), a date-time end is exclusive.
//   - yearly: every year from the start month-day through the end month-day,
//     whole days, wrapping into the next year when the end comes first. The
//     range covers the month-days between start and end that exist that
//     year: "02-29" to "02-29" occurs only in leap years, "02-20" to
//     "02-29" ends on 28 February in other years, "02-29" to "03-05" then
//     begins on 1 March.
//   - monthly: for each month, one range from the first of its last N
//     business days through the last of the next month's first M business
//     days, covering the weekends and holidays between them; plus each
//     listed day of the month as a whole day, skipped in months too short.
//   - weekly: on each listed weekday from `from` to `to`, into the next day
//     when `to` is earlier than `from`; `to` "24:00" is the day's end.
//   - rrule: each RFC 5545 occurrence starts at the rule's local date and
//     time and lasts its duration. Following RFC 5545, a duration in days
//     is nominal (the same local time n days later, 23 or 25 hours for a day
//     across a DST switch) while hours and minutes are exact. The start is
//     an occurrence only if it matches the rule (as in rrule-go and
//     python-dateutil).
//
// Recurrences other than rrule are plain date arithmetic here. The rrule
// expansion uses github.com/teambition/rrule-go on the floating local time
// (DTSTART in UTC holding the wall-clock reading, UNTIL converted to it),
// and each occurrence is then placed in the zone as the package
// documentation says: run in the zone, rrule-go builds instants with
// time.Date, whose choice in gaps and repeated hours depends on the zone's
// side of UTC.
func Occurrences(w estate.Window, zone string, holidays []string, from, to time.Time) ([]Interval, error) {
	loc, err := loadZone(zone)
	if err != nil {
		return nil, fmt.Errorf("window %q: %w", w.Name, err)
	}
	hol, err := parseHolidays(holidays)
	if err != nil {
		return nil, fmt.Errorf("window %q: %w", w.Name, err)
	}
	exp, err := newExpander(w, loc, hol)
	if err != nil {
		return nil, fmt.Errorf("window %q: %w", w.Name, err)
	}
	if !to.After(from) {
		return nil, nil
	}
	between := func(lo, hi time.Time) []Interval {
		var out []Interval
		for _, iv := range exp(civil(lo, loc).AddDate(0, 0, -1), civil(hi, loc).AddDate(0, 0, 1)) {
			if iv.End.After(lo) && iv.Start.Before(hi) {
				out = append(out, iv)
			}
		}
		return merge(out)
	}
	lo, hi := from, to
	minLo, maxHi := from.AddDate(-maxRunYears, 0, 0), to.AddDate(maxRunYears, 0, 0)
	grow := 7 * 24 * time.Hour
	for {
		var keep []Interval
		for _, iv := range between(lo, hi) {
			if iv.End.After(from) && iv.Start.Before(to) {
				keep = append(keep, iv)
			}
		}
		if len(keep) == 0 {
			return nil, nil
		}
		// An occurrence touching the first (last) kept interval overlaps
		// [lo, hi) unless that interval reaches lo (hi): widen and retry.
		again := false
		if s := keep[0].Start; !s.After(lo) && lo.After(minLo) {
			lo, again = later(s.Add(-grow), minLo), true
		}
		if e := keep[len(keep)-1].End; !e.Before(hi) && hi.Before(maxHi) {
			hi, again = earlier(e.Add(grow), maxHi), true
		}
		if !again {
			// At the horizon, a run cut short still has an occurrence
			// touching it from outside (one that began up to a year or
			// two before it, or that begins when it ends); one long
			// occurrence does not.
			first, last := &keep[0], &keep[len(keep)-1]
			if !first.Start.After(lo) {
				first.OpenStart = slices.ContainsFunc(exp(civil(first.Start, loc).AddDate(-2, 0, 0), civil(first.Start, loc).AddDate(0, 0, 1)),
					func(iv Interval) bool { return iv.Start.Before(first.Start) && !iv.End.Before(first.Start) })
			}
			if !last.End.Before(hi) {
				last.OpenEnd = slices.ContainsFunc(exp(civil(last.End, loc).AddDate(0, 0, -1), civil(last.End, loc).AddDate(0, 0, 2)),
					func(iv Interval) bool { return !iv.Start.After(last.End) && iv.End.After(last.End) })
			}
			return keep, nil
		}
		grow *= 2
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// holidaySet holds holidays as YYYY-MM-DD.
type holidaySet map[string]bool

func parseHolidays(days []string) (holidaySet, error) {
	set := make(holidaySet, len(days))
	for _, d := range days {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("invalid holiday %q", d)
		}
		set[d] = true
	}
	return set, nil
}

func newExpander(w estate.Window, loc *time.Location, hol holidaySet) (expander, error) {
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"fixed", w.Fixed != nil}, {"yearly", w.Yearly != nil}, {"monthly", w.Monthly != nil}, {"weekly", w.Weekly != nil}, {"rrule", w.RRule != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) != 1 {
		return nil, fmt.Errorf("want exactly one schedule, have %d (%s)", len(kinds), strings.Join(kinds, ", "))
	}
	switch {
	case w.Fixed != nil:
		return fixedExpander(w.Fixed, loc)
	case w.Yearly != nil:
		return yearlyExpander(w.Yearly, loc)
	case w.Monthly != nil:
		return monthlyExpander(w.Monthly, loc, hol)
	case w.Weekly != nil:
		return weeklyExpander(w.Weekly, loc)
	}
	return rruleExpander(w.RRule, loc)
}

func fixedExpander(f *estate.FixedRange, loc *time.Location) (expander, error) {
	s, err := estate.ParseLocal(f.Start, false)
	if err != nil {
		return nil, fmt.Errorf("invalid fixed start %q", f.Start)
	}
	e, err := estate.ParseLocal(f.End, true)
	if err != nil {
		return nil, fmt.Errorf("invalid fixed end %q", f.End)
	}
	if !e.After(s) {
		return nil, fmt.Errorf("fixed end %q is not after start %q", f.End, f.Start)
	}
	iv, ok := span(s, e, loc)
	return func(lo, hi time.Time) []Interval {
		if ok {
			return []Interval{iv}
		}
		return nil
	}, nil
}

func parseMonthDay(s string) (time.Month, int, error) {
	t, err := time.Parse(time.DateOnly, "2000-"+s) // a leap year: 02-29 is valid
	if err != nil || len(s) != 5 {
		return 0, 0, fmt.Errorf("invalid month-day %q", s)
	}
	return t.Month(), t.Day(), nil
}

func yearlyExpander(y *estate.YearlyRule, loc *time.Location) (expander, error) {
	m1, d1, err := parseMonthDay(y.Start)
	if err != nil {
		return nil, err
	}
	m2, d2, err := parseMonthDay(y.End)
	if err != nil {
		return nil, err
	}
	wrap := m2 < m1 || m2 == m1 && d2 < d1
	return func(lo, hi time.Time) []Interval {
		var out []Interval
		for yr := lo.Year() - 1; yr <= hi.Year(); yr++ {
			s := earlier(date(yr, m1, d1), date(yr, m1+1, 1)) // 02-29 in another year: 1 March
			ey := yr
			if wrap {
				ey++
			}
			e := earlier(date(ey, m2, d2+1), date(ey, m2+1, 1)) // 02-29 in another year: through 28 February
			if !e.After(s) {
				continue
			}
			if iv, ok := span(s, e, loc); ok {
				out = append(out, iv)
			}
		}
		return out
	}, nil
}

// businessDays lists the business days of a month: Monday to Friday, less
// holidays.
func businessDays(y int, m time.Month, hol holidaySet) []time.Time {
	var out []time.Time
	for d := date(y, m, 1); d.Month() == m; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday && !hol[d.Format(time.DateOnly)] {
			out = append(out, d)
		}
	}
	return out
}

func monthlyExpander(r *estate.MonthlyRule, loc *time.Location, hol holidaySet) (expander, error) {
	if r.LastBusinessDays < 0 || r.FirstBusinessDays < 0 {
		return nil, fmt.Errorf("negative business-day count")
	}
	for _, d := range r.Days {
		if d < 1 || d > 31 {
			return nil, fmt.Errorf("invalid day of month %d", d)
		}
	}
	if r.LastBusinessDays == 0 && r.FirstBusinessDays == 0 && len(r.Days) == 0 {
		return nil, fmt.Errorf("monthly rule covers no day")
	}
	return func(lo, hi time.Time) []Interval {
		var out []Interval
		add := func(s, e time.Time) {
			if iv, ok := span(s, e, loc); ok {
				out = append(out, iv)
			}
		}
		for m := date(lo.Year(), lo.Month()-1, 1); !m.After(hi); m = m.AddDate(0, 1, 0) {
			if r.LastBusinessDays > 0 || r.FirstBusinessDays > 0 {
				var sel []time.Time
				if n := r.LastBusinessDays; n > 0 {
					cur := businessDays(m.Year(), m.Month(), hol)
					sel = append(sel, cur[max(0, len(cur)-n):]...)
				}
				if n := r.FirstBusinessDays; n > 0 {
					nm := m.AddDate(0, 1, 0)
					next := businessDays(nm.Year(), nm.Month(), hol)
					sel = append(sel, next[:min(n, len(next))]...)
				}
				if len(sel) > 0 {
					add(sel[0], sel[len(sel)-1].AddDate(0, 0, 1))
				}
			}
			for _, d := range r.Days {
				if s := date(m.Year(), m.Month(), d); s.Month() == m.Month() {
					add(s, s.AddDate(0, 0, 1))
				}
			}
		}
		return out
	}, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseClock reads a weekly window's HH:MM clock time as the time since
// midnight; "24:00" is the end of the day.
func ParseClock(s string) (time.Duration, error) { return parseClock(s) }

func parseClock(s string) (time.Duration, error) {
	if s == "24:00" {
		return 24 * time.Hour, nil // the end of the day
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("invalid clock time %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func weeklyExpander(r *estate.WeeklyRule, loc *time.Location) (expander, error) {
	var days [7]bool
	for _, d := range r.Days {
		wd, ok := weekdays[d]
		if !ok {
			return nil, fmt.Errorf("invalid weekday %q", d)
		}
		days[wd] = true
	}
	from, err := parseClock(r.From)
	if err != nil {
		return nil, err
	}
	to, err := parseClock(r.To)
	if err != nil {
		return nil, err
	}
	if from == to {
		return nil, fmt.Errorf("weekly rule is empty: from and to are both %q", r.From)
	}
	return func(lo, hi time.Time) []Interval {
		var out []Interval
		for d := date(lo.Year(), lo.Month(), lo.Day()-1); d.Before(hi); d = d.AddDate(0, 0, 1) {
			if !days[d.Weekday()] {
				continue
			}
			end := d
			if to < from {
				end = d.AddDate(0, 0, 1)
			}
			if iv, ok := span(d.Add(from), end.Add(to), loc); ok {
				out = append(out, iv)
			}
		}
		return out
	}, nil
}

func rruleExpander(r *estate.RRule, loc *time.Location) (expander, error) {
	start, err := estate.ParseLocal(r.Start, false)
	if err != nil || start.IsZero() { // rrule-go would read the clock for a zero DTSTART
		return nil, fmt.Errorf("invalid rrule start %q", r.Start)
	}
	dur, err := estate.ParseDuration(r.Duration)
	if err != nil {
		return nil, err
	}
	if dur <= 0 {
		return nil, fmt.Errorf("rrule duration %q is not positive", r.Duration)
	}
	nominalDays := 0
	if strings.HasSuffix(r.Duration, "d") {
		nominalDays = int(dur / (24 * time.Hour))
	}
	opt, err := estate.ParseRRule(r.Rule, loc)
	if err != nil {
		return nil, fmt.Errorf("invalid rrule %q: %v", r.Rule, err)
	}
	opt.Dtstart = start
	if !opt.Until.IsZero() {
		opt.Until = civil(opt.Until, loc)
	}
	rr, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("invalid rrule %q: %v", r.Rule, err)
	}
	return func(lo, hi time.Time) []Interval {
		var out []Interval
		first := lo.Add(-dur)
		next := rr.Iterator()
		for {
			t, ok := next()
			if !ok || !t.Before(hi) {
				break
			}
			if t.Before(first) {
				continue
			}
			s := instant(t, loc, false)
			var e time.Time
			if nominalDays > 0 {
				e = instant(t.AddDate(0, 0, nominalDays), loc, true)
			} else {
				e = s.Add(dur)
			}
			if e.After(s) {
				out = append(out, Interval{Start: s, End: e})
			}
		}
		return out
	}, nil
}

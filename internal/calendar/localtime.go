package calendar

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // zones resolve the same on every machine
)

// Local wall-clock times ("civil" times) are carried as time.Time values in
// UTC whose fields are the wall-clock reading; they are never compared with
// instants.

// zones caches loaded locations by name.
var zones sync.Map // string -> *time.Location

// loadZone loads an IANA zone. The empty name and "Local" are refused: a
// window must not depend on the machine it is evaluated on.
func loadZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" {
		return nil, fmt.Errorf("no time zone")
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// civil returns the wall-clock reading of instant t in loc.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// date returns local midnight at the start of a civil date.
func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// maxOffsetSpan bounds how far an instant can be from its wall-clock
// reading: zone offsets stay within ±15h, local mean time included.
const maxOffsetSpan = 26 * time.Hour

// instant returns the instant, in UTC, at which the clock in loc shows the
// civil time c. In a gap c moves forward by the gap; in a repeated hour a
// start (end false) is the first instance and an end the second. See the
// package documentation.
func instant(c time.Time, loc *time.Location, end bool) time.Time {
	var (
		first, last time.Time
		found       bool
		past, gap   time.Time // gap: c read with the offset before the gap
	)
	x := c.Add(-maxOffsetSpan)
	limit := c.Add(maxOffsetSpan)
	for {
		l := x.In(loc)
		_, off := l.Zone()
		from, until := l.ZoneBounds()
		u := c.Add(-time.Duration(off) * time.Second)
		afterFrom := from.IsZero() || !u.Before(from)
		beforeUntil := until.IsZero() || u.Before(until)
		switch {
		case afterFrom && beforeUntil:
			if !found {
				first = u
			}
			last, found = u, true
		case !beforeUntil:
			past = u
		case !afterFrom && !past.IsZero() && gap.IsZero():
			gap = past
		}
		if until.IsZero() || until.After(limit) {
			break
		}
		x = until
	}
	switch {
	case found && end:
		return last.UTC()
	case found:
		return first.UTC()
	case !gap.IsZero():
		return gap.UTC()
	}
	// Not reached with real zone data; time.Date still gives an answer.
	return time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), loc).UTC()
}

// span returns the interval between civil times s and e read in loc, or
// false when it is empty (a start moved forward past its end by a DST gap).
func span(s, e time.Time, loc *time.Location) (Interval, bool) {
	iv := Interval{Start: instant(s, loc, false), End: instant(e, loc, true)}
	return iv, iv.End.After(iv.Start)
}

// wallRange returns the lowest wall-clock reading in loc over [s, e) and
// the least upper bound of the readings (the reading just before e, or just
// before a transition that turns the clock back). The clock reads within
// [lo, hi) at every instant of [s, e). again reports whether the clock
// reads lo at some instant after s too: a transition inside the range
// turned it back to lo or below the reading s started at.
func wallRange(s, e time.Time, loc *time.Location) (lo, hi time.Time, again bool) {
	x := s.UTC()
	e = e.UTC()
	for first := true; x.Before(e); first = false {
		l := x.In(loc)
		_, off := l.Zone()
		_, until := l.ZoneBounds()
		segEnd := e
		if !until.IsZero() && until.Before(e) {
			segEnd = until.UTC() // ZoneBounds answers in loc
		}
		d := time.Duration(off) * time.Second
		if r := x.Add(d); first || !r.After(lo) {
			again = !first
			lo = r
		}
		if r := segEnd.Add(d); first || r.After(hi) {
			hi = r
		}
		x = segEnd
	}
	return lo, hi, again
}

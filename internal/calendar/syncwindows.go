package calendar

import (
	"fmt"
	"time"
)

// SyncWindow is the timing of one Argo CD AppProject sync window
// (spec.syncWindows[]); the caller adds the kind and the selectors.
type SyncWindow struct {
	// Schedule is a 5-field cron expression "M H DOM MON *".
	Schedule string `json:"schedule"`
	// Duration is a Go duration in whole hours ("264h") or minutes ("90m").
	Duration string `json:"duration"`
	// TimeZone is the IANA zone Schedule and Duration are read in.
	TimeZone string `json:"timeZone"`
}

// SyncWindows compiles occurrences into Argo CD sync windows read in zone:
// one window per occurrence, after merging occurrences that overlap or
// touch (back-to-back Argo CD windows leave an instant between them).
//
// Argo CD reads a window on the local wall clock: it is active while the
// clock in zone reads strictly between the cron firing F and F plus the
// duration. So F is the lowest reading of the clock during the occurrence,
// floored to the minute (the local start, or the start of a repeated hour
// the occurrence begins in), and the duration runs to the highest reading,
// rounded up to the minute. Across the spring-forward night the duration is
// therefore an hour longer than the occurrence's absolute length would
// suggest (a 95-hour occurrence needs "96h"); across the fall-back night it
// is an hour shorter, or covers both passes of the repeated hour when the
// occurrence ends inside it. F is always a reading the clock shows, never
// a time inside a DST gap. The window is inactive at the very instant F,
// as Argo CD's windows are open intervals: when a transition inside the
// occurrence turns the clock back to its lowest reading (an occurrence
// that begins in the first pass of a repeated hour), F is a minute
// earlier, so that the instant of the transition is covered too.
//
// Cron has no year: each window recurs every year on its date until it is
// removed, so callers pass only the occurrences within their horizon and
// re-render before it passes.
func SyncWindows(occ []Interval, zone string) ([]SyncWindow, error) {
	loc, err := loadZone(zone)
	if err != nil {
		return nil, fmt.Errorf("sync windows: %w", err)
	}
	var ivs []Interval
	for _, iv := range occ {
		if iv.End.After(iv.Start) {
			ivs = append(ivs, iv)
		}
	}
	ivs = merge(ivs)
	out := make([]SyncWindow, 0, len(ivs))
	for _, iv := range ivs {
		lo, hi, again := wallRange(iv.Start, iv.End, loc)
		f := lo.Truncate(time.Minute)
		if again && f.Equal(lo) {
			// The clock is turned back to F inside the occurrence, where
			// Argo CD's open window would let that very instant through.
			f = f.Add(-time.Minute)
		}
		d := hi.Sub(f)
		if r := d % time.Minute; r != 0 {
			d += time.Minute - r
		}
		dur := fmt.Sprintf("%dm", d/time.Minute)
		if d%time.Hour == 0 {
			dur = fmt.Sprintf("%dh", d/time.Hour)
		}
		out = append(out, SyncWindow{
			Schedule: fmt.Sprintf("%d %d %d %d *", f.Minute(), f.Hour(), f.Day(), int(f.Month())),
			Duration: dur,
			TimeZone: zone,
		})
	}
	return out, nil
}

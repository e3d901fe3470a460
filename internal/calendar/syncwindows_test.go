package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

// argoActive evaluates a sync window as Argo CD v3.3 does (see
// /work/shared/notes/ARGOCD-SYNC-WINDOWS.md): the current instant is
// shifted by the zone's offset at that instant to a wall-clock reading, and
// the window is active when a cron firing lies strictly between that
// reading minus the duration and the reading.
func argoActive(t testing.TB, w calendar.SyncWindow, now time.Time) bool {
	t.Helper()
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	_, off := now.In(loc).Zone()
	reading := now.UTC().Add(time.Duration(off) * time.Second)
	d, err := time.ParseDuration(w.Duration)
	if err != nil {
		t.Fatal(err)
	}
	var minute, hour, dom, month int
	if _, err := fmt.Sscanf(w.Schedule, "%d %d %d %d *", &minute, &hour, &dom, &month); err != nil {
		t.Fatalf("schedule %q: %v", w.Schedule, err)
	}
	after := reading.Add(-d)
	for y := after.Year(); y <= after.Year()+8; y++ {
		f := time.Date(y, time.Month(month), dom, hour, minute, 0, 0, time.UTC)
		if f.Day() != dom || !f.After(after) {
			continue // no such day that year, or not next
		}
		return f.Before(reading)
	}
	return false
}

func TestSyncWindows(t *testing.T) {
	t.Parallel()
	const paris, ny = "Europe/Paris", "America/New_York"
	tests := []struct {
		name     string
		w        estate.Window
		zone     string
		from, to string
		want     []calendar.SyncWindow
		exact    bool // Argo CD's window ends with the occurrence
	}{
		{"black friday", fixed("2026-11-20", "2026-12-01"), paris, "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z",
			[]calendar.SyncWindow{{"0 0 20 11 *", "288h", paris}}, true},
		{"over the Paris spring-forward night: 95h need 96h", fixed("2026-03-27", "2026-03-30"), paris, "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z",
			[]calendar.SyncWindow{{"0 0 27 3 *", "96h", paris}}, true},
		{"over the Paris fall-back night: 97h need 96h", fixed("2026-10-23", "2026-10-26"), paris, "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z",
			[]calendar.SyncWindow{{"0 0 23 10 *", "96h", paris}}, true},
		{"New York fall-back day: 25h need 24h", fixed("2026-11-01", "2026-11-01"), ny, "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z",
			[]calendar.SyncWindow{{"0 0 1 11 *", "24h", ny}}, true},
		{"ending inside the New York repeated hour covers both passes", fixed("2026-10-31T12:00", "2026-11-01T01:30"), ny, "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z",
			[]calendar.SyncWindow{{"0 12 31 10 *", "14h", ny}}, false},
		// The clock is turned back to 01:00 inside these two occurrences:
		// a window firing at 01:00 would let that instant through.
		{"starting in the second half of the repeated hour starts before 01:00", fixed("2026-11-01T01:30", "2026-11-01T03:00"), ny, "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z",
			[]calendar.SyncWindow{{"59 0 1 11 *", "121m", ny}}, false},
		{"weekly in the repeated hour", weekly("01:00", "01:30", "sun"), ny, "2026-10-31T00:00:00Z", "2026-11-02T00:00:00Z",
			[]calendar.SyncWindow{{"59 0 1 11 *", "61m", ny}}, false},
		{"never starts in the Paris gap", weekly("02:30", "05:00", "sun"), paris, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z",
			[]calendar.SyncWindow{{"30 3 29 3 *", "90m", paris}}, true},
		{"weekly past midnight over the New York spring-forward night", weekly("22:00", "06:00", "sat"), ny, "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z",
			[]calendar.SyncWindow{{"0 22 7 3 *", "8h", ny}}, true},
		{"one window per merged occurrence", monthly(0, 0, 1, 2, 3, 15), paris, "2026-06-01T00:00:00+02:00", "2026-08-01T00:00:00+02:00",
			[]calendar.SyncWindow{{"0 0 1 6 *", "72h", paris}, {"0 0 15 6 *", "24h", paris}, {"0 0 1 7 *", "72h", paris}, {"0 0 15 7 *", "24h", paris}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			occ, err := calendar.Occurrences(tt.w, tt.zone, nil, at(t, tt.from), at(t, tt.to))
			if err != nil {
				t.Fatal(err)
			}
			got, err := calendar.SyncWindows(occ, tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("SyncWindows = %v, want %v", got, tt.want)
			}
			// Argo CD covers every instant of each occurrence but its very
			// first (its windows are open intervals), and ends with the
			// occurrence where the wall clock allows it.
			for i, iv := range occ {
				argoDenies(t, got[i], iv, tt.zone)
				if tt.exact && argoActive(t, got[i], iv.End) {
					t.Errorf("Argo CD window %v still active at the end %s", got[i], iv.End.Format(time.RFC3339))
				}
			}
		})
	}
}

// argoDenies fails unless Argo CD, evaluating w, denies every instant
// strictly inside iv (its windows are open intervals, so not the first):
// sampled at 500 instants or every minute, whichever is fewer, just before
// the end, and either side of and at each clock change inside iv, where a
// wrong reading shows first.
func argoDenies(t testing.TB, w calendar.SyncWindow, iv calendar.Interval, zone string) {
	t.Helper()
	loc := mustZone(t, zone)
	check := func(now time.Time) {
		t.Helper()
		if now.After(iv.Start) && now.Before(iv.End) && !argoActive(t, w, now) {
			t.Fatalf("occurrence %s: Argo CD window %v lets a sync through at %s",
				show([]calendar.Interval{iv}, zone), w, now.In(loc).Format(time.RFC3339))
		}
	}
	step := max(iv.End.Sub(iv.Start)/500, time.Minute)
	for now := iv.Start.Add(time.Second); now.Before(iv.End); now = now.Add(step) {
		check(now)
	}
	check(iv.End.Add(-time.Second))
	for x := iv.Start; ; {
		_, until := x.In(loc).ZoneBounds()
		if until.IsZero() || !until.Before(iv.End) {
			break
		}
		for _, d := range []time.Duration{-time.Second, 0, time.Second} {
			check(until.Add(d))
		}
		x = until
	}
}

// TestSyncWindowsAbsoluteDurationFallsShort shows why the duration is the
// wall-clock length: the occurrence's absolute length leaves its last hour
// open across the spring-forward night.
func TestSyncWindowsAbsoluteDurationFallsShort(t *testing.T) {
	t.Parallel()
	occ, err := calendar.Occurrences(fixed("2026-03-27", "2026-03-30"), "Europe/Paris", nil, at(t, "2026-03-01T00:00:00Z"), at(t, "2026-04-01T00:00:00Z"))
	if err != nil || len(occ) != 1 {
		t.Fatal(occ, err)
	}
	if d := occ[0].End.Sub(occ[0].Start); d != 95*time.Hour {
		t.Fatalf("occurrence lasts %s, want 95h", d)
	}
	naive := calendar.SyncWindow{Schedule: "0 0 27 3 *", Duration: "95h", TimeZone: "Europe/Paris"}
	if argoActive(t, naive, at(t, "2026-03-30T23:30:00+02:00")) {
		t.Error("a 95h Argo CD window should end at 23:00 on 30 March")
	}
}

func TestSyncWindowsErrors(t *testing.T) {
	t.Parallel()
	if _, err := calendar.SyncWindows(nil, "Europe/Pariss"); err == nil || err.Error() != `sync windows: unknown time zone "Europe/Pariss"` {
		t.Errorf("error %v", err)
	}
	got, err := calendar.SyncWindows([]calendar.Interval{{Start: at(t, "2026-01-02T00:00:00Z"), End: at(t, "2026-01-01T00:00:00Z")}}, "UTC")
	if err != nil || len(got) != 0 {
		t.Errorf("empty interval: %v %v", got, err)
	}
}

// fuzzZones are zones whose clocks move in every way tzdata knows: an
// hour forward and back on either side of UTC, half an hour (Lord Howe),
// at midnight (Santiago, Havana), a negative DST in winter (Dublin), DST
// suspended for Ramadan (Casablanca), quarter-hour offsets (Chatham,
// Kathmandu) and none at all.
var fuzzZones = []string{
	"Europe/Paris", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
	"America/Santiago", "America/Havana", "Europe/Dublin", "Africa/Casablanca",
	"Pacific/Chatham", "Asia/Kathmandu", "UTC",
}

// FuzzSyncWindows holds SyncWindows to its promise for any occurrence in
// any zone: Argo CD, evaluating the window as it does, denies every
// instant strictly inside the occurrence, and stops denying within an
// hour and a minute of its end (a window ending inside a repeated hour
// covers both passes; the duration is rounded up to the minute). The
// seeds run as a test; `go test -fuzz FuzzSyncWindows ./internal/calendar/`
// searches further.
func FuzzSyncWindows(f *testing.F) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []struct {
		start, minutes uint32
		zone           uint8
	}{
		{uint32(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC).Sub(base) / time.Second), 3 * 24 * 60, 0},  // Paris spring forward
		{uint32(time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC).Sub(base) / time.Second), 2 * 24 * 60, 0}, // Paris fall back
		{uint32(time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC).Sub(base) / time.Second), 30, 1},           // inside New York's repeated hour
		{uint32(time.Date(2026, 4, 4, 14, 45, 0, 0, time.UTC).Sub(base) / time.Second), 90, 3},           // Lord Howe's half-hour fall back
		{uint32(time.Date(2026, 9, 5, 12, 0, 0, 0, time.UTC).Sub(base) / time.Second), 24 * 60, 4},       // Santiago's midnight spring forward
		{uint32(time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).Sub(base) / time.Second), 120, 6},         // Dublin's winter "DST"
		{uint32(time.Date(2026, 2, 14, 1, 0, 0, 0, time.UTC).Sub(base) / time.Second), 40 * 24 * 60, 7},  // Casablanca's Ramadan
		{1234567, 11 * 24 * 60, 8},
	} {
		f.Add(s.start, s.minutes, s.zone)
	}
	f.Fuzz(func(t *testing.T, start, minutes uint32, zone uint8) {
		// Occurrences within two years, up to 40 days long, to the second.
		iv := calendar.Interval{Start: base.Add(time.Duration(start%(2*366*24*3600)) * time.Second)}
		iv.End = iv.Start.Add(time.Duration(1+minutes%(40*24*60)) * time.Minute)
		name := fuzzZones[int(zone)%len(fuzzZones)]
		ws, err := calendar.SyncWindows([]calendar.Interval{iv}, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 {
			t.Fatalf("%d windows for one occurrence", len(ws))
		}
		w := ws[0]
		argoDenies(t, w, iv, name)
		loc := mustZone(t, name)
		if late := iv.End.Add(time.Hour + time.Minute); argoActive(t, w, late) {
			t.Fatalf("occurrence %s to %s in %s: Argo CD window %v still denies at %s",
				iv.Start.Format(time.RFC3339), iv.End.Format(time.RFC3339), name, w, late.In(loc).Format(time.RFC3339))
		}
	})
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

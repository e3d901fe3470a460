package calendar

import (
	"testing"
	"time"
)

func TestInstant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, zone, local string
		start, end        string // RFC 3339 with the offset the clock shows
	}{
		{"ordinary", "Europe/Paris", "2026-07-01T12:00:00", "2026-07-01T12:00:00+02:00", "2026-07-01T12:00:00+02:00"},
		{"Paris gap moves forward", "Europe/Paris", "2026-03-29T02:30:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:30:00+02:00"},
		{"Paris gap start", "Europe/Paris", "2026-03-29T02:00:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:00:00+02:00"},
		{"New York gap moves forward", "America/New_York", "2026-03-08T02:30:00", "2026-03-08T03:30:00-04:00", "2026-03-08T03:30:00-04:00"},
		{"Lord Howe half-hour gap", "Australia/Lord_Howe", "2026-10-04T02:15:00", "2026-10-04T02:45:00+11:00", "2026-10-04T02:45:00+11:00"},
		{"Paris repeated hour", "Europe/Paris", "2026-10-25T02:30:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"},
		{"New York repeated hour", "America/New_York", "2026-11-01T01:30:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"},
		{"after the repeated hour", "America/New_York", "2026-11-01T02:00:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:00:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc, err := loadZone(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			c, err := time.Parse("2006-01-02T15:04:05", tt.local)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []struct {
				end  bool
				want string
			}{{false, tt.start}, {true, tt.end}} {
				want, _ := time.Parse(time.RFC3339, r.want)
				got := instant(c, loc, r.end)
				if !got.Equal(want) || got.Location() != time.UTC {
					t.Errorf("instant(%s, %s, end=%v) = %s, want %s", tt.local, tt.zone, r.end, got.In(loc).Format(time.RFC3339), r.want)
				}
			}
		})
	}
}

// TestTimeDateGap records why instant does not use time.Date: west of UTC
// it moves a time in a gap backward.
func TestTimeDateGap(t *testing.T) {
	t.Parallel()
	ny, _ := loadZone("America/New_York")
	if got := time.Date(2026, 3, 8, 2, 30, 0, 0, ny).Format(time.RFC3339); got != "2026-03-08T01:30:00-05:00" {
		t.Skipf("time.Date now gives %s; instant does not depend on it", got)
	}
}

func TestWallRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone, start, end string
		lo, hi           string
		again            bool
	}{
		{"Europe/Paris", "2026-03-26T23:00:00Z", "2026-03-30T22:00:00Z", "2026-03-27T00:00:00", "2026-03-31T00:00:00", false},
		{"America/New_York", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", "2026-11-01T00:00:00", "2026-11-02T00:00:00", false},
		{"America/New_York", "2026-10-31T16:00:00Z", "2026-11-01T06:30:00Z", "2026-10-31T12:00:00", "2026-11-01T02:00:00", false},
		// Begun in the first pass of the repeated hour: the second pass
		// reads lower, then as low as the start.
		{"America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z", "2026-11-01T01:00:00", "2026-11-01T03:00:00", true},
		{"America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T01:00:00", "2026-11-01T02:00:00", true},
	}
	for _, tt := range tests {
		loc, _ := loadZone(tt.zone)
		s, _ := time.Parse(time.RFC3339, tt.start)
		e, _ := time.Parse(time.RFC3339, tt.end)
		lo, hi, again := wallRange(s, e, loc)
		if again != tt.again {
			t.Errorf("wallRange(%s, %s) again = %v, want %v", tt.start, tt.end, again, tt.again)
		}
		if got := lo.Format("2006-01-02T15:04:05"); got != tt.lo {
			t.Errorf("wallRange(%s, %s) lo = %s, want %s", tt.start, tt.end, got, tt.lo)
		}
		if got := hi.Format("2006-01-02T15:04:05"); got != tt.hi {
			t.Errorf("wallRange(%s, %s) hi = %s, want %s", tt.start, tt.end, got, tt.hi)
		}
	}
}

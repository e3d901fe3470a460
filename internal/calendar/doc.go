// Package calendar is the entry point for evaluating change-freeze windows:
// it expands the windows of an estate's platform, tier and tenant calendars
// into occurrences in absolute time, answers which windows are active for a
// tenant at an instant and when the tenant is next free, and compiles
// occurrences into Argo CD sync windows.
//
// # Time model
//
// A window is written in local wall-clock time and read in one IANA zone:
// the window's own timeZone, else the tenant's, else the platform's. Each
// occurrence is a half-open interval [Start, End) of absolute instants,
// returned in UTC. Whole days run from local midnight to the next local
// midnight, so a whole day is 23 or 25 hours long on a DST switch day.
//
// A local time is turned into an instant as RFC 5545 (section 3.3.5) does,
// with one change for ends:
//
//   - In a DST gap (a wall-clock time that does not exist), it moves forward
//     by the length of the gap: 02:30 on the spring-forward night in
//     Europe/Paris is 03:30 CEST. This is done explicitly: time.Date moves
//     such a time forward east of UTC but backward west of it (02:30 in
//     America/New_York becomes 01:30 EST).
//   - In a repeated hour (a wall-clock time that occurs twice), a start is
//     the first instance and an end the second, so an occurrence covers
//     every instant at which the clock shows a time within it: a freeze
//     01:00-01:30 on the fall-back night lasts from 01:00 EDT to 01:30 EST.
//     time.Date is not used here either: it picks the second instance east
//     of UTC and the first west of it.
//
// So an occurrence lying wholly inside a gap moves later by the gap (a freeze
// 02:15-02:45 is 03:15-03:45 CEST on the Paris spring-forward night), and
// one that starts in a gap and ends less than the gap's length after it
// (02:30-03:15) is empty that day and dropped.
//
// # Merging
//
// Occurrences of one window that overlap or touch (consecutive days, a
// weekly window ending when the next begins) are merged into one interval.
// Windows are never merged with each other; NextFree chains them instead.
package calendar

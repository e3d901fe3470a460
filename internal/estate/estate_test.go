package estate_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
)

// synthetic writes a generated estate of n tenants into a temporary
// directory.
func synthetic(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := estategen.Write(dir, estategen.Options{Tenants: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const acme = `package estate

// A shop.
tenants: "tenant-00000": {
	brand: "Acme"
	contacts: owner: {name: "O", email: "o@acme.test"}
	tier: "shared"
	odoo: {version: "18.0", image: "registry.synthetic.test/odoo/enterprise:18.0"}
	environments: production: {
		placement: {region: "eu-west", cluster: "eu-west-prod"}
		domains: ["acme.test"]
		replicas: web: 5
	}
	calendar: sale: {
		kind: "promotion"
		fixed: {start: "2026-11-20", end: "2026-12-01"}
	}
}
`

func TestLoadModel(t *testing.T) {
	dir := synthetic(t, 3)
	writeFile(t, dir, "tenants/tenant-00000.cue", acme)
	e, err := estate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := e.Tenants["tenant-00000"]
	if a == nil {
		t.Fatal("tenant-00000 not loaded")
	}
	if a.File != "tenants/tenant-00000.cue" {
		t.Errorf("File = %q", a.File)
	}
	// Defaults: the tenant's zone comes from the platform; the PDB from
	// the schema; the window's scope from where it is written.
	if a.TimeZone != "UTC" {
		t.Errorf("TimeZone = %q, want the platform's UTC", a.TimeZone)
	}
	tier := e.Tiers[a.Tier].Environments[estate.Production]
	if !tier.PDB.Enabled || tier.PDB.MaxUnavailable != 1 {
		t.Errorf("PDB = %+v, want the schema default {true 1}", tier.PDB)
	}
	w := a.Calendar["sale"]
	if w.Scope != (estate.WindowScope{Level: estate.ScopeTenant, Name: "tenant-00000"}) {
		t.Errorf("window scope = %+v", w.Scope)
	}
	if got := a.Environments[estate.Production].Replicas[estate.Web]; got != 5 {
		t.Errorf("web replicas = %d, want 5", got)
	}
	if string(e.Keys["release"]) == "" {
		t.Error("signing key not read")
	}
}

func TestPosition(t *testing.T) {
	dir := synthetic(t, 3)
	writeFile(t, dir, "tenants/tenant-00000.cue", acme)
	e, err := estate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"tenants", "tenant-00000"}, "tenants/tenant-00000.cue:4:10"},
		{[]string{"tenants", "tenant-00000", "tier"}, "tenants/tenant-00000.cue:7:8"},
		{[]string{"tenants", "tenant-00000", "environments", "production", "replicas", "web"}, "tenants/tenant-00000.cue:12:18"},
		{[]string{"tenants", "tenant-00000", "environments", "production", "domains", "0"}, "tenants/tenant-00000.cue:11:13"},
		{[]string{"tenants", "tenant-00000", "calendar", "sale", "fixed", "end"}, "tenants/tenant-00000.cue:16:37"},
		// Not written (a default): the closest written ancestor.
		{[]string{"tenants", "tenant-00000", "timeZone"}, "tenants/tenant-00000.cue:4:10"},
		{[]string{"tiers", "shared", "isolation"}, "tiers/shared.cue:4:13"},
		// A tenant or tier the estate does not have (a removed one): not
		// the first file that writes "tenants", which says nothing.
		{[]string{"tenants", "gone", "calendar", "sale"}, ""},
		{[]string{"tiers", "gone"}, ""},
		{[]string{"platform", "nowhere"}, "platform.cue:3:1"},
	} {
		if got := e.Position(tc.path...).String(); got != tc.want {
			t.Errorf("Position(%s) = %s, want %s", strings.Join(tc.path, "."), got, tc.want)
		}
	}
}

func TestLoadErrorsAreInputErrors(t *testing.T) {
	dir := synthetic(t, 2)
	writeFile(t, dir, "tenants/tenant-00000.cue", strings.Replace(acme, `web: 5`, `web: 1`, 1))
	_, err := estate.Load(dir)
	var ie *estate.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want *InputError", err, err)
	}
	want := "tenants/tenant-00000.cue:12:18: tenants.\"tenant-00000\".environments.production.replicas.web: invalid value 1 (out of bound >=2)"
	if len(ie.Diagnostics) != 1 || ie.Diagnostics[0].String() != want {
		t.Fatalf("diagnostics:\n%v\nwant:\n%s", err, want)
	}
	// The schema's constraint is kept as a related position.
	if rel := ie.Diagnostics[0].Related; len(rel) == 0 || !strings.HasPrefix(rel[0].File, "schema/") {
		t.Errorf("related = %v, want the schema constraint", rel)
	}
}

// TestLoadConcurrent loads one estate from several goroutines; run with
// -race it guards against shared state in the loader.
func TestLoadConcurrent(t *testing.T) {
	dir := synthetic(t, 20)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = estate.Load(dir)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseLocal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		end  bool
		want string
		bad  bool
	}{
		{in: "2026-11-20", want: "2026-11-20T00:00:00"},
		{in: "2026-12-01", end: true, want: "2026-12-02T00:00:00"},
		{in: "2028-02-29", end: true, want: "2028-03-01T00:00:00"},
		{in: "2026-12-31", end: true, want: "2027-01-01T00:00:00"},
		{in: "2026-11-20T18:30", end: true, want: "2026-11-20T18:30:00"},
		{in: "2026-11-20T18:30:15", want: "2026-11-20T18:30:15"},
		{in: "2027-02-29", bad: true},
		{in: "2026-13-01", bad: true},
		{in: "2026-11-20T25:00", bad: true},
		{in: "20.11.2026", bad: true},
	} {
		got, err := estate.ParseLocal(tc.in, tc.end)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseLocal(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.Format("2006-01-02T15:04:05") != tc.want {
			t.Errorf("ParseLocal(%q, %v) = %v, %v; want %s", tc.in, tc.end, got, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"15m": 15 * time.Minute, "4h": 4 * time.Hour, "30d": 30 * 24 * time.Hour, "0m": 0,
	} {
		if got, err := estate.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "15", "15s", "-1h", "1.5h", "2w"} {
		if _, err := estate.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", in)
		}
	}
}

func TestParseRRule(t *testing.T) {
	for _, in := range []string{"FREQ=WEEKLY;BYDAY=SA,SU", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4FR", "FREQ=DAILY;UNTIL=20261231T000000Z", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12"} {
		if _, err := estate.ParseRRule(in, time.UTC); err != nil {
			t.Errorf("ParseRRule(%q): %v", in, err)
		}
	}
	for in, want := range map[string]string{
		"FREQ=WEEKLY;BYDAY=XX":                "undefined weekday: XX",
		"FREQ=YEARLY;BYMONTH=13":              "bymonth must be between 1 and 12",
		"FREQ=MONTHLY;BYMONTHDAY=32":          "bymonthday must be between 1 and 31 or -1 and -31",
		"FREQ=HOURLY":                         "FREQ must be YEARLY, MONTHLY, WEEKLY or DAILY",
		"FREQ=DAILY;DTSTART=20260101T000000Z": "DTSTART is the window's start, not part of the rule",
		"FREQ=WEEKLY;FOO=1":                   "unknown RRULE property: FOO",
		"FREQ=DAILY;COUNT=0":                  "COUNT must be a positive number",
		"FREQ=WEEKLY;INTERVAL=00":             "INTERVAL must be a positive number",
	} {
		if _, err := estate.ParseRRule(in, time.UTC); err == nil || err.Error() != want {
			t.Errorf("ParseRRule(%q) = %v, want %q", in, err, want)
		}
	}
}

// FuzzLoadTenant feeds arbitrary text as a tenant file. Load must answer
// with a model or an *InputError whose diagnostics all have a position —
// never a panic, and never an unpositioned or internal error — and a model
// it accepts must have a calendar that reads: a window that fails only
// when it is expanded would stop a render without a position.
func FuzzLoadTenant(f *testing.F) {
	f.Add(acme)
	f.Add(strings.Replace(acme, "web: 5", "web: 1", 1))
	f.Add(strings.Replace(acme, `"2026-12-01"`, `"2026-02-30"`, 1))
	f.Add("package estate\ntenants: \"tenant-00000\": {")
	f.Add("package estate\ntenants: \"tenant-00000\": tier: 3\n")
	f.Add(strings.Replace(acme, `fixed: {start: "2026-11-20", end: "2026-12-01"}`, `rrule: {rule: "FREQ=WEEKLY;BYDAY=SA", start: "2026-11-21T08:00", duration: "6h"}`, 1))
	f.Add(strings.Replace(acme, `fixed: {start: "2026-11-20", end: "2026-12-01"}`, `rrule: {rule: "FREQ=WEEKLY;BYDAY=XA", start: "2026-11-21T08:00", duration: "6h"}`, 1))
	dir := synthetic(f, 2)
	f.Fuzz(func(t *testing.T, src string) {
		d := t.TempDir()
		if err := os.CopyFS(d, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		writeFile(t, d, "tenants/tenant-00000.cue", src)
		e, err := estate.Load(d)
		if err == nil {
			at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
			for _, name := range e.TenantNames() {
				if _, err := calendar.Upcoming(e, e.Tenants[name], at, at.AddDate(1, 0, 0)); err != nil {
					t.Fatalf("loaded, but the calendar does not read: %v", err)
				}
			}
			return
		}
		var ie *estate.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v (%T), want *InputError", err, err)
		}
		for _, diag := range ie.Diagnostics {
			if !diag.Pos.IsValid() {
				t.Fatalf("diagnostic without position: %s", diag)
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			dir := synthetic(b, n)
			for b.Loop() {
				if _, err := estate.Load(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

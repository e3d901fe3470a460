package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
)

func TestText(t *testing.T) {
	c := sample()
	c.Results = append(c.Results,
		Finding{Result: policy.Result{PolicyID: policy.WaiverExpired, Severity: policy.SeverityWarn, Tenant: "acme",
			Message: `waiver "old" for images.signed expired at 2026-11-20T08:30:00Z and is ignored`, WaiverID: "old"},
			Position: Position{File: "tenants/acme.cue", Line: 30, Column: 5}},
		Finding{Result: policy.Result{PolicyID: "platform.note", Severity: policy.SeverityWarn, Tenant: "acme", Message: "x"}})
	got := write(t, c, FormatText, Options{})
	want := `palisade check: FAIL
  base 111111111111 (main) → head 222222222222 (feature/scale), at 2026-11-20T09:30:00Z
  blast radius: 2 tenants (1 added, 0 removed), 2 tiers, 3 environments (2 production)
  denials: 1 (+1 waived), warnings: 4
  frozen if merged now: nordlys-kids (1 tenant)
  freeze windows ended early: 1 (review)
  changed objects: 2 (1 added, 0 removed, 1 changed) in 2 tenant environments

denials:
  replicas.min-production nordlys-kids/production Deployment nordlys-kids-prod/web: web has 1 replica | want >= 2 <b>now</b>
      at estate/tenants/nordlys-kids.cue:14:9
      fix: set replicas.web to 2

waived:
  freeze.window-active acme/production: freeze window black-friday is active
      at estate/tenants/acme.cue
      waived by bg-1

waiver warnings:
  waiver.expired acme: waiver "old" for images.signed expired at 2026-11-20T08:30:00Z and is ignored
      at estate/tenants/acme.cue:30:5

warnings: images.signed ×1, platform.note ×2 (--format json lists them)

freeze windows this change ends early (review):
  window "black-friday" (platform) ends earlier: it froze nordlys-kids until 2026-11-30T23:00:00Z, now until 2026-11-29T23:00:00Z
      at estate/platform.cue:40:3

freeze forecast (held back if merged now):
  acme/production: window black-friday (platform) until 2026-11-30T23:00:00Z Europe/Paris, waived by bg-1
  nordlys-kids/production: window black-friday (platform) until 2026-11-30T23:00:00Z Europe/Oslo

waivers:
  acme bg-1 for freeze.window-active: used, expires 2026-11-22T09:30:00Z
  acme old for images.signed: expired, expires 2026-11-20T08:30:00Z

blast radius:
  acme [dedicated] added production (1 production): tenants/acme.cue changed
  nordlys-kids [shared] changed production,staging (1 production): tier shared changed

changes:
  acme: 1 object (1 added, 0 removed, 0 changed)
    + Namespace acme-prod
  nordlys-kids: 1 object (0 added, 0 removed, 1 changed)
    ~ Deployment nordlys-kids-prod/web

notes:
  - base and head render 2 tenants differently
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	withDiffs := write(t, sample(), FormatText, Options{Diffs: true})
	if !strings.Contains(withDiffs, "    ~ Deployment nordlys-kids-prod/web\n      --- a/Deployment/nordlys-kids-prod/web\n") ||
		!strings.Contains(withDiffs, "\n      +  replicas: 1\n") {
		t.Errorf("text with diffs:\n%s", withDiffs)
	}
}

func TestTextControlCharacters(t *testing.T) {
	c := sample()
	c.Notes = []string{"evil\x1b[2Jclear\nnext line\u2028"}
	got := write(t, c, FormatText, Options{})
	if !strings.Contains(got, `  - evil\x1b[2Jclear\x0anext line\u2028`+"\n") {
		t.Errorf("control characters not escaped:\n%s", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	out := write(t, sample(), FormatJSON, Options{})
	var back Check
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	want := sample()
	want.Finalize()
	// The JSON times are equal instants; compare them as such.
	if !back.At.Equal(want.At) {
		t.Errorf("at %v, want %v", back.At, want.At)
	}
	back.At = want.At
	for i := range back.Freeze {
		back.Freeze[i].Ends = want.Freeze[i].Ends
	}
	for i := range back.Waivers {
		back.Waivers[i].Expires = want.Waivers[i].Expires
	}
	if !reflect.DeepEqual(&back, want) {
		t.Errorf("round trip differs:\n%+v\nwant\n%+v", back, *want)
	}
}

func TestJSONEmptyLists(t *testing.T) {
	out := write(t, &Check{At: at}, FormatJSON, Options{})
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"diffs", "results", "freeze", "waivers", "notes"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}
	if m["verdict"] != Pass {
		t.Errorf("verdict %v", m["verdict"])
	}
}

// Every format gives the same bytes whatever order the lists come in, and
// Write leaves its input alone.
func TestWriteDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, format := range Formats() {
		first := write(t, sample(), format, Options{})
		for range 10 {
			c := sample()
			shuffle(r, c.Blast.Tenants)
			shuffle(r, c.Blast.Tenants[0].Environments)
			shuffle(r, c.Diffs)
			shuffle(r, c.Results)
			shuffle(r, c.Freeze)
			shuffle(r, c.Waivers)
			before := clone(t, c)
			if got := write(t, c, format, Options{}); got != first {
				t.Fatalf("%s output depends on input order", format)
			}
			if !reflect.DeepEqual(c, before) {
				t.Fatalf("%s: Write modified its input", format)
			}
		}
	}
}

func shuffle[E any](r *rand.Rand, s []E) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func clone(t *testing.T, c *Check) *Check {
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var d Check
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	d.At = c.At
	for i := range d.Freeze {
		d.Freeze[i].Ends = c.Freeze[i].Ends
	}
	for i := range d.Waivers {
		d.Waivers[i].Expires = c.Waivers[i].Expires
	}
	return &d
}

func TestWriteUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, sample(), "tap", Options{})
	var uf *UnknownFormatError
	if !errors.As(err, &uf) || uf.Format != "tap" {
		t.Fatalf("error %v, want UnknownFormatError", err)
	}
	if want := `unknown report format "tap": want one of text, markdown, json, sarif, github, junit`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if b.Len() != 0 {
		t.Error("output written for an unknown format")
	}
}

func TestFinalize(t *testing.T) {
	c := sample()
	c.Finalize()
	if c.Verdict != Fail {
		t.Errorf("verdict %q with a standing denial", c.Verdict)
	}
	want := Counts{Tenants: 2, Added: 1, Tiers: 2, Environments: 3, Production: 2}
	if c.Blast.Counts != want {
		t.Errorf("counts %+v, want %+v", c.Blast.Counts, want)
	}
	if c.Blast.Tenants[0].Tenant != "acme" || c.Results[0].Tenant != "acme" {
		t.Error("not sorted")
	}

	// Waive the one standing denial: pass.
	for i := range c.Results {
		if c.Results[i].Denies() {
			c.Results[i].Waived, c.Results[i].WaiverID = true, "w"
		}
	}
	c.Verdict = ""
	c.Finalize()
	if c.Verdict != Pass {
		t.Errorf("verdict %q with every denial waived", c.Verdict)
	}
	// A caller's fail stands.
	c.Verdict = Fail
	c.Finalize()
	if c.Verdict != Fail {
		t.Errorf("verdict %q, want the caller's fail kept", c.Verdict)
	}
}

func TestPositionString(t *testing.T) {
	for p, want := range map[Position]string{
		{}:                                  "",
		{File: "a.cue"}:                     "a.cue",
		{File: "a.cue", Line: 3}:            "a.cue:3",
		{File: "a.cue", Line: 3, Column: 7}: "a.cue:3:7",
	} {
		if got := p.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", p, got, want)
		}
	}
}

// Position converts from the estate's positions, which the check command
// resolves results' CUE paths to.
var _ = Position(estate.Position{})

// The platform's waivers and the engine's notes about them have no tenant:
// every format says "platform" where a tenant would go, and the github
// format anchors them on the platform file.
func TestPlatformWaivers(t *testing.T) {
	c := sample()
	c.PlatformFile = "platform.cue"
	c.Results = append(c.Results, Finding{
		Result: policy.Result{PolicyID: policy.WaiverUsed, Severity: policy.SeverityWarn,
			Message: `platform break-glass waiver "pg-cve" lets freeze.platform-change through the windows of acme`,
			Path:    []string{"platform", "waivers", "pg-cve"}, WaiverID: "pg-cve"},
		Position: Position{File: "platform.cue", Line: 90, Column: 2},
	})
	c.Waivers = append(c.Waivers, WaiverNote{ID: "pg-cve", Policy: policy.PlatformPolicy, Expires: ends, State: WaiverExpiring})
	for _, tt := range []struct{ format, want string }{
		{FormatText, "  platform pg-cve for freeze.platform-change: expiring, expires 2026-11-30T23:00:00Z\n"},
		{FormatText, `waiver.used platform: platform break-glass waiver "pg-cve"`},
		{FormatMarkdown, "| platform | pg-cve | freeze.platform-change |"},
		{FormatMarkdown, "| platform |  | waiver.used |"},
		{FormatGitHub, "::notice file=estate/platform.cue,title=waiver expiring · platform::waiver pg-cve for freeze.platform-change expires at 2026-11-30T23:00:00Z\n"},
	} {
		if got := write(t, c, tt.format, Options{}); !strings.Contains(got, tt.want) {
			t.Errorf("%s: want %q in\n%s", tt.format, tt.want, got)
		}
	}
}

// TestEndlessWindows holds every format to saying that a window whose
// occurrences leave no gap has no end, rather than printing where the
// calendar stopped following it.
func TestEndlessWindows(t *testing.T) {
	horizon := time.Date(2029, 11, 30, 23, 0, 0, 0, time.UTC)
	c := sample()
	c.Freeze = []Forecast{{Tenant: "nordlys-kids", Environment: "production", Window: "ops-lock", Scope: "tenant nordlys-kids",
		Ends: horizon, TimeZone: "Europe/Oslo", Endless: true}}
	c.Calendar = []CalendarChange{{Window: "ops-lock", Calendar: "tenant", Owner: "nordlys-kids", Change: WindowRemoved,
		Tenants: []string{"nordlys-kids"}, Ends: horizon, Endless: true}}
	want := map[string][]string{
		"text": {"nordlys-kids/production: window ops-lock (tenant nordlys-kids) until further notice\n",
			`it froze nordlys-kids until further notice`},
		"markdown": {"| nordlys-kids | production | ops-lock | tenant nordlys-kids | no end (its occurrences leave no gap) |",
			"| removed | nordlys-kids | no end (its occurrences leave no gap) |"},
		"github": {"held back by freeze window ops-lock (tenant nordlys-kids) until further notice\n",
			`it froze nordlys-kids until further notice`},
		"json": {`"endless": true`},
	}
	for format, subs := range want {
		got := write(t, c, format, Options{})
		for _, s := range subs {
			if !strings.Contains(got, s) {
				t.Errorf("%s: want %q in\n%s", format, s, got)
			}
		}
		if format != "json" && strings.Contains(got, "2029") {
			t.Errorf("%s: the calendar's horizon shows as an end:\n%s", format, got)
		}
	}
}

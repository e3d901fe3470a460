package report

import (
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/policy"
)

func TestEscapeWorkflowCommand(t *testing.T) {
	for _, tc := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A literal", "%250A literal", "%250A literal"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
	} {
		if got := escapeData(tc.in); got != tc.data {
			t.Errorf("escapeData(%q) = %q, want %q", tc.in, got, tc.data)
		}
		if got := escapeProperty(tc.in); got != tc.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", tc.in, got, tc.prop)
		}
	}
}

func TestGitHub(t *testing.T) {
	got := write(t, sample(), FormatGitHub, Options{})
	want := `::warning file=estate/tenants/acme.cue,title=images.signed · acme::acme: image odoo:17 is not signed by a trusted key
::notice file=estate/tenants/acme.cue,title=waived%3A freeze.window-active · acme/production::acme/production: freeze window black-friday is active%0Awaived by bg-1
::warning title=platform.note · ghost::ghost: no file known
::error file=estate/tenants/nordlys-kids.cue,line=14,col=9,title=replicas.min-production · nordlys-kids/production::nordlys-kids/production Deployment nordlys-kids-prod/web: web has 1 replica | want >= 2 <b>now</b>%0Afix: set replicas.web to 2
::warning file=estate/platform.cue,line=40,col=3,title=freeze window ended early · black-friday::window "black-friday" (platform) ends earlier: it froze nordlys-kids until 2026-11-30T23:00:00Z, now until 2026-11-29T23:00:00Z%0Areview: editing the calendar is how a change gets through a freeze
::notice file=estate/tenants/acme.cue,title=freeze forecast · acme/production::freeze window black-friday (platform) is active until 2026-11-30T23:00:00Z, but break-glass waiver bg-1 lets acme/production through
::notice file=estate/tenants/nordlys-kids.cue,title=freeze forecast · nordlys-kids/production::if merged now, nordlys-kids/production is held back by freeze window black-friday (platform) until 2026-11-30T23:00:00Z Europe/Oslo
palisade check: fail: 1 denial, 2 warnings, 1 waived; blast radius 2 tenants, 3 environments (2 production); 2 objects changed; 1 tenant frozen if merged now
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Hostile strings cannot end a command early or start another: every
// output line but the last is exactly one command.
func TestGitHubInjection(t *testing.T) {
	c := &Check{At: at, Results: []Finding{{
		Result: policy.Result{PolicyID: "x,title=y::z", Severity: policy.SeverityDeny, Tenant: "t\n::error::forged",
			Message: "m\n::warning file=a::b\r\n%0A", Remediation: "r\n::stop-commands::tok"},
		Position: Position{File: "dir,x/f:1.cue", Line: 3, Column: 4},
	}}, Waivers: []WaiverNote{{Tenant: "t", ID: "w,1", Policy: "p", Expires: ends, State: WaiverExpiring}}}
	got := write(t, c, FormatGitHub, Options{})
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), got)
	}
	wantFirst := "::error file=dir%2Cx/f%3A1.cue,line=3,col=4,title=x%2Ctitle=y%3A%3Az · t%0A%3A%3Aerror%3A%3Aforged::" +
		"t%0A::error::forged: m%0A::warning file=a::b%0D%0A%250A%0Afix: r%0A::stop-commands::tok"
	if lines[0] != wantFirst {
		t.Errorf("got  %s\nwant %s", lines[0], wantFirst)
	}
	if want := "::notice title=waiver expiring · t::waiver w,1 for p expires at 2026-11-30T23:00:00Z"; lines[1] != want {
		t.Errorf("got  %s\nwant %s", lines[1], want)
	}
	if !strings.HasPrefix(lines[2], "palisade check: fail: 1 denial") {
		t.Errorf("summary line %q", lines[2])
	}
}

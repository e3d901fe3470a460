package policy

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func expires(d time.Duration) string { return testAt.Add(d).Format(time.RFC3339) }

func frozenInput() Input {
	in := testInput("acme", "dedicated")
	in.Change = Change{Changed: true, Environments: []string{"production"}}
	in.Windows = []Window{blackFriday}
	return in
}

func breakGlass(id string, d time.Duration) Waiver {
	return Waiver{
		ID: id, Policy: FreezePolicy, Scope: WaiverScope{Window: "black-friday-2026"},
		Reason: "payment provider outage needs a hotfix", Ticket: "INC-4711",
		Approver: "cto@acme.example", Expires: expires(d), BreakGlass: true,
	}
}

// secretInput has a plaintext Secret in the production standby and one
// unpinned image in staging.
func secretInput() Input {
	in := testInput("acme", "dedicated")
	in.Environments[1].Objects = append(in.Environments[1].Objects, obj{
		"apiVersion": "v1", "kind": "Secret", "metadata": obj{"name": "admin", "namespace": "acme-prod"}})
	find(&in, 2, "Deployment", "odoo-web")["spec"].(obj)["template"].(obj)["spec"].(obj)["containers"].([]any)[0].(obj)["image"] = testRegistry + "/odoo/enterprise:18.0"
	in.Images = append(in.Images, Image{Ref: testRegistry + "/odoo/enterprise:18.0", Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111", Verified: true, Signer: "palisade-example"})
	return in
}

func TestWaivers(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name    string
		in      Input
		waivers []Waiver
		want    []string
		denied  bool
	}{{
		name:    "break-glass waiver lets a change through a freeze",
		in:      frozenInput(),
		waivers: []Waiver{breakGlass("hotfix", 48*time.Hour)},
		want: []string{
			"warn waiver.used ",
			"deny freeze.window-active production waived by hotfix",
		},
	}, {
		name:    "break-glass waiver expiring more than 72 hours ahead is ignored",
		in:      frozenInput(),
		waivers: []Waiver{breakGlass("hotfix", 73*time.Hour)},
		want: []string{
			"warn waiver.not-break-glass ",
			"deny freeze.window-active production",
		},
		denied: true,
	}, {
		name: "freeze waiver without breakGlass is ignored",
		in:   frozenInput(),
		waivers: []Waiver{func() Waiver {
			w := breakGlass("hotfix", time.Hour)
			w.BreakGlass = false
			return w
		}()},
		want: []string{
			"warn waiver.not-break-glass ",
			"deny freeze.window-active production",
		},
		denied: true,
	}, {
		name:    "waiver for another window is unused",
		in:      frozenInput(),
		waivers: []Waiver{func() Waiver { w := breakGlass("hotfix", time.Hour); w.Scope.Window = "month-end"; return w }()},
		want: []string{
			"warn waiver.unused ",
			"deny freeze.window-active production",
		},
		denied: true,
	}, {
		name: "a waiver not approved (platform.approvers) is ignored and reported",
		in:   frozenInput(),
		waivers: []Waiver{func() Waiver {
			w := breakGlass("hotfix", time.Hour)
			w.NotApproved = "its approver cto@acme.example is not one of the platform's approvers (ops@acme.example)"
			return w
		}()},
		want: []string{
			"warn waiver.not-approved ",
			"deny freeze.window-active production",
		},
		denied: true,
	}, {
		name:    "expired waiver is ignored and reported",
		in:      frozenInput(),
		waivers: []Waiver{breakGlass("hotfix", 0)},
		want: []string{
			"warn waiver.expired ",
			"deny freeze.window-active production",
		},
		denied: true,
	}, {
		name: "environment scope matches a standby by its class, object scope by Kind/name",
		in:   secretInput(),
		waivers: []Waiver{
			{ID: "legacy-secret", Policy: "security.plaintext-secret", Scope: WaiverScope{Environment: "production", Object: "Secret/admin"}, Expires: expires(24 * time.Hour)},
			{ID: "other-secret", Policy: "security.plaintext-secret", Scope: WaiverScope{Object: "Secret/other"}, Expires: expires(24 * time.Hour)},
			{ID: "staging-secret", Policy: "security.plaintext-secret", Scope: WaiverScope{Environment: "staging"}, Expires: expires(24 * time.Hour)},
			{ID: "tag", Policy: "supply-chain.digest", Scope: WaiverScope{Image: testRegistry + "/odoo/enterprise"}, Expires: expires(24 * time.Hour)},
		},
		want: []string{
			"warn waiver.unused ",
			"deny security.plaintext-secret production-standby Secret/admin waived by legacy-secret",
			"deny supply-chain.digest staging waived by tag",
			"warn waiver.unused staging",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Waivers = tt.waivers
			res := evaluate(t, e, in)
			if got := ids(res); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if Denied(res) != tt.denied {
				t.Errorf("Denied = %v, want %v", Denied(res), tt.denied)
			}
		})
	}
}

func TestWaiverMessages(t *testing.T) {
	e := newTestEngine(t)
	in := frozenInput()
	long := breakGlass("long", 73*time.Hour)
	long.Expires = testAt.Add(73*time.Hour + 30*time.Second).Format(time.RFC3339)
	in.Waivers = []Waiver{breakGlass("hotfix", 48*time.Hour), {ID: "old", Policy: "resilience.pdb", Expires: expires(-time.Hour)}, long}
	res := evaluate(t, e, in)
	var got []string
	for _, r := range res {
		if strings.HasPrefix(r.PolicyID, "waiver.") {
			got = append(got, r.PolicyID+" "+strings.Join(r.Path, ".")+": "+r.Message)
		}
	}
	want := []string{
		// In the tenant's time zone, as the windows' ends: seconds only
		// when there are some.
		`waiver.expired tenants.acme.waivers.old: waiver "old" for resilience.pdb expired at 2026-11-27 09:00 Europe/Paris and is ignored`,
		`waiver.not-break-glass tenants.acme.waivers.long: break-glass waiver "long" expires at 2026-11-30 11:00:30 Europe/Paris, more than 72 hours after 2026-11-27 10:00 Europe/Paris, and is ignored`,
		`waiver.used tenants.acme.waivers.hotfix: break-glass waiver "hotfix" lets freeze.window-active through (1 result(s)), approved by cto@acme.example, ticket INC-4711, until 2026-11-29 10:00 Europe/Paris`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// platformFrozen are the inputs freeze.platform-change judges when the
// shared PostgreSQL cluster's image changes while acme's Black Friday and
// bravo's month-end close apply: acme's production and staging, bravo's
// production.
func platformFrozen() []Input {
	change := func(envs ...string) Change {
		c := Change{Environments: []string{}}
		for _, env := range envs {
			c.Platform = append(c.Platform, PlatformChange{Environment: env, Objects: []PlatformObjectChange{{
				Object: Object{Kind: "Cluster", Namespace: "postgres-shared", Name: "pg-shared"},
				Change: "changed", Fields: []string{"spec.imageName"},
			}}})
		}
		return c
	}
	acme := testInput("acme", "shared")
	acme.Environments = nil
	acme.Windows, acme.Change, acme.Waivers = []Window{blackFriday}, change("production", "staging"), []Waiver{}
	bravo := testInput("bravo", "shared")
	bravo.Environments = nil
	monthEnd := blackFriday
	monthEnd.Name, monthEnd.Kind, monthEnd.Calendar, monthEnd.Scope = "month-end-close", "financial-close", "platform", WindowScope{Level: "platform"}
	bravo.Windows, bravo.Change, bravo.Waivers = []Window{monthEnd}, change("production"), []Waiver{}
	return []Input{acme, bravo}
}

func platformBreakGlass(id string, d time.Duration, scope WaiverScope) Waiver {
	return Waiver{
		ID: id, Policy: PlatformPolicy, Scope: scope,
		Reason: "PostgreSQL CVE-2026-1234 is exploited in the wild", Ticket: "SEC-77",
		Approver: "platform-lead@palisade.example", Expires: expires(d), BreakGlass: true,
	}
}

func TestPlatformWaivers(t *testing.T) {
	e := newTestEngine(t)
	denied := func(t *testing.T) []Result {
		res, err := e.EvaluatePlatform(t.Context(), platformFrozen())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// who formats a result with whom it is about; the platform's notes
	// have no tenant.
	who := func(res []Result) []string {
		out := ids(res)
		for i, r := range res {
			out[i] = cmpOr(r.Tenant, "platform") + ": " + out[i]
		}
		return out
	}
	tests := []struct {
		name    string
		waivers []Waiver
		want    []string
		denied  bool
	}{{
		name: "no waiver: every frozen tenant denies",
		want: []string{
			"acme: deny freeze.platform-change production",
			"acme: deny freeze.platform-change staging",
			"bravo: deny freeze.platform-change production",
		},
		denied: true,
	}, {
		name:    "an unscoped waiver lets the change through every window",
		waivers: []Waiver{platformBreakGlass("pg-cve", 24*time.Hour, WaiverScope{})},
		want: []string{
			"platform: warn waiver.used ",
			"acme: deny freeze.platform-change production waived by pg-cve",
			"acme: deny freeze.platform-change staging waived by pg-cve",
			"bravo: deny freeze.platform-change production waived by pg-cve",
		},
	}, {
		name: "scoped by tenant, window and environment class",
		waivers: []Waiver{
			platformBreakGlass("acme-prod", 24*time.Hour, WaiverScope{Tenant: "acme", Environment: "production"}),
			platformBreakGlass("close", 24*time.Hour, WaiverScope{Window: "month-end-close"}),
			platformBreakGlass("nobody", 24*time.Hour, WaiverScope{Tenant: "charlie"}),
		},
		want: []string{
			"platform: warn waiver.unused ",
			"platform: warn waiver.used ",
			"platform: warn waiver.used production",
			"acme: deny freeze.platform-change production waived by acme-prod",
			"acme: deny freeze.platform-change staging",
			"bravo: deny freeze.platform-change production waived by close",
		},
		denied: true,
	}, {
		name: "not approved (platform.approvers): ignored, with how to approve it",
		waivers: []Waiver{func() Waiver {
			w := platformBreakGlass("pg-cve", 24*time.Hour, WaiverScope{})
			w.NotApproved = "it carries no signature of its approver cto@acme.example"
			return w
		}()},
		want: []string{
			"platform: warn waiver.not-approved ",
			"acme: deny freeze.platform-change production",
			"acme: deny freeze.platform-change staging",
			"bravo: deny freeze.platform-change production",
		},
		denied: true,
	}, {
		name:    "expired, or expiring more than 72 hours ahead: ignored",
		waivers: []Waiver{platformBreakGlass("late", 73*time.Hour, WaiverScope{}), platformBreakGlass("old", 0, WaiverScope{})},
		want: []string{
			"platform: warn waiver.expired ",
			"platform: warn waiver.not-break-glass ",
			"acme: deny freeze.platform-change production",
			"acme: deny freeze.platform-change staging",
			"bravo: deny freeze.platform-change production",
		},
		denied: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ApplyPlatformWaivers(testAt, PlatformPolicy, tt.waivers, denied(t))
			if err != nil {
				t.Fatal(err)
			}
			SortResults(res)
			if got := who(res); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if Denied(res) != tt.denied {
				t.Errorf("Denied = %v, want %v", Denied(res), tt.denied)
			}
		})
	}
}

func TestPlatformWaiverMessages(t *testing.T) {
	e := newTestEngine(t)
	res, err := e.EvaluatePlatform(t.Context(), platformFrozen())
	if err != nil {
		t.Fatal(err)
	}
	res, err = ApplyPlatformWaivers(testAt, PlatformPolicy, []Waiver{platformBreakGlass("pg-cve", 24*time.Hour, WaiverScope{})}, res)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		if strings.HasPrefix(r.PolicyID, "waiver.") {
			got = append(got, r.PolicyID+" "+strings.Join(r.Path, ".")+": "+r.Message)
		}
	}
	want := []string{`waiver.used platform.waivers.pg-cve: platform break-glass waiver "pg-cve" lets freeze.platform-change through the windows of acme, bravo (3 result(s)), approved by platform-lead@palisade.example, ticket SEC-77, until 2026-11-28T09:00:00Z`}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestNotApprovedMessage: the note says why the waiver is not in force and
// how its approver signs it, naming the waiver as the waiver commands do.
func TestNotApprovedMessage(t *testing.T) {
	w := platformBreakGlass("pg-cve", 24*time.Hour, WaiverScope{})
	w.NotApproved = "it carries no signature of its approver cto@acme.example"
	res, err := ApplyPlatformWaivers(testAt, PlatformPolicy, []Waiver{w}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].PolicyID != WaiverNotApproved {
		t.Fatalf("got %+v, want one waiver.not-approved note", res)
	}
	r := res[0]
	if want := `waiver "pg-cve" for freeze.platform-change is not approved and is ignored: it carries no signature of its approver cto@acme.example`; r.Message != want {
		t.Errorf("message %q, want %q", r.Message, want)
	}
	if !strings.Contains(r.Remediation, "palisade waiver sign --key <their cosign key> --platform --waiver pg-cve") {
		t.Errorf("remediation %q does not say how to sign the platform waiver", r.Remediation)
	}
	in := frozenInput()
	tw := breakGlass("hotfix", time.Hour)
	tw.NotApproved = "it carries no signature of its approver cto@acme.example"
	res, err = applyWaivers(&Input{At: in.At, Tenant: in.Tenant, Waivers: []Waiver{tw}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !strings.Contains(res[0].Remediation, "--tenant acme --waiver hotfix") {
		t.Errorf("got %+v, want a note naming --tenant acme --waiver hotfix", res)
	}
}

func TestUnusedWaiverSuggestsTheBuiltinID(t *testing.T) {
	in := frozenInput()
	w := breakGlass("hotfix", time.Hour)
	for policyID, want := range map[string]string{
		"freeze.window-activ":  `waiver "hotfix" for freeze.window-activ matches no result; no built-in policy has that id: did you mean freeze.window-active?`,
		"acme.image-labels":    `waiver "hotfix" for acme.image-labels matches no result`,
		"freeze.window-active": `waiver "hotfix" for freeze.window-active matches no result`,
	} {
		w.Policy = policyID
		res, err := applyWaivers(&Input{At: in.At, Tenant: in.Tenant, Waivers: []Waiver{w}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].PolicyID != WaiverUnused || res[0].Message != want {
			t.Errorf("policy %s: got %+v, want one waiver.unused note %q", policyID, res, want)
		}
	}
}

// TestPlatformWaiverForLifted: a platform waiver for freeze.window-lifted
// lets a platform window's early end through for every tenant it applies
// to, and is left out where freeze.platform-change waivers apply (it is
// not reported unused there).
func TestPlatformWaiverForLifted(t *testing.T) {
	lifted := func(tenant string) Result {
		return Result{PolicyID: LiftedPolicy, Severity: SeverityDeny, Tenant: tenant, Window: "month-end-close", Message: "ends early"}
	}
	results := []Result{lifted("acme"), lifted("bigco"), {PolicyID: PlatformPolicy, Severity: SeverityDeny, Tenant: "acme", Window: "month-end-close"}}
	w := platformBreakGlass("close-over", 24*time.Hour, WaiverScope{Window: "month-end-close"})
	w.Policy = LiftedPolicy
	res, err := ApplyPlatformWaivers(testAt, PlatformPolicy, []Waiver{w}, slices.Clone(results))
	if err != nil || len(res) != 3 || slices.ContainsFunc(res, func(r Result) bool { return r.Waived }) {
		t.Fatalf("applied as freeze.platform-change waivers: %+v (%v), want the results untouched", res, err)
	}
	res, err = ApplyPlatformWaivers(testAt, LiftedPolicy, []Waiver{w}, slices.Clone(results))
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Waived || !res[1].Waived || res[2].Waived {
		t.Errorf("waived %v %v %v, want both lifted results and not the platform change", res[0].Waived, res[1].Waived, res[2].Waived)
	}
	if len(res) != 4 || res[3].PolicyID != WaiverUsed || !strings.Contains(res[3].Message, "lets freeze.window-lifted through the windows of acme, bigco (2 result(s))") {
		t.Errorf("notes %+v", res[3:])
	}
	w.BreakGlass = false
	if res, _ = ApplyPlatformWaivers(testAt, LiftedPolicy, []Waiver{w}, slices.Clone(results)); res[0].Waived || res[len(res)-1].PolicyID != WaiverNotBreakGlass {
		t.Errorf("a waiver without breakGlass: %+v", res)
	}
}

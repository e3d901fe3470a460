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
	in.Waivers = []Waiver{breakGlass("hotfix", 48*time.Hour), {ID: "old", Policy: "resilience.pdb", Expires: expires(-time.Hour)}}
	res := evaluate(t, e, in)
	var got []string
	for _, r := range res {
		if strings.HasPrefix(r.PolicyID, "waiver.") {
			got = append(got, r.PolicyID+" "+strings.Join(r.Path, ".")+": "+r.Message)
		}
	}
	want := []string{
		`waiver.expired tenants.acme.waivers.old: waiver "old" for resilience.pdb expired at 2026-11-27T08:00:00Z and is ignored`,
		`waiver.used tenants.acme.waivers.hotfix: break-glass waiver "hotfix" lets freeze.window-active through (1 result(s)), approved by cto@acme.example, ticket INC-4711, until 2026-11-29T09:00:00Z`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

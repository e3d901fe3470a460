package cli

import (
	"regexp"
	"strings"
	"testing"
)

func TestDraftID(t *testing.T) {
	dnsLabel := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	for _, tt := range []struct{ ticket, window, want string }{
		{"OPS-2212", "black-friday-2026", "ops-2212-black-friday-2026"},
		{"OPS-2212", "", "ops-2212"},
		{"  JIRA #77 / urgent ", "month-end-close", "jira-77-urgent-month-end-close"},
		{"Économie", "x", "conomie-x"},
		{"---", "", "break-glass"},
		{"", "", "break-glass"},
		{"", "black-friday-2026", "black-friday-2026"},
		{strings.Repeat("a", 60), "window-name", strings.Repeat("a", 60) + "-wi"},
		{strings.Repeat("a", 62), "window", strings.Repeat("a", 62)},
	} {
		got := draftID(tt.ticket, tt.window)
		if got != tt.want {
			t.Errorf("draftID(%q, %q) = %q, want %q", tt.ticket, tt.window, got, tt.want)
		}
		if len(got) > 63 || !dnsLabel.MatchString(got) {
			t.Errorf("draftID(%q, %q) = %q: not a DNS label", tt.ticket, tt.window, got)
		}
	}
}

package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// writeGitHub writes GitHub Actions workflow commands: ::error for each
// standing denial, ::warning for each warning, ::notice for each waived
// denial, freeze forecast and expiring waiver, for each denial a policy
// change relaxes ::error (a tenant the change alters) or ::warning, and
// ::warning for each rule a policy change removes and for each tenant
// environment whose change removes objects
// holding data, each pointing at the CUE source (file relative to the
// repository root, line, col) when known; then one plain summary line.
func writeGitHub(w io.Writer, c *Check, _ Options) error {
	p := &textPrinter{w: w}
	files := c.tenantFiles()
	for _, f := range c.Results {
		cmd := "warning"
		title := f.PolicyID + " · " + subject(f.Tenant, f.Environment)
		msg := where(f.Result) + ": " + f.Message
		switch {
		case f.Denies():
			cmd = "error"
			if f.Remediation != "" {
				msg += "\nfix: " + f.Remediation
			}
		case f.Severity == policy.SeverityDeny:
			cmd = "notice"
			title = "waived: " + title
			msg += "\nwaived by " + f.WaiverID
		}
		p.command(cmd, c.repoPos(c.anchor(f, files)), title, msg)
	}
	if c.Policies != nil {
		for _, r := range c.Policies.Relaxed {
			cmd, why := "warning", "review the policy change"
			if r.InputsChanged {
				cmd, why = "error", "the change also alters the tenant, so it may not relax its own policies"
			}
			p.command(cmd, c.repoPos(c.anchor(r.Finding, files)), "relaxed by a policy change: "+r.PolicyID+" · "+subject(r.Tenant, r.Environment),
				fmt.Sprintf("the base revision's policies deny %s: %s\nthis change's policy files (%s) let it through; %s",
					where(r.Result), r.Message, strings.Join(c.Policies.Files, ", "), why))
		}
		for _, id := range c.Policies.RulesRemoved {
			p.command("warning", Position{}, "rule removed by a policy change: "+id,
				fmt.Sprintf("%s no longer judges any tenant once this change (%s) is merged; review the policy change",
					id, strings.Join(c.Policies.Files, ", ")))
		}
	}
	for _, cc := range c.Calendar {
		p.command("warning", c.repoPos(cc.Position), "freeze window ended early · "+cc.Window,
			cc.describe()+"\nreview: editing the calendar is how a change gets through a freeze")
	}
	for _, f := range c.Freeze {
		title := "freeze forecast · " + subject(f.Tenant, f.Environment)
		msg := fmt.Sprintf("if merged now, %s is held back by freeze window %s (%s) until %s",
			subject(f.Tenant, f.Environment), f.Window, f.Scope, endText(f.Ends, f.TimeZone, f.Endless))
		if f.Waived {
			msg = fmt.Sprintf("freeze window %s (%s) is active until %s, but break-glass waiver %s lets %s through",
				f.Window, f.Scope, endText(f.Ends, "", f.Endless), f.Waiver, subject(f.Tenant, f.Environment))
		}
		p.command("notice", c.repoPos(Position{File: files[f.Tenant]}), title, msg)
	}
	for _, wv := range c.Waivers {
		file := files[wv.Tenant]
		if wv.Tenant == "" {
			file = c.PlatformFile
		}
		switch wv.State {
		case WaiverExpiring:
			p.command("notice", c.repoPos(Position{File: file}), "waiver expiring · "+owner(wv.Tenant),
				fmt.Sprintf("waiver %s for %s expires at %s", wv.ID, wv.Policy, wv.Expires.Format(time.RFC3339)))
		case WaiverNotApproved:
			p.command("warning", c.repoPos(Position{File: file}), "waiver not approved · "+owner(wv.Tenant),
				fmt.Sprintf("waiver %s for %s is not in force: its approver has not signed it (palisade waiver sign)", wv.ID, wv.Policy))
		}
	}
	for _, d := range c.Diffs {
		var lost []string
		for _, o := range d.Objects {
			if slices.Contains(o.Flags, FlagDataLoss) {
				lost = append(lost, objectName(o.Kind, o.Namespace, o.Name))
			}
		}
		if len(lost) > 0 {
			tenant, _, _ := strings.Cut(d.Tenant, "/")
			p.command("warning", c.repoPos(Position{File: files[tenant]}), "data loss · "+d.Tenant,
				fmt.Sprintf("the change removes %s: the data they hold goes with them; make sure it is backed up or moved", strings.Join(lost, ", ")))
		}
	}
	p.line("%s", summaryLine(c))
	return p.err
}

// command writes one workflow command, escaped: the message (data) and
// the properties can hold no line break, and a property no ':' or ','.
func (p *textPrinter) command(cmd string, pos Position, title, msg string) {
	var props []string
	if pos.IsValid() {
		props = append(props, "file="+escapeProperty(pos.File))
		if pos.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", pos.Line))
			if pos.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", pos.Column))
			}
		}
	}
	props = append(props, "title="+escapeProperty(title))
	p.line("::%s %s::%s", cmd, strings.Join(props, ","), escapeData(msg))
}

// escapeData escapes a workflow command's message as the runner expects
// (actions/toolkit command.ts escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value
// (actions/toolkit command.ts escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func subject(tenant, env string) string {
	if env == "" {
		return owner(tenant)
	}
	return owner(tenant) + "/" + env
}

// summaryLine is the one-line verdict the github format ends with.
func summaryLine(c *Check) string {
	t := tallyOf(c)
	s := fmt.Sprintf("palisade check: %s: %s, %s", c.Verdict,
		plural(t.denials, "denial", "denials"), plural(t.warnings, "warning", "warnings"))
	if t.waived > 0 {
		s += fmt.Sprintf(", %d waived", t.waived)
	}
	s += fmt.Sprintf("; blast radius %s, %s (%d production); %s changed",
		plural(c.Blast.Counts.Tenants, "tenant", "tenants"),
		plural(c.Blast.Counts.Environments, "environment", "environments"),
		c.Blast.Counts.Production, plural(t.objects, "object", "objects"))
	if len(t.frozen) > 0 {
		s += fmt.Sprintf("; %s frozen if merged now", plural(len(t.frozen), "tenant", "tenants"))
	}
	if c.Policies != nil {
		s += fmt.Sprintf("; policy changes relax %s (%d for tenants the change alters)",
			plural(len(c.Policies.Relaxed), "denial", "denials"), len(c.Policies.SelfApproved()))
	}
	return s
}

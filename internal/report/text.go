package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// writeText writes the report for a terminal: the summary, then every
// denial, waived denial and warning about a waiver with its position,
// other warnings counted by policy id, the freeze forecast, the waivers,
// the blast radius and the changed objects (their diffs with
// Options.Diffs). Control characters in user-supplied strings
// are shown escaped, never sent to the terminal.
func writeText(w io.Writer, c *Check, opts Options) error {
	t := tallyOf(c)
	p := &textPrinter{w: w}
	p.line("palisade check: %s", strings.ToUpper(c.Verdict))
	p.line("  base %s → head %s, at %s", revText(c.Base), revText(c.Head), c.At.Format(time.RFC3339))
	p.line("  blast radius: %s", blastText(c.Blast.Counts))
	p.line("  denials: %d%s, warnings: %d", t.denials, ifText(t.waived > 0, fmt.Sprintf(" (+%d waived)", t.waived)), t.warnings)
	if len(t.frozen) > 0 {
		p.line("  frozen if merged now: %s (%s)", clean(strings.Join(t.frozen, ", ")), plural(len(t.frozen), "tenant", "tenants"))
	}
	if len(c.Calendar) > 0 {
		p.line("  freeze windows ended early: %d (review)", len(c.Calendar))
	}
	if c.Policies != nil {
		p.line("  policy changes: %s, %s relaxed (%d for tenants the change alters)", plural(len(c.Policies.Files), "file", "files"),
			plural(len(c.Policies.Relaxed), "denial", "denials"), len(c.Policies.SelfApproved()))
	}
	if t.objects > 0 {
		p.line("  changed objects: %d (%d added, %d removed, %d changed) in %s",
			t.objects, t.added, t.removed, t.changed, plural(len(c.Diffs), "tenant environment", "tenant environments"))
	}
	if flags := flagSummary(FlagCounts(c.Diffs)); len(flags) > 0 {
		p.line("  review flags: %s", strings.Join(flags, ", "))
	}

	files := c.tenantFiles()
	section := func(title string, keep func(Finding) bool) {
		first := true
		for _, f := range c.Results {
			if !keep(f) {
				continue
			}
			if first {
				p.blank()
				p.line("%s:", title)
				first = false
			}
			p.line("  %s %s: %s", clean(f.PolicyID), clean(where(f.Result)), clean(f.Message))
			if loc := c.repoPos(location(f, files)); loc.IsValid() {
				p.line("      at %s", clean(loc.String()))
			}
			if f.Waived {
				p.line("      waived by %s", clean(f.WaiverID))
			}
			if f.Remediation != "" && f.Severity == policy.SeverityDeny && !f.Waived {
				p.line("      fix: %s", clean(f.Remediation))
			}
		}
	}
	section("denials", Finding.Denies)
	if c.Policies != nil {
		p.blank()
		p.line("policy changes: %s", clean(strings.Join(c.Policies.Files, ", ")))
		if r := c.Policies.RulesAdded; len(r) > 0 {
			p.line("  rules added: %s", clean(strings.Join(r, ", ")))
		}
		if r := c.Policies.RulesRemoved; len(r) > 0 {
			p.line("  rules removed (review: they no longer judge any tenant): %s", clean(strings.Join(r, ", ")))
		}
		for _, self := range []bool{true, false} {
			first := true
			for _, r := range c.Policies.Relaxed {
				if r.InputsChanged != self {
					continue
				}
				if first {
					title := "relaxed for a tenant the change does not alter (review)"
					if self {
						title = "relaxed for a tenant the change also alters (the check fails)"
					}
					p.line("  %s:", title)
					first = false
				}
				p.line("    %s %s: %s", clean(r.PolicyID), clean(where(r.Result)), clean(r.Message))
				if loc := c.repoPos(location(r.Finding, files)); loc.IsValid() {
					p.line("        at %s", clean(loc.String()))
				}
			}
		}
		if len(c.Policies.Relaxed) == 0 {
			p.line("  head's policies deny all the base revision's policies deny")
		}
	}
	section("waived", func(f Finding) bool { return f.Severity == policy.SeverityDeny && f.Waived })
	section("waiver warnings", func(f Finding) bool { return f.Severity != policy.SeverityDeny && isWaiverNote(f) })
	// Other warnings are counted by policy id, as `palisade validate`
	// does; the json format lists them.
	counts := map[string]int{}
	var ids []string
	for _, f := range c.Results {
		if f.Severity == policy.SeverityDeny || isWaiverNote(f) {
			continue
		}
		if counts[f.PolicyID] == 0 {
			ids = append(ids, f.PolicyID)
		}
		counts[f.PolicyID]++
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("%s ×%d", clean(id), counts[id])
		}
		p.blank()
		p.line("warnings: %s (--format json lists them)", strings.Join(parts, ", "))
	}

	if len(c.Calendar) > 0 {
		p.blank()
		p.line("freeze windows this change ends early (review):")
		for _, cc := range c.Calendar {
			p.line("  %s", clean(cc.describe()))
			if loc := c.repoPos(cc.Position); loc.IsValid() {
				p.line("      at %s", clean(loc.String()))
			}
		}
	}
	if len(c.Freeze) > 0 {
		p.blank()
		p.line("freeze forecast (held back if merged now):")
		for _, f := range c.Freeze {
			subject := f.Tenant
			if f.Environment != "" {
				subject += "/" + f.Environment
			}
			p.line("  %s: window %s (%s) until %s%s", clean(subject), clean(f.Window), clean(f.Scope),
				clean(endText(f.Ends, f.TimeZone, f.Endless)), ifText(f.Waived, ", waived by "+clean(f.Waiver)))
		}
	}
	if len(c.Waivers) > 0 {
		p.blank()
		p.line("waivers:")
		for _, wv := range c.Waivers {
			p.line("  %s %s for %s: %s, expires %s", clean(owner(wv.Tenant)), clean(wv.ID), clean(wv.Policy), clean(wv.State), wv.Expires.Format(time.RFC3339))
		}
	}
	if len(c.Blast.Tenants) > 0 {
		p.blank()
		p.line("blast radius:")
		for _, b := range c.Blast.Tenants {
			envs := strings.Join(b.Environments, ",")
			if len(b.Production) > 0 {
				envs += fmt.Sprintf(" (%d production)", len(b.Production))
			}
			p.line("  %s [%s] %s %s: %s", clean(b.Tenant), clean(b.Tier), clean(b.Change), clean(envs), clean(strings.Join(b.Reasons, "; ")))
		}
	}
	if len(c.Diffs) > 0 {
		p.blank()
		p.line("changes:")
		for _, d := range c.Diffs {
			p.line("  %s: %s", clean(d.Tenant), objectCounts(d.Objects))
			for _, o := range d.Objects {
				flags := ""
				if len(o.Flags) > 0 {
					flags = " [" + strings.Join(o.Flags, ", ") + "]"
				}
				p.line("    %s %s%s", changeMark(o.Change), clean(objectName(o.Kind, o.Namespace, o.Name)), flags)
				if opts.Diffs {
					for _, l := range strings.SplitAfter(strings.TrimSuffix(o.Unified, "\n"), "\n") {
						p.line("      %s", cleanLine(strings.TrimSuffix(l, "\n")))
					}
				}
			}
		}
	}
	if len(c.Notes) > 0 {
		p.blank()
		p.line("notes:")
		for _, n := range c.Notes {
			p.line("  - %s", clean(n))
		}
	}
	return p.err
}

type textPrinter struct {
	w   io.Writer
	err error
}

func (p *textPrinter) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *textPrinter) blank() { p.line("") }

func revText(r Rev) string {
	switch {
	case r.Commit == "" && r.Ref == "":
		return "(unknown)"
	case r.Commit == "":
		return clean(r.Ref)
	case r.Ref == "" || r.Ref == r.Commit:
		return clean(shortCommit(r.Commit))
	default:
		return clean(shortCommit(r.Commit)) + " (" + clean(r.Ref) + ")"
	}
}

func blastText(n Counts) string {
	s := plural(n.Tenants, "tenant", "tenants")
	if n.Added > 0 || n.Removed > 0 {
		s += fmt.Sprintf(" (%d added, %d removed)", n.Added, n.Removed)
	}
	return s + ", " + plural(n.Tiers, "tier", "tiers") + ", " +
		plural(n.Environments, "environment", "environments") +
		fmt.Sprintf(" (%d production)", n.Production)
}

func objectCounts(objs []ObjectDiff) string {
	var a, r, c int
	for _, o := range objs {
		switch o.Change {
		case Added:
			a++
		case Removed:
			r++
		default:
			c++
		}
	}
	return fmt.Sprintf("%s (%d added, %d removed, %d changed)", plural(len(objs), "object", "objects"), a, r, c)
}

func changeMark(change string) string {
	switch change {
	case Added:
		return "+"
	case Removed:
		return "-"
	default:
		return "~"
	}
}

func ifText(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// clean makes a user-supplied string safe for one terminal line: control
// characters (newlines and escape sequences included) are shown as Go
// escapes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case isControl(r) && r <= 0xff:
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanLine is clean for a diff line: tabs stay.
func cleanLine(s string) string {
	parts := strings.Split(s, "\t")
	for i := range parts {
		parts[i] = clean(parts[i])
	}
	return strings.Join(parts, "\t")
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// isWaiverNote reports whether f is the engine's note about a waiver
// (expired, unused, used break-glass, ...).
func isWaiverNote(f Finding) bool { return strings.HasPrefix(f.PolicyID, "waiver.") }

// Names lists names, at most max of them and how many more.
func Names(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

package report

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// moreHint tells a reader of a truncated markdown report where the rest is.
const moreHint = "run palisade check locally or see the JSON artefact"

// Caps that keep one part of a markdown report from crowding out the rest.
const (
	mdMaxRows      = 100  // rows of one table
	mdMaxNotes     = 10   // notes
	mdMaxFrozen    = 10   // tenants named in the summary's freeze line, files in the policy changes
	mdMaxCell      = 300  // runes of one table cell, before escaping
	mdMaxNote      = 300  // runes of one note, before escaping
	mdMaxObjectRun = 6000 // width of one object's diff
	mdMaxDiffLine  = 1000 // width of one diff line
)

// writeMarkdown writes the report for a pull-request comment or a step
// summary, never wider than the limit (see Options.MarkdownLimit): the
// verdict and summary first, then the denials, freeze forecast and waivers
// as tables, then collapsible sections (blast radius, warnings, waived
// denials, and per tenant its rendered diffs). What does not fit is left
// out and said so.
func writeMarkdown(w io.Writer, c *Check, opts Options) error {
	limit := opts.MarkdownLimit
	switch {
	case limit == 0:
		limit = DefaultMarkdownLimit
	case limit < MinMarkdownLimit:
		limit = MinMarkdownLimit
	case limit > MaxMarkdownLimit:
		limit = MaxMarkdownLimit
	}
	m := &mdWriter{limit: limit, blobURL: strings.TrimSuffix(opts.BlobURL, "/")}
	// The footer, which names sections that did not fit, is reserved
	// first so it always fits.
	footerMax := width(m.footer([]string{"notes", "denials", "policy changes", "freeze windows ended early", "freeze forecast", "waivers", "blast radius", "warnings", "waived denials", "rendered changes"}))
	m.reserve(footerMax)
	m.summary(c)
	m.body(c)
	m.release(footerMax)
	m.put(m.footer(m.skipped))
	if m.used > limit || m.reserved != 0 {
		return fmt.Errorf("internal error: markdown report is %d characters for a limit of %d", m.used, limit)
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

// mdWriter builds markdown within a width budget. Everything goes through
// add, which refuses what does not fit beside the reserved width, or put,
// for text whose width was reserved beforehand.
type mdWriter struct {
	b        strings.Builder
	used     int
	reserved int
	limit    int
	blobURL  string
	skipped  []string
}

// width is how long GitHub considers s: its UTF-16 length.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func (m *mdWriter) fits(s string) bool { return m.used+width(s)+m.reserved <= m.limit }

func (m *mdWriter) add(s string) bool {
	if !m.fits(s) {
		return false
	}
	m.put(s)
	return true
}

func (m *mdWriter) put(s string) {
	m.b.WriteString(s)
	m.used += width(s)
}

func (m *mdWriter) reserve(n int) { m.reserved += n }
func (m *mdWriter) release(n int) { m.reserved -= n }

func (m *mdWriter) footer(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return fmt.Sprintf("_Not shown, for lack of room: %s; %s._\n", strings.Join(skipped, ", "), moreHint)
}

func (m *mdWriter) summary(c *Check) {
	t := tallyOf(c)
	icon, word := "✅", "passed"
	if c.Verdict == Fail {
		icon, word = "❌", "failed"
	}
	m.add(fmt.Sprintf("## %s Palisade check %s\n\n", icon, word))
	m.add(fmt.Sprintf("**Verdict: %s** · base %s → head %s · at %s\n\n",
		c.Verdict, revMD(c.Base), revMD(c.Head), c.At.Format(time.RFC3339)))

	n := c.Blast.Counts
	blast := fmt.Sprintf("- **Blast radius:** %s", plural(n.Tenants, "tenant", "tenants"))
	if n.Added > 0 || n.Removed > 0 {
		blast += fmt.Sprintf(" (%d added, %d removed)", n.Added, n.Removed)
	}
	blast += fmt.Sprintf(" in %s · %s, **%d production**\n",
		plural(n.Tiers, "tier", "tiers"), plural(n.Environments, "environment", "environments"), n.Production)
	m.add(blast)
	m.add(fmt.Sprintf("- **Denials:** %d standing, %d waived · **Warnings:** %d\n", t.denials, t.waived, t.warnings))
	if len(t.frozen) > 0 {
		names := make([]string, 0, mdMaxFrozen)
		for i, f := range t.frozen {
			if i == mdMaxFrozen {
				names = append(names, fmt.Sprintf("and %d more", len(t.frozen)-mdMaxFrozen))
				break
			}
			names = append(names, escMD(clip(f, 63)))
		}
		m.add(fmt.Sprintf("- **Frozen if merged now:** %s: %s\n", plural(len(t.frozen), "tenant", "tenants"), strings.Join(names, ", ")))
	}
	if len(c.Waivers) > 0 {
		line := fmt.Sprintf("- **Waivers:** %d used, %d expiring, %d expired, %d unused",
			t.waivers[WaiverUsed], t.waivers[WaiverExpiring], t.waivers[WaiverExpired], t.waivers[WaiverUnused])
		if n := t.waivers[WaiverNotApproved]; n > 0 {
			line += fmt.Sprintf(", **%d not approved** (unsigned by their approver: not in force)", n)
		}
		m.add(line + "\n")
	}
	if n := len(c.Calendar); n > 0 {
		tenants := 0
		for _, cc := range c.Calendar {
			tenants += len(cc.Tenants)
		}
		m.add(fmt.Sprintf("- **Freeze windows ended early:** %s, for %s (review)\n",
			plural(n, "window", "windows"), plural(tenants, "tenant", "tenants")))
	}
	if p := c.Policies; p != nil {
		m.add(fmt.Sprintf("- **Policy changes:** %s · %s relaxed, **%d for tenants this change alters**\n",
			plural(len(p.Files), "file", "files"), plural(len(p.Relaxed), "denial", "denials"), len(p.SelfApproved())))
	}
	changes := fmt.Sprintf("- **Rendered changes:** %s in %s (%d added, %d removed, %d changed)",
		plural(t.objects, "object", "objects"), plural(len(c.Diffs), "tenant environment", "tenant environments"), t.added, t.removed, t.changed)
	if flags := flagSummary(FlagCounts(c.Diffs)); len(flags) > 0 {
		changes += " · **review:** " + strings.Join(flags, ", ")
	}
	m.add(changes + "\n\n")

	var notes []string
	for _, n := range c.Notes {
		notes = append(notes, "- "+escMD(clip(n, mdMaxNote))+"\n")
	}
	m.list("notes", "notes", "**Notes**\n\n", "\n", notes, mdMaxNotes, m.limit/10)
}

func (m *mdWriter) body(c *Check) {
	files := c.tenantFiles()
	var denials, warnings, waived [][]string
	for _, f := range c.Results {
		row := []string{
			escMD(clip(owner(f.Tenant), mdMaxCell)),
			escMD(clip(f.Environment, mdMaxCell)),
			escMD(clip(f.PolicyID, mdMaxCell)),
			escMD(clip(objectCell(f.Object), mdMaxCell)),
			escMD(clip(f.Message, mdMaxCell)),
		}
		switch {
		case f.Denies():
			row = append(row, escMD(clip(f.Remediation, mdMaxCell)))
			denials = append(denials, append(row, m.source(c.repoPos(location(f, files)))))
		case f.Severity == policy.SeverityDeny:
			row = append(row, escMD(clip(f.WaiverID, mdMaxCell)))
			waived = append(waived, append(row, m.source(c.repoPos(location(f, files)))))
		default:
			warnings = append(warnings, append(row, m.source(c.repoPos(location(f, files)))))
		}
	}
	// Each section may take a share of the limit, so that a long one
	// leaves room for the rest.
	share := func(percent int) int { return m.limit * percent / 100 }
	m.table("denials", "denials", "### Denials\n\n", "",
		[]string{"Tenant", "Environment", "Policy", "Object", "Message", "Fix", "Source"}, denials, share(35))

	if p := c.Policies; p != nil {
		var relaxed [][]string
		for _, r := range p.Relaxed {
			alters := "no: review"
			if r.InputsChanged {
				alters = "**yes: fails**"
			}
			relaxed = append(relaxed, []string{
				escMD(clip(r.Tenant, mdMaxCell)), escMD(clip(r.Environment, mdMaxCell)), escMD(clip(r.PolicyID, mdMaxCell)),
				escMD(clip(objectCell(r.Object), mdMaxCell)), escMD(clip(r.Message, mdMaxCell)), alters,
				m.source(c.repoPos(location(r.Finding, files))),
			})
		}
		intro := fmt.Sprintf("### Policy changes\n\nThis change edits %s", firstNames(p.Files))
		for _, rs := range []struct {
			what string
			ids  []string
		}{{"adds", p.RulesAdded}, {"**removes**", p.RulesRemoved}} {
			if len(rs.ids) > 0 {
				intro += fmt.Sprintf("; it %s %s %s", rs.what, plural(len(rs.ids), "rule", "rules"), firstNames(rs.ids))
			}
		}
		intro += ". Head is judged by its own policies; "
		if len(relaxed) == 0 {
			m.add(intro + "they deny all that the base revision's policies deny.\n\n")
		} else {
			m.table("policy changes", "relaxed denials", intro+"the base revision's policies would also deny:\n\n", "",
				[]string{"Tenant", "Environment", "Policy", "Object", "Message", "Tenant altered", "Source"}, relaxed, share(15))
		}
	}

	var cal [][]string
	for _, cc := range c.Calendar {
		where := cc.Calendar
		if cc.Owner != "" {
			where += " " + cc.Owner
		}
		now := ""
		if !cc.EndsNow.IsZero() {
			now = cc.EndsNow.UTC().Format(time.RFC3339)
		}
		cal = append(cal, []string{
			escMD(clip(cc.Window, mdMaxCell)), escMD(clip(where, mdMaxCell)), escMD(cc.Change),
			escMD(clip(strings.Join(cc.Tenants, ", "), mdMaxCell)), escMD(mdEnd(cc.Ends.UTC(), "", cc.Endless)), escMD(now),
			m.source(c.repoPos(cc.Position)),
		})
	}
	m.table("freeze windows ended early", "windows", "### Freeze windows ended early\n\nActive now and ended early by this change (editing the calendar is how a change gets through a freeze):\n\n", "",
		[]string{"Window", "Defined in", "Change", "Tenants", "Froze until", "Now until", "Source"}, cal, share(5))

	var freeze [][]string
	for _, f := range c.Freeze {
		waiver := ""
		if f.Waived {
			waiver = "break-glass " + f.Waiver
		}
		ends := mdEnd(f.Ends, f.TimeZone, f.Endless)
		freeze = append(freeze, []string{
			escMD(clip(f.Tenant, mdMaxCell)), escMD(clip(f.Environment, mdMaxCell)), escMD(clip(f.Window, mdMaxCell)),
			escMD(clip(f.Scope, mdMaxCell)), escMD(clip(ends, mdMaxCell)), escMD(clip(waiver, mdMaxCell)),
		})
	}
	m.table("freeze forecast", "held-back tenants", "### Freeze forecast\n\nHeld back by a freeze window if merged now:\n\n", "",
		[]string{"Tenant", "Environment", "Window", "Scope", "Ends", "Waiver"}, freeze, share(10))

	var waivers [][]string
	for _, wv := range c.Waivers {
		waivers = append(waivers, []string{
			escMD(clip(owner(wv.Tenant), mdMaxCell)), escMD(clip(wv.ID, mdMaxCell)), escMD(clip(wv.Policy, mdMaxCell)),
			escMD(wv.Expires.Format(time.RFC3339)), escMD(clip(wv.State, mdMaxCell)),
		})
	}
	m.table("waivers", "waivers", "### Waivers\n\n", "",
		[]string{"Tenant", "Waiver", "Policy", "Expires", "State"}, waivers, share(5))

	var blast [][]string
	for _, t := range c.Blast.Tenants {
		blast = append(blast, []string{
			escMD(clip(t.Tenant, mdMaxCell)), escMD(clip(t.Tier, mdMaxCell)), escMD(clip(t.Change, mdMaxCell)),
			escMD(clip(strings.Join(t.Environments, ", "), mdMaxCell)),
			escMD(clip(strings.Join(t.Production, ", "), mdMaxCell)),
			escMD(clip(strings.Join(t.Reasons, "; "), mdMaxCell)),
		})
	}
	m.table("blast radius", "tenants", details(fmt.Sprintf("Blast radius: %s", plural(len(blast), "tenant", "tenants"))), "</details>\n\n",
		[]string{"Tenant", "Tier", "Change", "Environments", "Production", "Reasons"}, blast, share(10))
	m.table("warnings", "warnings", details(fmt.Sprintf("Warnings (%d)", len(warnings))), "</details>\n\n",
		[]string{"Tenant", "Environment", "Policy", "Object", "Message", "Source"}, warnings, share(10))
	m.table("waived denials", "waived denials", details(fmt.Sprintf("Waived denials (%d)", len(waived))), "</details>\n\n",
		[]string{"Tenant", "Environment", "Policy", "Object", "Message", "Waiver", "Source"}, waived, share(5))

	m.diffs(c.Diffs)
}

// details opens a collapsible section; summary is HTML-escaped.
func details(summary string) string {
	return "<details><summary>" + escHTML(summary) + "</summary>\n\n"
}

// list writes prefix, as many items as fit (at most maxItems, and
// maxWidth wide in all), a note saying how many of what (noun) were left
// out, and suffix. A list with no room even for its prefix and first item
// is named in the footer.
func (m *mdWriter) list(name, noun, prefix, suffix string, items []string, maxItems, maxWidth int) {
	if len(items) == 0 {
		return
	}
	note := func(n int) string { return fmt.Sprintf("\n_… %d more %s not shown; %s._\n", n, noun, moreHint) }
	held := width(note(len(items))) + width(suffix)
	if m.used+width(prefix)+width(items[0])+held+m.reserved > m.limit {
		m.skipped = append(m.skipped, name)
		return
	}
	m.reserve(held)
	m.put(prefix)
	shown, used := 0, width(prefix)
	for _, it := range items {
		w := width(it)
		if shown == maxItems || shown > 0 && used+w > maxWidth || !m.add(it) {
			break
		}
		shown++
		used += w
	}
	m.release(held)
	if shown < len(items) {
		m.put(note(len(items) - shown))
	}
	m.put(suffix)
}

// table writes a markdown table as a list of rows.
func (m *mdWriter) table(name, noun, prefix, suffix string, header []string, rows [][]string, maxWidth int) {
	if len(rows) == 0 {
		return
	}
	head := "| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat("---|", len(header)) + "\n"
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = "| " + strings.Join(r, " | ") + " |\n"
	}
	m.list(name, noun, prefix+head, "\n"+suffix, lines, mdMaxRows, maxWidth)
}

// diffs writes, per tenant, a collapsible section with the unified diff of
// each changed object in a fence no line of the diff can close.
func (m *mdWriter) diffs(diffs []TenantDiff) {
	if len(diffs) == 0 {
		return
	}
	tenantNote := func(n int) string {
		return fmt.Sprintf("_… %d more %s not shown; %s._\n\n", n, pluralWord(n, "tenant", "tenants"), moreHint)
	}
	held := width(tenantNote(len(diffs)))
	m.reserve(held)
	if !m.add("### Rendered changes\n\n") {
		m.release(held)
		m.skipped = append(m.skipped, "rendered changes")
		return
	}
	shown := 0
	for _, d := range diffs {
		if !m.tenantDiff(d) {
			break
		}
		shown++
	}
	m.release(held)
	if shown < len(diffs) {
		m.put(tenantNote(len(diffs) - shown))
	}
}

// tenantDiff writes one tenant's section, or nothing and false when not
// even its first object's header would fit.
func (m *mdWriter) tenantDiff(d TenantDiff) bool {
	open := details(clip(d.Tenant, mdMaxCell) + " — " + objectCounts(d.Objects))
	const closing = "</details>\n\n"
	objNote := func(n int) string {
		return fmt.Sprintf("_… %d more %s of %s not shown; %s._\n\n", n, pluralWord(n, "object", "objects"), escMD(clip(d.Tenant, mdMaxCell)), moreHint)
	}
	held := width(closing) + width(objNote(len(d.Objects)))
	// Room for the section, its closing, and a little of the first object.
	if m.used+width(open)+200+held+m.reserved > m.limit {
		return false
	}
	m.put(open)
	m.reserve(held)
	shown := 0
	for _, o := range d.Objects {
		if !m.objectDiff(o) {
			break
		}
		shown++
	}
	m.release(held)
	if shown < len(d.Objects) {
		m.put(objNote(len(d.Objects) - shown))
	}
	m.put(closing)
	return true
}

// objectDiff writes one object's header and diff, the diff cut at a line
// boundary when it does not fit or is wider than mdMaxObjectRun; false
// when not even the header and one line fit.
func (m *mdWriter) objectDiff(o ObjectDiff) bool {
	flags := ""
	for _, f := range o.Flags {
		flags += " `" + f + "`"
	}
	if flags != "" {
		flags = " ·" + flags
	}
	head := fmt.Sprintf("**%s** %s — %s%s\n\n", escMD(clip(o.Kind, mdMaxCell)),
		escMD(clip(nsName(o.Namespace, o.Name), mdMaxCell)), escMD(o.Change), flags)
	text := strings.ToValidUTF8(o.Unified, "\uFFFD")
	var lines []string
	for l := range strings.Lines(text) {
		l = strings.TrimSuffix(l, "\n")
		lines = append(lines, clipWidth(l, mdMaxDiffLine)+"\n")
	}
	fence := fenceFor(text)
	fOpen, fClose := fence+"diff\n", fence+"\n\n"
	cutNote := func(n int) string {
		return fmt.Sprintf("_… diff cut short: %d more %s; %s._\n\n", n, pluralWord(n, "line", "lines"), moreHint)
	}
	held := width(fClose) + width(cutNote(len(lines)))
	first := ""
	if len(lines) > 0 {
		first = lines[0]
	}
	if m.used+width(head)+width(fOpen)+width(first)+held+m.reserved > m.limit {
		return false
	}
	m.put(head)
	m.put(fOpen)
	m.reserve(held)
	budget := mdMaxObjectRun
	shown := 0
	for _, l := range lines {
		wl := width(l)
		if wl > budget || !m.fits(l) {
			break
		}
		m.put(l)
		budget -= wl
		shown++
	}
	m.release(held)
	m.put(fClose)
	if shown < len(lines) {
		m.put(cutNote(len(lines) - shown))
	}
	return true
}

// source formats a position for a table cell: a link to the file at the
// head commit when Options.BlobURL is set, else a code span.
func (m *mdWriter) source(p Position) string {
	if !p.IsValid() {
		return ""
	}
	text := clip(p.String(), mdMaxCell)
	if m.blobURL == "" {
		return codeCell(text)
	}
	var segs []string
	for s := range strings.SplitSeq(p.File, "/") {
		segs = append(segs, strings.ReplaceAll(url.PathEscape(s), "&", "%26"))
	}
	u := m.blobURL + "/" + strings.Join(segs, "/")
	if p.Line > 0 {
		u += fmt.Sprintf("#L%d", p.Line)
	}
	if width(u) > 2*mdMaxCell {
		return codeCell(text)
	}
	return "[" + escMD(text) + "](" + u + ")"
}

func revMD(r Rev) string {
	switch {
	case r.Commit == "" && r.Ref == "":
		return "(unknown)"
	case r.Commit == "":
		return escMD(clip(r.Ref, mdMaxCell))
	case r.Ref == "" || r.Ref == r.Commit:
		return codeCell(shortCommit(r.Commit))
	default:
		return codeCell(shortCommit(r.Commit)) + " (" + escMD(clip(r.Ref, mdMaxCell)) + ")"
	}
}

// firstNames lists the first mdMaxFrozen of names, escaped, and says how
// many more there are.
func firstNames(names []string) string {
	var shown []string
	for i, n := range names {
		if i == mdMaxFrozen {
			shown = append(shown, fmt.Sprintf("and %d more", len(names)-mdMaxFrozen))
			break
		}
		shown = append(shown, escMD(clip(n, mdMaxCell)))
	}
	return strings.Join(shown, ", ")
}

func objectCell(o policy.Object) string {
	if o.IsZero() {
		return ""
	}
	return objectName(o.Kind, o.Namespace, o.Name)
}

// escMD escapes s for markdown text, a table cell included: HTML is
// neutralised with entities, markdown punctuation is backslash-escaped,
// '|' cannot end a cell, line breaks become spaces, an '@' mention cannot
// ping anyone (a zero-width space follows the '@') and '$' cannot start
// math.
func escMD(s string) string {
	return escape(s, func(b *strings.Builder, r rune) bool {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
			return true
		}
		return false
	})
}

// escHTML escapes s for HTML text, such as a <summary>.
func escHTML(s string) string {
	return escape(s, func(b *strings.Builder, r rune) bool {
		switch r {
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		default:
			return false
		}
		return true
	})
}

// escape is what escMD and escHTML share: HTML's own characters become
// entities, an '@' cannot mention anyone, line breaks become spaces and
// control characters U+FFFD; special writes the runes a format escapes
// besides, and reports whether it did.
func escape(s string, special func(*strings.Builder, rune) bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		if special(&b, r) {
			continue
		}
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteString("@\u200b")
		case '\n', '\r', '\t', '\u2028', '\u2029':
			b.WriteByte(' ')
		default:
			if unicode.IsControl(r) {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// codeCell formats s as a code span that is safe in a table cell: the
// backtick fence is longer than any run of backticks in s, and '|' is
// escaped (GitHub splits cells before it reads code spans).
func codeCell(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// fenceFor returns a backtick fence for a code block that no line of text
// can close: longer than any run of backticks in it, and at least three.
func fenceFor(text string) string {
	return strings.Repeat("`", max(3, longestRun(text, '`')+1))
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// clip shortens s to at most n runes, marking the cut with '…'.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipWidth shortens s to at most n UTF-16 units, marking the cut.
func clipWidth(s string, n int) string {
	if width(s) <= n {
		return s
	}
	w := 0
	for i, r := range s {
		if w+utf16.RuneLen(r) > n-1 {
			return s[:i] + "…"
		}
		w += utf16.RuneLen(r)
	}
	return s
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdEnd is a window's end in a table cell: the instant in RFC 3339, with
// its zone in parentheses when given, or "no end" for an endless window.
func mdEnd(t time.Time, zone string, endless bool) string {
	switch {
	case endless:
		return "no end (its occurrences leave no gap)"
	case zone != "":
		return t.Format(time.RFC3339) + " (" + zone + ")"
	}
	return t.Format(time.RFC3339)
}

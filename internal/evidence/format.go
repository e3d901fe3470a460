package evidence

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// WriteJSON writes the bundle as indented JSON.
func (b *Bundle) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// CSVHeader are the columns of WriteCSV.
var CSVHeader = []string{
	"at", "commit", "verified", "source_repo", "source_commit", "palisade",
	"tenant", "tier", "change", "verdict", "warnings", "waived_denials", "waivers", "images", "signers",
	"source_author", "source_committer", "source_subject", "approvals", "reproduced",
	"attestation", "signed_by", "flux_suspended", "rules_in_force", "rules_passed",
}

// WriteCSV writes one row per tenant of each render (its change, verdict,
// the waivers that let it through and the images it runs with their
// signers), for a spreadsheet or an audit tool. Findings are not rows:
// the text and JSON forms carry them. flux_suspended says, for a render
// wiring Flux, whether the tenant's Kustomizations were suspended (a
// window applied); it is empty for Argo CD. rules_in_force counts the
// rules the render evaluated, rules_passed those that reported nothing
// about the tenant (a waived denial or a warning did not pass); both are
// empty for a removed tenant and for records made before Palisade
// recorded its rules.
func (b *Bundle) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range b.Renders {
		rec := r.Record
		var ch SourceCommit
		if r.Change != nil {
			ch = *r.Change
		}
		reproduced := "" // not asked for
		if b.Reproduce {
			reproduced = strconv.FormatBool(r.Reproduced)
		}
		for _, t := range tenantRows(rec) {
			suspended := ""
			if rec.Target == render.TargetFlux {
				suspended = strconv.FormatBool(slices.Contains(rec.Suspended, t.Tenant))
			}
			err := cw.Write([]string{
				stamp(rec.At), r.Commit, strconv.FormatBool(r.Verified), rec.Source.Repo, rec.Source.Commit, rec.Palisade,
				t.Tenant, t.Tier, t.Change, t.Verdict, strconv.Itoa(t.Warnings), strconv.Itoa(t.Waived),
				strings.Join(t.Waivers, " "), strings.Join(t.Images, " "), strings.Join(t.Signers, " "),
				ch.Author, ch.Committer, ch.Subject, strings.Join(ch.Approvals, "; "), reproduced,
				r.Attestation, r.SignedBy, suspended, count(t.InForce), count(t.Passed),
			})
			if err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// tenantRow is what a render's record says of one tenant: a CSV row, an
// HTML table row.
type tenantRow struct {
	Tenant, Tier, Change, Verdict string
	Warnings, Waived              int
	// Waivers are those that let a denial through; Images the references
	// run, pinned; Signers the keys that verified them.
	Waivers, Images, Signers []string
	// InForce counts the rules the render evaluated and Passed those that
	// reported nothing about the tenant; -1 when the record does not say
	// (a removal, a record from before Palisade recorded its rules).
	InForce, Passed int
}

// Rules says how many rules the tenant passed of those in force.
func (t tenantRow) Rules() string {
	if t.InForce < 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d", t.Passed, t.InForce)
}

func count(n int) string {
	if n < 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// tenantRows are the record's tenants, then the tenants it removed.
func tenantRows(rec *pipeline.Record) []tenantRow {
	inForce := map[string]bool{}
	for _, r := range rec.Policies {
		inForce[r.ID] = true
	}
	row := func(tenant, tier, change, verdict string, results []policy.Result, images []policy.Image) tenantRow {
		t := tenantRow{Tenant: tenant, Tier: tier, Change: change, Verdict: verdict, InForce: -1, Passed: -1}
		if len(inForce) > 0 && change != "removed" {
			reported := map[string]bool{}
			for _, res := range results {
				if inForce[res.PolicyID] {
					reported[res.PolicyID] = true
				}
			}
			t.InForce, t.Passed = len(inForce), len(inForce)-len(reported)
		}
		for _, res := range results {
			switch {
			case res.Waived:
				t.Waived++
			case res.Severity == policy.SeverityWarn:
				t.Warnings++
			}
		}
		for _, u := range rec.WaiversUsed {
			if u.Tenant == tenant && !slices.Contains(t.Waivers, u.Waiver) {
				t.Waivers = append(t.Waivers, u.Waiver)
			}
		}
		for _, img := range images {
			ref := img.Ref
			if !strings.Contains(ref, "@") && img.Digest != "" {
				ref += "@" + img.Digest
			}
			t.Images = append(t.Images, ref)
			if img.Signer != "" && !slices.Contains(t.Signers, img.Signer) {
				t.Signers = append(t.Signers, img.Signer)
			}
		}
		slices.Sort(t.Signers)
		return t
	}
	var out []tenantRow
	for _, t := range rec.Tenants {
		out = append(out, row(t.Name, t.Tier, change(t), t.Verdict, t.Results, t.Images))
	}
	for _, name := range rec.Removed {
		out = append(out, row(name, "", "removed", "pass", nil, nil))
	}
	return out
}

// waiverEntry is a waiver use of a render.
type waiverEntry struct {
	At, Commit string
	Use        pipeline.WaiverUse
	// About says what kind of waiver it was, who approved it, the
	// ticket and the expiry.
	About []string
}

func (b *Bundle) waiverEntries() []waiverEntry {
	var out []waiverEntry
	for _, r := range b.Renders {
		for _, u := range r.Record.WaiversUsed {
			e := waiverEntry{At: stamp(r.Record.At), Commit: short(r.Commit), Use: u}
			if u.BreakGlass {
				e.About = append(e.About, "break-glass")
			}
			if u.Platform {
				e.About = append(e.About, "a platform waiver")
			}
			switch {
			case u.Approver != "" && u.Signature != "":
				e.About = append(e.About, "approved and signed by "+u.Approver)
			case u.Approver != "":
				e.About = append(e.About, "approved by "+u.Approver)
			}
			if u.Ticket != "" {
				e.About = append(e.About, "ticket "+u.Ticket)
			}
			if u.Expires != nil {
				e.About = append(e.About, "expires "+stamp(*u.Expires))
			}
			out = append(out, e)
		}
	}
	return out
}

// policySet is the rules in force for the renders of one policy digest.
type policySet struct {
	Digest string
	// From and To are the first and the last of its renders' instants.
	From, To string
	Renders  int
	// Rules are the rules in force; empty when the records do not say.
	Rules []policy.Rule
	// Added and Removed are the rule ids this set has and the one before
	// it (Since, a policy digest) had not, and the other way round;
	// empty when either set's rules are not recorded.
	Since          string
	Added, Removed []string
}

// Builtin counts the set's built-in rules; User are the user's.
func (s policySet) Builtin() int { return len(s.Rules) - len(s.User()) }

func (s policySet) User() []policy.Rule {
	var out []policy.Rule
	for _, r := range s.Rules {
		if r.User {
			out = append(out, r)
		}
	}
	return out
}

// String says the set in one line.
func (s policySet) String() string {
	when := s.From + " to " + s.To
	if s.From == s.To {
		when = "at " + s.From
	}
	line := fmt.Sprintf("%s: %d render commit(s), %s: ", pipeline.ShortDigest(s.Digest), s.Renders, when)
	if len(s.Rules) == 0 {
		return line + "rules not recorded (rendered before Palisade recorded them)"
	}
	line += fmt.Sprintf("%d rules, %d built-in", len(s.Rules), s.Builtin())
	var user []string
	for _, r := range s.User() {
		user = append(user, fmt.Sprintf("%s (%s:%d)", r.ID, r.File, r.Line))
	}
	if len(user) > 0 {
		line += "; from --policy: " + strings.Join(user, ", ")
	}
	if s.Since != "" && len(s.Added)+len(s.Removed) > 0 {
		var diff []string
		if len(s.Added) > 0 {
			diff = append(diff, "added "+strings.Join(s.Added, ", "))
		}
		if len(s.Removed) > 0 {
			diff = append(diff, "removed "+strings.Join(s.Removed, ", "))
		}
		line += fmt.Sprintf("; against %s: %s", pipeline.ShortDigest(s.Since), strings.Join(diff, "; "))
	}
	return line
}

// policySets are the policy sets the renders were judged by, in the
// order they first appear.
func (b *Bundle) policySets() []policySet {
	var out []policySet
	at := map[string]int{}
	for _, r := range b.Renders {
		rec := r.Record
		key := rec.PolicyDigest
		if len(rec.Policies) == 0 {
			key += " unrecorded"
		}
		i, seen := at[key]
		if !seen {
			i = len(out)
			at[key] = i
			out = append(out, policySet{Digest: rec.PolicyDigest, From: stamp(rec.At), Rules: rec.Policies})
		}
		out[i].Renders++
		out[i].To = stamp(rec.At)
	}
	for i := 1; i < len(out); i++ {
		before, now := out[i-1], &out[i]
		if len(before.Rules) == 0 || len(now.Rules) == 0 {
			continue
		}
		now.Since = before.Digest
		now.Added, now.Removed = policy.RuleDiff(before.Rules, now.Rules)
	}
	return out
}

// holdEntry is a tenant a render held back.
type holdEntry struct {
	At, Commit, Tenant string
	// Windows name the windows ("promotion \"black-friday-2026\""); Until
	// is when the tenant is free, in its time zone.
	Windows, Until string
}

func (b *Bundle) holdEntries() []holdEntry {
	var out []holdEntry
	for _, r := range b.Renders {
		for _, h := range r.Record.HeldBack {
			var ws []string
			for _, win := range h.Windows {
				ws = append(ws, fmt.Sprintf("%s %q", win.Kind, win.Name))
			}
			out = append(out, holdEntry{At: stamp(r.Record.At), Commit: short(r.Commit), Tenant: h.Tenant, Windows: strings.Join(ws, ", "), Until: h.Free})
		}
	}
	return out
}

func change(t pipeline.TenantRecord) string {
	switch {
	case t.HeldBack:
		return "held-back"
	case t.New:
		return "new"
	case t.Changed:
		return "changed"
	}
	return "unchanged"
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// WriteText writes the bundle for a person: the period, the counts, one
// line per render commit, the waivers used and the hold-backs, and the
// findings with what to look at.
func (b *Bundle) WriteText(w io.Writer) error {
	var sb strings.Builder
	for _, line := range b.headlines() {
		sb.WriteString(line + "\n")
	}
	if len(b.Renders) > 0 {
		sb.WriteString("\nrenders:\n")
		for _, r := range b.Renders {
			fmt.Fprintf(&sb, "  %s  %s  %s  source %s: %s\n", stamp(r.Record.At), short(r.Commit), r.status(), source(r.Record), changes(r.Record))
			if r.Change != nil {
				fmt.Fprintf(&sb, "      %s\n", r.Change)
			}
		}
	}
	if sets := b.policySets(); len(sets) > 0 {
		sb.WriteString("\npolicies in force, by policy digest (a tenant passed the rules its results do not name):\n")
		for _, s := range sets {
			sb.WriteString("  " + s.String() + "\n")
		}
	}
	var waivers, holds []string
	for _, e := range b.waiverEntries() {
		line := fmt.Sprintf("  %s  %s  %s: waiver %q let %s through", e.At, e.Commit, e.Use.Tenant, e.Use.Waiver, e.Use.Policy)
		if len(e.About) > 0 {
			line += " (" + strings.Join(e.About, ", ") + ")"
		}
		if e.Use.Reason != "" {
			line += ": " + e.Use.Reason
		}
		waivers = append(waivers, line)
	}
	for _, e := range b.holdEntries() {
		line := fmt.Sprintf("  %s  %s  %s: held back by %s", e.At, e.Commit, e.Tenant, e.Windows)
		if e.Until != "" {
			line += " until " + e.Until
		}
		holds = append(holds, line)
	}
	if len(waivers) > 0 {
		sb.WriteString("\nwaivers used:\n" + strings.Join(waivers, "\n") + "\n")
	}
	if backups := b.backups(); len(backups) > 0 {
		sb.WriteString("\nbackup configuration, as each tenant's last render of the period states it:\n")
		for _, e := range backups {
			sb.WriteString(e.String() + "\n")
		}
	}
	if len(holds) > 0 {
		sb.WriteString("\nheld back by a change freeze:\n" + strings.Join(holds, "\n") + "\n")
	}
	for _, list := range []struct {
		title string
		items []Finding
	}{{"findings", b.Findings}, {"notes", b.Notes}} {
		if len(list.items) == 0 {
			continue
		}
		sb.WriteString("\n" + list.title + ":\n")
		for _, f := range list.items {
			fmt.Fprintf(&sb, "  - %s  %s  %s (%s): %s\n", stamp(f.Committed), short(f.Commit), f.Kind, f.Who(), f.Message)
			for _, p := range f.Paths {
				fmt.Fprintf(&sb, "      %s\n", p)
			}
			if f.More > 0 {
				fmt.Fprintf(&sb, "      … and %d more\n", f.More)
			}
			for _, l := range strings.SplitAfter(strings.TrimSuffix(f.Diff, "\n"), "\n") {
				if l != "" {
					sb.WriteString("      | " + strings.TrimSuffix(l, "\n") + "\n")
				}
			}
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// headlines are the bundle's opening lines: what it is of, the period, the
// counts and whether it verifies.
func (b *Bundle) headlines() []string {
	title := fmt.Sprintf("evidence of %s %s", b.Repository, b.Branch)
	if b.Tip != "" {
		title += " at " + short(b.Tip)
	}
	period := "all history"
	switch {
	case b.Since != nil && b.Until != nil:
		period = stamp(*b.Since) + " to " + stamp(*b.Until)
	case b.Since != nil:
		period = "since " + stamp(*b.Since)
	case b.Until != nil:
		period = "until " + stamp(*b.Until)
	}
	period = "period: " + period
	if len(b.Tenants) > 0 {
		period += "; tenants: " + strings.Join(b.Tenants, ", ")
	}
	s := b.Summary
	lines := []string{title, period, fmt.Sprintf("%d render commit(s): %d new, %d changed, %d removed, %d held back, %d platform change(s) held back; %d waiver use(s), %d break-glass; %d warning(s); %d image digest(s) verified",
		s.Renders, s.New, s.Changed, s.Removed, s.HeldBack, s.PlatformHeldBack, s.WaiversUsed, s.BreakGlass, s.Warnings, s.Images)}
	if b.Verified {
		lines = append(lines, "verified: every render commit's tree, trailers and record agree, and no commit changed the rendered tree without a record")
	} else {
		lines = append(lines, fmt.Sprintf("NOT verified: %d finding(s)", s.Findings))
	}
	if b.Attestations {
		lines = append(lines, fmt.Sprintf("attested: %d of %d record(s) carry an in-toto attestation the record key verifies", s.Attested, s.Renders))
	}
	if b.CommitSignatures {
		lines = append(lines, fmt.Sprintf("signed: %d of %d render commit(s) signed by the commit key", s.Signed, s.Renders))
	}
	if b.Reproduce {
		lines = append(lines, fmt.Sprintf("reproduced: %d of %d render commit(s) made again, tree for tree, from their source commits", s.Reproduced, s.Renders))
	}
	switch {
	case b.Current != "":
		lines = append(lines, fmt.Sprintf("the branch tip's rendered tree is the one render commit %s judged", short(b.Current)))
	case b.Tip != "":
		lines = append(lines, "the branch tip's rendered tree is no verified render commit's")
	}
	for _, n := range b.unseen() {
		lines = append(lines, "no render commit of the period concerns tenant "+n)
	}
	return lines
}

// status says whether the render verified, carries an attestation the
// record key verified, was signed by a key of the commit keyring, and was
// reproduced.
func (r Render) status() string {
	status := "verified"
	if !r.Verified {
		status = "NOT VERIFIED"
	}
	if r.Attestation != "" {
		status += ", attested"
	}
	if r.SignedBy != "" {
		status += ", signed by " + r.SignedBy
	}
	if r.Reproduced {
		status += ", reproduced"
	}
	return status
}

// source names the repository and commit a render rendered.
func source(rec *pipeline.Record) string {
	src := rec.Source.Repo
	if rec.Source.Commit != "" {
		src += "@" + short(rec.Source.Commit)
	}
	if rec.Source.Dirty {
		src += " (uncommitted changes)"
	}
	return src
}

// String is the source commit in one line: its subject, who wrote and
// committed it, who approved it, whether it is signed.
func (ch *SourceCommit) String() string {
	who := ch.Author
	if ch.Committer != ch.Author {
		who += ", committed by " + ch.Committer
	}
	line := fmt.Sprintf("%s %q by %s", short(ch.Commit), ch.Subject, who)
	if len(ch.Approvals) > 0 {
		line += "; " + strings.Join(ch.Approvals, "; ")
	}
	if ch.Signed {
		line += "; signed"
	}
	return line
}

// Who made the commit: its committer, and its author when another.
func (f Finding) Who() string {
	if f.Author != f.Committer {
		return "authored by " + f.Author + ", committed by " + f.Committer
	}
	return f.Committer
}

// unseen are the tenants asked for that no render of the bundle concerns.
func (b *Bundle) unseen() []string {
	seen := map[string]bool{}
	for _, r := range b.Renders {
		for _, t := range r.Record.Tenants {
			seen[t.Name] = true
		}
		for _, n := range r.Record.Removed {
			seen[n] = true
		}
		for _, ph := range r.Record.PlatformHeldBack {
			for _, n := range ph.Serving {
				seen[n] = true
			}
		}
	}
	var out []string
	for _, n := range b.Tenants {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// changes sums up what a render changed: "1 changed (acme); 1 held back
// (globex)".
func changes(rec *pipeline.Record) string {
	byChange := map[string][]string{}
	for _, t := range rec.Tenants {
		byChange[change(t)] = append(byChange[change(t)], t.Name)
	}
	byChange["removed"] = rec.Removed
	var parts []string
	for _, c := range []string{"new", "changed", "removed", "held-back"} {
		if names := byChange[c]; len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", len(names), strings.ReplaceAll(c, "-", " "), listed(names, 3)))
		}
	}
	if n := len(rec.PlatformHeldBack); n > 0 {
		var cs []string
		for _, ph := range rec.PlatformHeldBack {
			cs = append(cs, ph.Cluster)
		}
		parts = append(parts, fmt.Sprintf("the platform of %d cluster(s) held back (%s)", n, listed(cs, 3)))
	}
	var repaired []string
	for _, t := range rec.Tenants {
		if t.Repaired {
			repaired = append(repaired, t.Name)
		}
	}
	if len(repaired) > 0 {
		parts = append(parts, fmt.Sprintf("restored %d tenant(s) edited by hand (%s)", len(repaired), listed(repaired, 3)))
	}
	if n := len(rec.Suspended); n > 0 {
		parts = append(parts, fmt.Sprintf("%d suspended in Flux (%s)", n, listed(rec.Suspended, 3)))
	}
	if rec.PoliciesOnly {
		parts = append([]string{fmt.Sprintf("the policies only (from %s): every tenant judged again, the tree unchanged", pipeline.ShortDigest(rec.PreviousPolicyDigest))}, parts...)
	}
	if len(parts) == 0 {
		parts = append(parts, "platform only")
	}
	if len(rec.UnreadEstates) > 0 {
		cs := make([]string, len(rec.UnreadEstates))
		for i, c := range rec.UnreadEstates {
			cs[i] = short(c)
		}
		parts = append(parts, fmt.Sprintf("calendar edits and removals judged without estate commit %s, which the render could not read", strings.Join(cs, ", ")))
	}
	return strings.Join(parts, "; ")
}

// backupEntry is the backup configuration of one tenant environment, as
// a render states it.
type backupEntry struct {
	Tenant, Environment string
	// Where is the environment's cluster and standby region.
	Where                    string
	Schedule, RPO, Retention string
	PITR, CrossRegion        bool
	RestoreTest, Commit      string
}

// backups describe, for each tenant asked for, the backups of its
// environments as its last render of the period states them.
func (b *Bundle) backups() []backupEntry {
	var out []backupEntry
	for _, name := range b.Tenants {
		for _, r := range slices.Backward(b.Renders) {
			i := slices.IndexFunc(r.Record.Tenants, func(t pipeline.TenantRecord) bool { return t.Name == name })
			if i < 0 || len(r.Record.Tenants[i].Environments) == 0 {
				continue
			}
			for _, env := range r.Record.Tenants[i].Environments {
				where := env.Cluster
				if env.StandbyRegion != "" {
					where += ", standby in " + env.StandbyRegion
				}
				bk := env.Backup
				e := backupEntry{
					Tenant: name, Environment: env.Name, Where: where, Schedule: bk.Schedule, RPO: bk.RPO,
					Retention: bk.Retention, PITR: bk.PITR, CrossRegion: bk.CrossRegion, Commit: short(r.Commit),
				}
				if bk.RestoreTest != nil {
					e.RestoreTest = bk.RestoreTest.Schedule
				}
				out = append(out, e)
			}
			break
		}
	}
	return out
}

// String is the entry as a line of the text form.
func (e backupEntry) String() string {
	line := fmt.Sprintf("  %s %s (%s): backups %q for an RPO of %s, kept %s", e.Tenant, e.Environment, e.Where, e.Schedule, e.RPO, e.Retention)
	if e.PITR {
		line += ", point-in-time recovery"
	}
	if e.CrossRegion {
		line += ", cross-region copy"
	}
	if e.RestoreTest != "" {
		line += fmt.Sprintf(", restore test %q", e.RestoreTest)
	}
	return line + fmt.Sprintf(" (render %s)", e.Commit)
}

// listed joins items, naming at most max of them.
func listed(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

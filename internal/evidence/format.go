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
}

// WriteCSV writes one row per tenant of each render (its change, verdict,
// the waivers that let it through and the images it runs with their
// signers), for a spreadsheet or an audit tool. Findings are not rows:
// the text and JSON forms carry them.
func (b *Bundle) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range b.Renders {
		rec := r.Record
		row := func(tenant, tier, change, verdict string, results []policy.Result, images []policy.Image) error {
			warnings, waived := 0, 0
			for _, res := range results {
				switch {
				case res.Waived:
					waived++
				case res.Severity == policy.SeverityWarn:
					warnings++
				}
			}
			var waivers, refs, signers []string
			for _, u := range rec.WaiversUsed {
				if u.Tenant == tenant {
					waivers = append(waivers, u.Waiver)
				}
			}
			for _, img := range images {
				ref := img.Ref
				if !strings.Contains(ref, "@") && img.Digest != "" {
					ref += "@" + img.Digest
				}
				refs = append(refs, ref)
				if img.Signer != "" && !slices.Contains(signers, img.Signer) {
					signers = append(signers, img.Signer)
				}
			}
			slices.Sort(signers)
			var ch SourceCommit
			if r.Change != nil {
				ch = *r.Change
			}
			reproduced := "" // not asked for
			if b.Reproduce {
				reproduced = strconv.FormatBool(r.Reproduced)
			}
			return cw.Write([]string{
				stamp(rec.At), r.Commit, strconv.FormatBool(r.Verified), rec.Source.Repo, rec.Source.Commit, rec.Palisade,
				tenant, tier, change, verdict, strconv.Itoa(warnings), strconv.Itoa(waived),
				strings.Join(slices.Compact(waivers), " "), strings.Join(refs, " "), strings.Join(signers, " "),
				ch.Author, ch.Committer, ch.Subject, strings.Join(ch.Approvals, "; "), reproduced,
			})
		}
		for _, t := range rec.Tenants {
			if err := row(t.Name, t.Tier, change(t), t.Verdict, t.Results, t.Images); err != nil {
				return err
			}
		}
		for _, name := range rec.Removed {
			if err := row(name, "", "removed", "pass", nil, nil); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
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
	fmt.Fprintf(&sb, "evidence of %s %s", b.Repository, b.Branch)
	if b.Tip != "" {
		fmt.Fprintf(&sb, " at %s", short(b.Tip))
	}
	sb.WriteString("\n")
	period := "all history"
	switch {
	case b.Since != nil && b.Until != nil:
		period = stamp(*b.Since) + " to " + stamp(*b.Until)
	case b.Since != nil:
		period = "since " + stamp(*b.Since)
	case b.Until != nil:
		period = "until " + stamp(*b.Until)
	}
	fmt.Fprintf(&sb, "period: %s", period)
	if len(b.Tenants) > 0 {
		fmt.Fprintf(&sb, "; tenants: %s", strings.Join(b.Tenants, ", "))
	}
	sb.WriteString("\n")
	s := b.Summary
	fmt.Fprintf(&sb, "%d render commit(s): %d new, %d changed, %d removed, %d held back, %d platform change(s) held back; %d waiver use(s), %d break-glass; %d warning(s); %d image digest(s) verified\n",
		s.Renders, s.New, s.Changed, s.Removed, s.HeldBack, s.PlatformHeldBack, s.WaiversUsed, s.BreakGlass, s.Warnings, s.Images)
	if b.Verified {
		sb.WriteString("verified: every render commit's tree, trailers and record agree, and no commit changed the rendered tree without a record\n")
	} else {
		fmt.Fprintf(&sb, "NOT verified: %d finding(s)\n", s.Findings)
	}
	if b.Reproduce {
		fmt.Fprintf(&sb, "reproduced: %d of %d render commit(s) made again, tree for tree, from their source commits\n", s.Reproduced, s.Renders)
	}
	switch {
	case b.Current != "":
		fmt.Fprintf(&sb, "the branch tip's rendered tree is the one render commit %s judged\n", short(b.Current))
	case b.Tip != "":
		sb.WriteString("the branch tip's rendered tree is no verified render commit's\n")
	}
	for _, n := range b.unseen() {
		fmt.Fprintf(&sb, "no render commit of the period concerns tenant %s\n", n)
	}
	if len(b.Renders) > 0 {
		sb.WriteString("\nrenders:\n")
		for _, r := range b.Renders {
			rec := r.Record
			what := changes(rec)
			status := "verified"
			if !r.Verified {
				status = "NOT VERIFIED"
			}
			if r.Reproduced {
				status += ", reproduced"
			}
			src := "source " + rec.Source.Repo
			if rec.Source.Commit != "" {
				src += "@" + short(rec.Source.Commit)
			}
			if rec.Source.Dirty {
				src += " (uncommitted changes)"
			}
			fmt.Fprintf(&sb, "  %s  %s  %s  %s: %s\n", stamp(rec.At), short(r.Commit), status, src, what)
			if ch := r.Change; ch != nil {
				who := ch.Author
				if ch.Committer != ch.Author {
					who += ", committed by " + ch.Committer
				}
				fmt.Fprintf(&sb, "      %s %q by %s", short(ch.Commit), ch.Subject, who)
				if len(ch.Approvals) > 0 {
					fmt.Fprintf(&sb, "; %s", strings.Join(ch.Approvals, "; "))
				}
				if ch.Signed {
					sb.WriteString("; signed")
				}
				sb.WriteString("\n")
			}
		}
	}
	var waivers, holds []string
	for _, r := range b.Renders {
		for _, u := range r.Record.WaiversUsed {
			line := fmt.Sprintf("  %s  %s  %s: waiver %q let %s through", stamp(r.Record.At), short(r.Commit), u.Tenant, u.Waiver, u.Policy)
			var about []string
			if u.BreakGlass {
				about = append(about, "break-glass")
			}
			if u.Platform {
				about = append(about, "a platform waiver")
			}
			if u.Approver != "" {
				about = append(about, "approved by "+u.Approver)
			}
			if u.Ticket != "" {
				about = append(about, "ticket "+u.Ticket)
			}
			if u.Expires != nil {
				about = append(about, "expires "+stamp(*u.Expires))
			}
			if len(about) > 0 {
				line += " (" + strings.Join(about, ", ") + ")"
			}
			if u.Reason != "" {
				line += ": " + u.Reason
			}
			waivers = append(waivers, line)
		}
		for _, h := range r.Record.HeldBack {
			var ws []string
			for _, win := range h.Windows {
				ws = append(ws, fmt.Sprintf("%s %q", win.Kind, win.Name))
			}
			line := fmt.Sprintf("  %s  %s  %s: held back by %s", stamp(r.Record.At), short(r.Commit), h.Tenant, strings.Join(ws, ", "))
			if h.Free != "" {
				line += " until " + h.Free
			}
			holds = append(holds, line)
		}
	}
	if len(waivers) > 0 {
		sb.WriteString("\nwaivers used:\n" + strings.Join(waivers, "\n") + "\n")
	}
	if backups := b.backups(); len(backups) > 0 {
		sb.WriteString("\nbackup configuration, as each tenant's last render of the period states it:\n" + strings.Join(backups, "\n") + "\n")
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
			who := f.Committer
			if f.Author != f.Committer {
				who = "authored by " + f.Author + ", committed by " + f.Committer
			}
			fmt.Fprintf(&sb, "  - %s  %s  %s (%s): %s\n", stamp(f.Committed), short(f.Commit), f.Kind, who, f.Message)
			for _, p := range f.Paths {
				fmt.Fprintf(&sb, "      %s\n", p)
			}
			if f.More > 0 {
				fmt.Fprintf(&sb, "      … and %d more\n", f.More)
			}
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
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
	if len(parts) == 0 {
		return "platform only"
	}
	return strings.Join(parts, "; ")
}

// backups describe, for each tenant asked for, the backups of its
// environments as its last render of the period states them.
func (b *Bundle) backups() []string {
	var out []string
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
				line := fmt.Sprintf("  %s %s (%s): backups %q for an RPO of %s, kept %s", name, env.Name, where, bk.Schedule, bk.RPO, bk.Retention)
				if bk.PITR {
					line += ", point-in-time recovery"
				}
				if bk.CrossRegion {
					line += ", cross-region copy"
				}
				if bk.RestoreTest != nil {
					line += fmt.Sprintf(", restore test %q", bk.RestoreTest.Schedule)
				}
				out = append(out, line+fmt.Sprintf(" (render %s)", short(r.Commit)))
			}
			break
		}
	}
	return out
}

// listed joins items, naming at most max of them.
func listed(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

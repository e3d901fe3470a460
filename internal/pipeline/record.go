package pipeline

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/policies"
)

// RecordsDir is where render commits put their decision records in the
// environment repository.
const RecordsDir = ".palisade/records"

// Source is where the estate came from.
type Source struct {
	// Repo is the estate repository's URL (credentials stripped) or path.
	Repo string `json:"repo"`
	// Commit is the estate commit rendered; empty outside a repository.
	Commit string `json:"commit,omitempty"`
	// Dirty is true when the estate had uncommitted changes.
	Dirty bool `json:"dirty,omitempty"`
}

// Clean is the estate commit rendered when the estate is that commit's
// exactly; empty otherwise.
func (s Source) Clean() string {
	if s.Dirty {
		return ""
	}
	return s.Commit
}

// Record is the decision record of a render commit: the raw material of
// the audit export. It is deterministic for the same inputs.
type Record struct {
	Schema   string    `json:"schema"`
	Palisade string    `json:"palisade"`
	At       time.Time `json:"at"`
	Source   Source    `json:"source"`
	// Base is the commit of the environment branch the render was built
	// on and judged against (the new commit's parent); empty for the
	// branch's first commit. It makes each render commit's record its
	// own: two renders of the same source at the same instant onto
	// different tips (a change, its revert, the change again) would
	// otherwise write the same record under the same name, and the
	// second commit would add none.
	Base   string `json:"base,omitempty"`
	Target string `json:"target"`
	Layout string `json:"layout"`
	// Selected are the tenants a render with --tenant was limited to (the
	// others kept their output as it was); empty for a render of all.
	Selected []string `json:"selected,omitempty"`
	// EstateDigest hashes the estate's source files; RenderDigest the
	// rendered tree (every owned file, records excluded); PolicyDigest the
	// built-in and user policies.
	EstateDigest string `json:"estateDigest"`
	RenderDigest string `json:"renderDigest"`
	PolicyDigest string `json:"policyDigest"`
	// PreviousPolicyDigest is the policy digest of the last render
	// commit that judged every tenant, when it differs from
	// PolicyDigest: the rules changed since.
	PreviousPolicyDigest string `json:"previousPolicyDigest,omitempty"`
	// PoliciesOnly is true when the render changed nothing of the tree
	// and was committed for its record alone: the policies had changed
	// (PreviousPolicyDigest), and the record says which rules each
	// tenant now passes.
	PoliciesOnly bool `json:"policiesOnly,omitempty"`
	// Policies are the rules in force, built-in and the user's, by id:
	// a tenant passed those its results do not name. Absent from records
	// made before Palisade recorded them.
	Policies []policy.Rule  `json:"policies,omitempty"`
	Tenants  []TenantRecord `json:"tenants"`
	Removed  []string       `json:"removed,omitempty"`
	HeldBack []HoldBack     `json:"heldBack,omitempty"`
	// PlatformHeldBack are the clusters whose platform change a freeze
	// held back: their directories are the previous render's.
	PlatformHeldBack []PlatformHoldBack `json:"platformHeldBack,omitempty"`
	// Suspended are the tenants whose Flux Kustomizations the render
	// suspended, a window applying to them.
	Suspended   []string    `json:"suspended,omitempty"`
	WaiversUsed []WaiverUse `json:"waiversUsed,omitempty"`
	// Platform are the results about the platform itself: the engine's
	// notes on the platform's waivers (used, unused, expired).
	Platform []policy.Result `json:"platform,omitempty"`
	Images   []ImageFact     `json:"images"`
	// UnreadEstates are the estate commits the render needed and could
	// not read (a shallow clone lacks them): the estate its last render
	// was made from, whose calendars it judges calendar edits against
	// (freeze.window-lifted), or one a held removal names. The render
	// judged without them, and so does its reproduction.
	UnreadEstates []string `json:"unreadEstates,omitempty"`
}

// TenantRecord is one tenant's part of a decision record.
type TenantRecord struct {
	Name    string `json:"name"`
	Tier    string `json:"tier"`
	Changed bool   `json:"changed"`
	New     bool   `json:"new,omitempty"`
	// HeldBack is true when a freeze kept the tenant's previous output.
	HeldBack bool `json:"heldBack,omitempty"`
	// Repaired is true when the tenant's committed files had been edited
	// since the last render commit, and this render restored them: its
	// change is, in part or whole, the undoing of that edit.
	Repaired bool `json:"repaired,omitempty"`
	// Verdict is "pass", "warn" (warnings only), "held-back" or
	// "platform-held-back" (the platform change serving it was held
	// back; its own change, if any, went through).
	Verdict string          `json:"verdict"`
	Results []policy.Result `json:"results"`
	Images  []policy.Image  `json:"images"`
	// Environments are where the tenant's environments run and how their
	// databases are backed up, as the estate states it at the rendered
	// commit (the resilience policies judge the rendered objects against
	// it): evidence of backup configuration per tenant.
	Environments []EnvironmentRecord `json:"environments,omitempty"`
}

// EnvironmentRecord is one environment of a tenant in a decision record.
type EnvironmentRecord struct {
	Name    string `json:"name"`
	Class   string `json:"class"`
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
	// StandbyRegion is the region of a warm standby, if any.
	StandbyRegion string        `json:"standbyRegion,omitempty"`
	Backup        estate.Backup `json:"backup"`
}

// WaiverUse is a waiver that let a denial through about a tenant: one of
// the tenant's, or one of the platform's (Platform) that let a platform
// change through the tenant's window.
type WaiverUse struct {
	Tenant   string `json:"tenant"`
	Waiver   string `json:"waiver"`
	Policy   string `json:"policy"`
	Platform bool   `json:"platform,omitempty"`
	// The waiver as the estate states it at the rendered commit: who
	// approved it, why, under which ticket, until when, and whether it is
	// a break-glass waiver. An audit reads them from the record, without
	// the estate's history at hand.
	Approver   string     `json:"approver,omitempty"`
	Ticket     string     `json:"ticket,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Expires    *time.Time `json:"expires,omitempty"`
	BreakGlass bool       `json:"breakGlass,omitempty"`
	// Signature is the approver's signature of the waiver, verified with
	// the approver's key (platform.approvers), and Payload what it signs
	// (estate.WaiverPayload): an audit can verify the approval again with
	// the approver's public key alone. Empty when the platform names no
	// approvers.
	Signature string `json:"signature,omitempty"`
	Payload   string `json:"payload,omitempty"`
}

// NewRecord builds the decision record of an outcome.
// renderDigest is TreeDigest of the rendered tree, records excluded.
func (p *Prepared) NewRecord(out *Outcome, src Source, version, renderDigest string) (*Record, error) {
	ed, err := EstateDigest(p.Options.Root)
	if err != nil {
		return nil, err
	}
	pd, err := PolicyDigest(p.Options.PolicyDirs)
	if err != nil {
		return nil, err
	}
	rep := out.Report
	r := &Record{
		Schema: "palisade.io/decision-record/v1", Palisade: version,
		At: p.Options.At.UTC(), Source: src, Target: p.Options.Target, Layout: p.Options.Layout,
		EstateDigest: ed, RenderDigest: renderDigest, PolicyDigest: pd,
		Selected: selected(p.Options), Removed: rep.Removed, HeldBack: rep.HeldBack, PlatformHeldBack: rep.PlatformHeldBack, Suspended: rep.Suspended, Images: orEmpty(rep.Images),
	}
	if p.Engine != nil {
		r.Policies = p.Engine.Rules()
	}
	held := map[string]bool{}
	for _, h := range rep.HeldBack {
		held[h.Tenant] = true
	}
	repaired := map[string]bool{}
	for _, r := range rep.Repaired {
		repaired[r.Tenant] = true
	}
	byTenant := map[string][]policy.Result{}
	for _, res := range rep.Results {
		if res.Tenant == "" {
			r.Platform = append(r.Platform, res)
			continue
		}
		byTenant[res.Tenant] = append(byTenant[res.Tenant], res)
		if res.Waived {
			// Only the platform's waivers waive a platform change; they
			// waive a platform window's early end too.
			platform := res.PlatformWaiver || res.PolicyID == policy.PlatformPolicy
			r.WaiversUsed = append(r.WaiversUsed, p.waiverUse(res.Tenant, res.WaiverID, res.PolicyID, platform))
		}
	}
	// One use per tenant, waiver and policy, however many environments or
	// objects it waived.
	slices.SortFunc(r.WaiversUsed, func(a, b WaiverUse) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Waiver, b.Waiver), cmp.Compare(a.Policy, b.Policy))
	})
	r.WaiversUsed = slices.CompactFunc(r.WaiversUsed, func(a, b WaiverUse) bool {
		return a.Tenant == b.Tenant && a.Waiver == b.Waiver && a.Policy == b.Policy
	})
	// Tenants the platform change held back serves: their own change, if
	// any, went through.
	platformHeld := map[string]bool{}
	for _, ph := range rep.PlatformHeldBack {
		for _, t := range ph.Serving {
			platformHeld[t] = true
		}
	}
	// The rendered tenants, and those with results the render did not
	// redo (a platform change judged for a tenant whose own inputs had not
	// changed) or no longer has (a removal held back).
	names := maps.Clone(held)
	for name := range out.Tenants {
		names[name] = true
	}
	for name := range byTenant {
		names[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		ts := out.Tenants[name]
		tr := TenantRecord{
			Name: name, Changed: ts.Changed && !held[name], New: ts.New && !held[name],
			HeldBack: held[name], Repaired: repaired[name], Results: orEmpty(byTenant[name]), Verdict: "pass",
			Images: orEmpty(out.images[name]),
		}
		if t := p.Estate.Tenants[name]; t != nil {
			tr.Tier = t.Tier
			tr.Environments = environmentRecords(t, p.Estate.Tiers[t.Tier])
		} else {
			// A removal held back: the tier the previous render labelled
			// the tenant with.
			tr.Tier = out.removedTiers[name]
		}
		switch {
		case held[name]:
			tr.Verdict = "held-back"
		case platformHeld[name]:
			tr.Verdict = "platform-held-back"
		case slices.ContainsFunc(tr.Results, func(r policy.Result) bool { return r.Severity == policy.SeverityWarn }):
			tr.Verdict = "warn"
		}
		r.Tenants = append(r.Tenants, tr)
	}
	return r, nil
}

// selected are the tenants a render with --tenant renders, sorted; nil
// for a render of every tenant.
func selected(o Options) []string {
	if !o.KeepOthers || len(o.Tenants) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(o.Tenants))
}

// environmentRecords are a tenant's environments, by name, with the
// backup policy their tier gives their class.
func environmentRecords(t *estate.Tenant, tier *estate.Tier) []EnvironmentRecord {
	var out []EnvironmentRecord
	for _, name := range slices.Sorted(maps.Keys(t.Environments)) {
		env := t.Environments[name]
		er := EnvironmentRecord{Name: name, Class: env.Class, Region: env.Placement.Region, Cluster: env.Placement.Cluster}
		if env.Standby != nil {
			er.StandbyRegion = env.Standby.Region
		}
		if tier != nil && tier.Environments[env.Class] != nil {
			er.Backup = tier.Environments[env.Class].Backup
		}
		out = append(out, er)
	}
	return out
}

// waiverUse is the use of a tenant's waiver, or the platform's, with
// what the estate says of it.
func (p *Prepared) waiverUse(tenant, id, policyID string, platform bool) WaiverUse {
	u := WaiverUse{Tenant: tenant, Waiver: id, Policy: policyID, Platform: platform}
	var w estate.Waiver
	var ok bool
	switch {
	case p.Estate == nil:
	case platform:
		w, ok = p.Estate.Platform.Waivers[id]
	case p.Estate.Tenants[tenant] != nil:
		w, ok = p.Estate.Tenants[tenant].Waivers[id]
	}
	if ok {
		u.Approver, u.Ticket, u.Reason, u.BreakGlass = w.Approver, w.Ticket, w.Reason, w.BreakGlass
		if !w.Expires.IsZero() {
			exp := w.Expires.UTC()
			u.Expires = &exp
		}
		if len(p.Estate.Platform.Approvers) > 0 && w.NotApproved == "" {
			// In force, so approved: its signature verified.
			owner := tenant
			if platform {
				owner = ""
			}
			u.Signature, u.Payload = w.Signature, string(estate.WaiverPayload(owner, w))
		}
	}
	return u
}

// Path is where the record goes in the environment repository: one file
// per render commit, named by its instant and a digest of the record
// itself, not of the rendered tree alone, so that neither concurrent
// renderers nor two renders of the same tree at the same instant (a
// --full repair, another source commit rendering the same files) write
// the same file.
//
// Records go in a directory per month (.palisade/records/2026/10/…).
// Every commit writes anew the trees above the file it adds, and a flat
// directory's tree lists every record ever made: with 10,000 records,
// one an hour, a commit of one record and one manifest writes 266 KB of
// loose objects, against 14 KB with a directory per month
// (BenchmarkPublishRecord in internal/envrepo). Readers find records
// anywhere under RecordsDir, so repositories whose older records lie
// flat read as well.
func (r *Record) Path() string {
	digest := strings.TrimPrefix(r.RenderDigest, "sha256:")
	if data, err := r.JSON(); err == nil {
		sum := sha256.Sum256(data)
		digest = hex.EncodeToString(sum[:])
	}
	at := r.At.UTC()
	return path.Join(RecordsDir, at.Format("2006/01"), at.Format("20060102T150405Z")+"-"+digest[:12]+".json")
}

// JSON is the record as committed.
func (r *Record) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// CommitMessage summarises a render commit: a subject naming the change,
// a body listing changed, new, removed and held-back tenants, and the
// provenance trailers, then the extra ones (those not derived from the
// record, such as the attestation's).
func (r *Record) CommitMessage(extra ...Trailer) string {
	var changed, added, held []string
	for _, t := range r.Tenants {
		switch {
		case t.HeldBack:
			held = append(held, t.Name)
		case t.New:
			added = append(added, t.Name)
		case t.Changed:
			changed = append(changed, t.Name)
		}
	}
	n := len(changed) + len(added) + len(r.Removed)
	var subject string
	switch {
	case r.PoliciesOnly:
		subject = "palisade: record the policies in force, the tree unchanged"
	case n == 0:
		subject = "palisade: render platform changes"
	case n == 1:
		subject = "palisade: render " + strings.Join(append(append(append([]string{}, added...), changed...), r.Removed...), "")
	default:
		subject = fmt.Sprintf("palisade: render %d tenants", n)
	}
	switch {
	case len(held) > 0 && len(r.PlatformHeldBack) > 0:
		subject += fmt.Sprintf(" (%d held back, and the platform of %d cluster(s))", len(held), len(r.PlatformHeldBack))
	case len(held) > 0:
		subject += fmt.Sprintf(" (%d held back)", len(held))
	case len(r.PlatformHeldBack) > 0:
		subject += fmt.Sprintf(" (the platform of %d cluster(s) held back)", len(r.PlatformHeldBack))
	}
	var b strings.Builder
	b.WriteString(subject + "\n\n")
	if r.PoliciesOnly {
		fmt.Fprintf(&b, "The policies changed since the last render commit that judged every\ntenant, whose policy digest was\n\n  %s\n\nThis render judged every tenant again and changed nothing of the tree:\nthis commit adds its decision record, with the rules in force and which\neach tenant passed.\n\n", r.PreviousPolicyDigest)
	}
	list := func(title string, names []string) {
		if len(names) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(names))
		const max = 50
		for i, n := range names {
			if i == max {
				fmt.Fprintf(&b, "  … and %d more (see the decision record)\n", len(names)-max)
				break
			}
			b.WriteString("  " + n + "\n")
		}
		b.WriteString("\n")
	}
	list("New tenants", added)
	list("Changed tenants", changed)
	list("Removed tenants", r.Removed)
	list("Suspended in Flux while a window applies", r.Suspended)
	if len(r.HeldBack) > 0 {
		fmt.Fprintf(&b, "Held back by a change freeze (%d):\n", len(r.HeldBack))
		for _, h := range r.HeldBack {
			var ws []string
			for _, w := range h.Windows {
				ws = append(ws, fmt.Sprintf("%s %q %s", w.Kind, w.Name, w.Until()))
			}
			what, change, serving := h.Tenant, "its change", ""
			if h.Removal {
				what, change = h.Tenant+" (its removal)", "it"
			}
			switch {
			case len(h.Clusters) > 0:
				serving = fmt.Sprintf(" (%s alters its directories on %s, whose platform change is held back)", change, strings.Join(h.Clusters, ", "))
			case len(h.Serving) > 0:
				serving = fmt.Sprintf(" (%s alters platform objects serving %s)", change, strings.Join(h.Serving, ", "))
			}
			fmt.Fprintf(&b, "  %s: %s%s\n", what, strings.Join(ws, "; "), serving)
			for _, d := range h.Pinned {
				fmt.Fprintf(&b, "    %s keeps building on its previous tier base (%s/)\n", d, FrozenBase)
			}
		}
		b.WriteString("\n")
	}
	if len(r.PlatformHeldBack) > 0 {
		fmt.Fprintf(&b, "Platform changes held back by a change freeze (%d):\n", len(r.PlatformHeldBack))
		for _, ph := range r.PlatformHeldBack {
			const max = 5
			serving := ph.Serving
			more := ""
			if len(serving) > max {
				serving, more = serving[:max], fmt.Sprintf(" and %d more", len(ph.Serving)-max)
			}
			free := ""
			if ph.Free != "" {
				free = " until " + ph.Free
			}
			fmt.Fprintf(&b, "  %s: %s (serving %s%s, frozen%s)\n", ph.Cluster, strings.Join(ph.Directories, ", "), strings.Join(serving, ", "), more, free)
		}
		b.WriteString("\n")
	}
	if len(r.WaiversUsed) > 0 {
		b.WriteString("Waivers used:\n")
		for _, w := range r.WaiversUsed {
			whose := ""
			if w.Platform {
				whose = ", a platform waiver"
			}
			fmt.Fprintf(&b, "  %s: %s (%s%s)\n", w.Tenant, w.Waiver, w.Policy, whose)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\n\n", RecordLine(r.Path()))
	for _, t := range append(r.Trailers(), extra...) {
		if t.Value != "" {
			fmt.Fprintf(&b, "%s: %s\n", t.Key, t.Value)
		}
	}
	return b.String()
}

// RecordLine is the line of a render commit's message naming its record.
func RecordLine(path string) string { return "Decision record: " + path }

// A Trailer is a "Key: value" line of a render commit's last paragraph.
type Trailer struct{ Key, Value string }

// SourceCommitTrailer names the estate commit a render commit rendered.
const SourceCommitTrailer = "Palisade-Source-Commit"

// ParseTrailers reads the "Key: value" lines of a commit message's last
// paragraph.
func ParseTrailers(msg string) []Trailer {
	paras := strings.Split(strings.TrimSpace(msg), "\n\n")
	var out []Trailer
	for _, line := range strings.Split(paras[len(paras)-1], "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k != "" && !strings.Contains(k, " ") {
			out = append(out, Trailer{Key: k, Value: strings.TrimSpace(v)})
		}
	}
	return out
}

// Trailers are the provenance trailers a render commit carries for the
// record, in order; an empty value is left out of the message.
func (r *Record) Trailers() []Trailer {
	return []Trailer{
		{"Palisade-Source-Repo", r.Source.Repo},
		{SourceCommitTrailer, r.Source.Commit},
		{"Palisade-Version", r.Palisade},
		{"Palisade-Render-Digest", r.RenderDigest},
		{"Palisade-Policy-Digest", r.PolicyDigest},
	}
}

// ShortDigest is a digest's first 12 hexadecimal digits, as people quote
// it: sha256:8daf73bfa1fe… reads 8daf73bfa1fe.
func ShortDigest(d string) string { return shortHash(strings.TrimPrefix(d, "sha256:")) }

// TreeDigest hashes a tree: every path and its content, in path order.
func TreeDigest(files map[string][]byte) string {
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(files[p]))
		h.Write(files[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// EstateDigest hashes the estate's source: its CUE files and the key
// files beside them, by path relative to the root.
func EstateDigest(root string) (string, error) {
	files := map[string][]byte{}
	for _, dir := range gitsrc.EstateDirs {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		for _, e := range entries {
			if e.IsDir() || !gitsrc.EstateFile(dir, e.Name()) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(root, dir, e.Name()))
			if err != nil {
				return "", err
			}
			files[path.Join(dir, e.Name())] = data
		}
	}
	return TreeDigest(files), nil
}

// PolicyDigest hashes the built-in policies and the user policy
// directories' Rego and data files.
func PolicyDigest(dirs []string) (string, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := policies.FS.ReadFile(p)
		files["builtin/"+p] = data
		return err
	})
	if err != nil {
		return "", err
	}
	for i, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(p) {
			case ".rego", ".json", ".yaml", ".yml":
			default:
				return nil
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[fmt.Sprintf("user%d/%s", i, filepath.ToSlash(rel))] = data
			return err
		})
		if err != nil {
			return "", err
		}
	}
	return TreeDigest(files), nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

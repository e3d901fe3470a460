// Package evidence exports the audit evidence an environment repository
// holds: the decision record of every render commit (who rendered what,
// from which source commit, which policies passed, which waivers and
// break-glass events let a change through, which freezes held one back,
// which image digests were verified and by which keys), each checked
// against the commit that carries it, and every commit that changed the
// rendered tree without one.
//
// Verification is what makes the export evidence rather than a report:
//
//   - the rendered tree of each render commit (bases/ and clusters/) must
//     hash to the record's render digest: what Argo CD or Flux applies is
//     what the policies judged;
//   - the record's file name carries a digest of its content, and the
//     commit's trailers and message name the record and its digests: a
//     record edited after the fact, or moved to another commit, shows;
//   - records are append-only: a commit that edits or deletes one is a
//     finding;
//   - a commit that changes the rendered tree without a record (an edit
//     by hand, a merge from elsewhere) is a finding: what runs then is not
//     what was reviewed.
package evidence

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// Schema names the bundle format.
const Schema = "palisade.io/evidence-bundle/v1"

// recordSchema is the decision records' format this package reads.
const recordSchema = "palisade.io/decision-record/v1"

// Options select what Export reads.
type Options struct {
	// Since (inclusive) and Until (exclusive) bound the period; zero
	// leaves that side open. A render commit is in the period by its
	// record's instant (the render's --at), any other commit by its
	// committer's time.
	Since, Until time.Time
	// Tenants narrow the export to renders and findings about these
	// tenants; empty means every tenant.
	Tenants []string
	// RecordKey, when set, is the key the render job signs decision
	// records with (palisade render --record-key): every record of the
	// period must carry a signature it verifies.
	RecordKey signature.Verifier
	// CommitKeyring, when set, holds the ASCII-armored OpenPGP public
	// key(s) render commits are signed with (palisade render
	// --commit-key): every render commit of the period must carry a
	// signature one of them verifies.
	CommitKeyring string
	// Source, when set, is the estate's repository: each render's source
	// commit is looked up in it, for who wrote and committed the change
	// and who reviewed or approved it; a source commit it lacks is a
	// finding.
	Source *gitsrc.Repo
	// Reproduce, with Source, renders each render commit's source commit
	// again and compares the tree it makes with the committed one.
	Reproduce *Reproduction
}

// Reproduction says how renders are done again: a record proves what the
// render judged, a reproduction that its source really makes that tree.
type Reproduction struct {
	// Version is the running Palisade's: a render of another version is
	// not reproduced (its templates and policies may differ), only noted.
	Version string
	// PolicyDirs are the user policy directories the renders used; a
	// record whose policy digest is not theirs is not reproduced.
	PolicyDirs []string
}

// Bundle is the evidence export: the render commits of the period,
// oldest first, and what verifying them found.
type Bundle struct {
	Schema     string     `json:"schema"`
	Repository string     `json:"repository"`
	Branch     string     `json:"branch"`
	Tip        string     `json:"tip"`
	Since      *time.Time `json:"since,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	Tenants    []string   `json:"tenants,omitempty"`
	// Verified is true when every render commit verified and no finding
	// stands.
	Verified bool      `json:"verified"`
	Summary  Summary   `json:"summary"`
	Renders  []Render  `json:"renders"`
	Findings []Finding `json:"findings"`
	// Notes are commits without a record that are not findings: a
	// commit restoring the rendered tree the last render judged (the
	// revert of an edit by hand).
	Notes []Finding `json:"notes,omitempty"`
	// Current is the render commit whose judged tree the tip's rendered
	// tree is; empty when the tip's is no verified render's (an edit by
	// hand since, or a render that does not verify).
	Current string `json:"current"`
	// Reproduce is true when the renders were reproduced
	// (Options.Reproduce): Render.Reproduced says which were.
	Reproduce bool `json:"reproduce,omitempty"`
	// CommitSignatures is true when render commits' signatures were
	// checked (Options.CommitKeyring): Render.SignedBy says by which key.
	CommitSignatures bool `json:"commitSignatures,omitempty"`
	// Attestations is true when records' attestations were checked
	// (Options.RecordKey): Render.Attestation names those that verified.
	Attestations bool `json:"attestations,omitempty"`
}

// Summary counts what the bundle holds.
type Summary struct {
	Renders int `json:"renders"`
	// New, Changed and Removed count tenant changes that went through;
	// HeldBack the changes a freeze held back.
	New      int `json:"new"`
	Changed  int `json:"changed"`
	Removed  int `json:"removed"`
	HeldBack int `json:"heldBack"`
	// PlatformHeldBack counts the clusters whose platform change a
	// freeze held back.
	PlatformHeldBack int `json:"platformHeldBack"`
	// WaiversUsed counts the waiver uses, BreakGlass those of break-glass
	// waivers.
	WaiversUsed int `json:"waiversUsed"`
	BreakGlass  int `json:"breakGlass"`
	// Warnings counts the warn results of the tenants' policies.
	Warnings int `json:"warnings"`
	// Images counts the distinct image digests the renders verified.
	Images int `json:"images"`
	// Reproduced counts the renders a reproduction confirmed
	// (Options.Reproduce).
	Reproduced int `json:"reproduced,omitempty"`
	// Signed counts the render commits signed by a key of the commit
	// keyring (Options.CommitKeyring); Attested the records whose
	// attestation verified with the record key (Options.RecordKey).
	Signed   int `json:"signed,omitempty"`
	Attested int `json:"attested,omitempty"`
	Findings int `json:"findings"`
}

// Render is one render commit with its decision record, narrowed to the
// tenants asked for.
type Render struct {
	Commit    string    `json:"commit"`
	Parent    string    `json:"parent,omitempty"`
	Author    string    `json:"author"`
	Committed time.Time `json:"committed"`
	// RecordPath is the record's file in the repository.
	RecordPath string `json:"recordPath"`
	// Verified is true when the commit's rendered tree, trailers and
	// record name all agree with the record.
	Verified bool `json:"verified"`
	// Reproduced is true when rendering the source commit again
	// (Options.Reproduce) made exactly the committed tree.
	Reproduced bool `json:"reproduced,omitempty"`
	// Attestation is the record's in-toto attestation (SLSA provenance),
	// when it verified with the record key (Options.RecordKey).
	Attestation string `json:"attestation,omitempty"`
	// SignedBy is the ID of the OpenPGP key that signed the render commit,
	// when the commit keyring verified it (Options.CommitKeyring).
	SignedBy string `json:"signedBy,omitempty"`
	// Record is the decision record, its tenants, waiver uses, hold-backs
	// and images narrowed to the tenants asked for.
	Record *pipeline.Record `json:"record"`
	// Change is the source commit rendered, as the estate's repository
	// has it (Options.Source).
	Change *SourceCommit `json:"change,omitempty"`
}

// SourceCommit is the estate commit a render rendered: who changed what,
// and who approved it.
type SourceCommit struct {
	Commit    string    `json:"commit"`
	Author    string    `json:"author"`
	Authored  time.Time `json:"authored"`
	Committer string    `json:"committer"`
	Committed time.Time `json:"committed"`
	Subject   string    `json:"subject"`
	// Merge is true for a merge commit (a pull request merged with a
	// merge commit names it in its subject).
	Merge bool `json:"merge,omitempty"`
	// Signed is true when the commit carries a signature (OpenPGP or
	// SSH); verifying it is the forge's or git's part.
	Signed bool `json:"signed,omitempty"`
	// Approvals are the trailers naming who reviewed, approved,
	// acknowledged or co-wrote the change ("Reviewed-by: …").
	Approvals []string `json:"approvals,omitempty"`
}

// Finding kinds.
const (
	// FindingUnrecorded: a commit changed rendered files without a
	// decision record.
	FindingUnrecorded = "unrecorded-change"
	// FindingRecordChanged: a commit edited or deleted a decision record.
	FindingRecordChanged = "record-changed"
	// FindingRecordInvalid: a record does not parse as a decision record.
	FindingRecordInvalid = "record-invalid"
	// FindingRecordName: a record's content does not match the digest in
	// its file name.
	FindingRecordName = "record-name"
	// FindingRenderDigest: the committed rendered tree does not hash to
	// the record's render digest.
	FindingRenderDigest = "render-digest"
	// FindingTrailers: the commit's message or trailers disagree with its
	// record.
	FindingTrailers = "trailers"
	// FindingRecordBase: a record was made for a render on top of
	// another commit than its commit's parent: the commit was rebased or
	// cherry-picked, or the record copied, so what the policies judged
	// the change against is not what it changed.
	FindingRecordBase = "record-base"
	// FindingManyRecords: a commit added more than one record.
	FindingManyRecords = "records-per-commit"
	// FindingUnreviewedSource: a render was made from uncommitted changes
	// or outside git: no source commit holds what was judged.
	FindingUnreviewedSource = "unreviewed-source"
	// FindingUnknownSource: the render's source commit is not in the
	// estate's repository (Options.Source).
	FindingUnknownSource = "unknown-source"
	// FindingRecordSignature: a record carries no signature, or one the
	// record key does not verify (Options.RecordKey).
	FindingRecordSignature = "record-signature"
	// FindingAttestation: a record's in-toto attestation does not verify
	// with the record key, is about another record, disagrees with the
	// record, or is named by the commit's trailer and missing
	// (Options.RecordKey).
	FindingAttestation = "attestation"
	// FindingCommitSignature: a render commit is not signed, or not by a
	// key of the commit keyring (Options.CommitKeyring).
	FindingCommitSignature = "commit-signature"
	// FindingSourceMismatch: the estate at the record's source commit is
	// not the estate the record's estate digest says was rendered
	// (Options.Reproduce).
	FindingSourceMismatch = "source-mismatch"
	// FindingNotReproduced: rendering the source commit again, as the
	// record says it was rendered, does not make the committed tree
	// (Options.Reproduce).
	FindingNotReproduced = "not-reproduced"
)

// Finding is something verification found wrong, about one commit.
type Finding struct {
	Commit string `json:"commit"`
	// Author wrote the change; Committer made the commit as it stands
	// (who amended or rebased it).
	Author    string    `json:"author"`
	Committer string    `json:"committer"`
	Committed time.Time `json:"committed"`
	Kind      string    `json:"kind"`
	Message   string    `json:"message"`
	// Paths are the files concerned (a few of them, for a large change).
	Paths []string `json:"paths,omitempty"`
	// More counts the paths not listed.
	More int `json:"more,omitempty"`
	// Diff shows what differs, as a unified diff of the first few files
	// (a render that was not reproduced: from the committed file to the
	// reproduced one).
	Diff string `json:"diff,omitempty"`
}

// Export reads the first-parent history of the branch tip and returns the
// bundle of the period. repo names the repository in the bundle (a path
// or a URL without credentials).
func Export(ctx context.Context, tip *envrepo.Snapshot, repo string, o Options) (*Bundle, error) {
	b := &Bundle{
		Schema: Schema, Repository: repo, Branch: tip.Branch, Tip: tip.Commit.String(),
		Tenants: slices.Sorted(slices.Values(o.Tenants)), Renders: []Render{}, Findings: []Finding{},
		Reproduce: o.Reproduce != nil, CommitSignatures: o.CommitKeyring != "", Attestations: o.RecordKey != nil,
	}
	if tip.Empty() {
		b.Tip = ""
	}
	if !o.Since.IsZero() {
		s := o.Since.UTC()
		b.Since = &s
	}
	if !o.Until.IsZero() {
		u := o.Until.UTC()
		b.Until = &u
	}
	e := &exporter{ctx: ctx, tenants: o.Tenants, source: o.Source, key: o.RecordKey, keyring: o.CommitKeyring, reproduce: o.Reproduce, in: func(t time.Time) bool {
		return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || t.Before(o.Until))
	}}
	var commits []*envrepo.HistoryCommit
	if err := tip.History(func(c *envrepo.HistoryCommit) error {
		commits = append(commits, c)
		return nil
	}); err != nil {
		return nil, err
	}
	// Oldest first, as an auditor reads a period, and so that each commit
	// is judged knowing which rendered tree the renders before it judged.
	for _, c := range slices.Backward(commits) {
		renders, findings, notes, err := e.examine(c)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.Commit, err)
		}
		b.Renders = append(b.Renders, renders...)
		b.Findings = append(b.Findings, findings...)
		b.Notes = append(b.Notes, notes...)
	}
	if err := e.unnamedTenants(); err != nil {
		return nil, err
	}
	if len(commits) > 0 {
		key, err := treeKeyOf(commits[0].Snapshot)
		if err != nil {
			return nil, err
		}
		if key == e.judged.key {
			ok, _, err := e.verified(&e.judged)
			if err != nil {
				return nil, err
			}
			if ok {
				b.Current = e.judged.commit
			}
		}
	}
	b.summarise()
	return b, nil
}

// narrow keeps only what the record says about tenants (all when none is
// asked for) and reports whether anything is left of the render.
func narrow(r *Render, tenants []string) bool {
	if len(tenants) == 0 {
		return true
	}
	rec := *r.Record
	keep := func(name string) bool { return slices.Contains(tenants, name) }
	rec.Tenants = slices.DeleteFunc(slices.Clone(rec.Tenants), func(t pipeline.TenantRecord) bool { return !keep(t.Name) })
	rec.Removed = slices.DeleteFunc(slices.Clone(rec.Removed), func(n string) bool { return !keep(n) })
	rec.HeldBack = slices.DeleteFunc(slices.Clone(rec.HeldBack), func(h pipeline.HoldBack) bool { return !keep(h.Tenant) })
	rec.PlatformHeldBack = slices.DeleteFunc(slices.Clone(rec.PlatformHeldBack), func(ph pipeline.PlatformHoldBack) bool {
		return !slices.ContainsFunc(ph.Serving, keep)
	})
	rec.WaiversUsed = slices.DeleteFunc(slices.Clone(rec.WaiversUsed), func(w pipeline.WaiverUse) bool { return !keep(w.Tenant) })
	rec.Suspended = slices.DeleteFunc(slices.Clone(rec.Suspended), func(n string) bool { return !keep(n) })
	// The images the kept tenants run.
	digests := map[string]bool{}
	for _, t := range rec.Tenants {
		for _, img := range t.Images {
			digests[img.Digest] = true
		}
	}
	rec.Images = slices.DeleteFunc(slices.Clone(rec.Images), func(f pipeline.ImageFact) bool { return !digests[f.Digest] })
	r.Record = &rec
	return len(rec.Tenants)+len(rec.Removed)+len(rec.HeldBack)+len(rec.PlatformHeldBack)+len(rec.Suspended) > 0
}

func (b *Bundle) summarise() {
	s := Summary{Renders: len(b.Renders), Findings: len(b.Findings)}
	digests := map[string]bool{}
	b.Verified = len(b.Findings) == 0
	for _, r := range b.Renders {
		b.Verified = b.Verified && r.Verified
		if r.Reproduced {
			s.Reproduced++
		}
		if r.SignedBy != "" {
			s.Signed++
		}
		if r.Attestation != "" {
			s.Attested++
		}
		rec := r.Record
		for _, t := range rec.Tenants {
			switch {
			case t.HeldBack:
				s.HeldBack++
			case t.New:
				s.New++
			case t.Changed:
				s.Changed++
			}
			for _, res := range t.Results {
				if res.Severity == "warn" {
					s.Warnings++
				}
			}
		}
		s.Removed += len(rec.Removed)
		s.PlatformHeldBack += len(rec.PlatformHeldBack)
		s.WaiversUsed += len(rec.WaiversUsed)
		for _, w := range rec.WaiversUsed {
			if w.BreakGlass {
				s.BreakGlass++
			}
		}
		for _, img := range rec.Images {
			if img.Digest != "" && len(img.Signers) > 0 {
				digests[img.Digest] = true
			}
		}
	}
	s.Images = len(digests)
	b.Summary = s
}

// Author formats a signature as "Name <email>".
func Author(sig object.Signature) string { return sig.Name + " <" + sig.Email + ">" }

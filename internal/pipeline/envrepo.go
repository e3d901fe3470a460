package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/render"
)

// Commit says who commits a render into the environment repository.
type Commit struct {
	Source Source
	// Version is Palisade's version, for the record and trailers; the
	// state of the last render is only reused by the same version.
	Version string
	// Build identifies the running build beyond Version, for the state's
	// key only: set it when Version does not change with the code (a
	// development build's "(devel)" or "+dirty" pseudo-version), so that
	// a rebuilt Palisade renders every tenant again.
	Build  string
	Author object.Signature
	// Full renders every tenant, ignoring the state of the last render.
	Full bool
	// Prefetched, when not nil, is the branch tip read ahead (PrefetchTip);
	// used if the tip has not moved since.
	Prefetched *Prefetch
	// RecordSigner, when set, signs each decision record: its signature,
	// base64, is committed beside it as <record>.sig (SignaturePath), the
	// form `cosign verify-blob --signature` reads, and so is its in-toto
	// attestation (AttestationPath, named by the commit's
	// Palisade-Attestation trailer). An auditor holding the public key can
	// then tell a record the render job wrote from one written by anyone
	// else who can push to the repository.
	RecordSigner signature.Signer
	// CommitSigner, when set, signs each render commit with OpenPGP
	// (envrepo.OpenPGPSigner), for the GitOps controller to verify
	// (platform.gitops.commitSigning).
	CommitSigner func(commit []byte, when time.Time) (string, error)
	// CommitKeyID is the ID of CommitSigner's key, for the outcome.
	CommitKeyID string
	// Previous, when set, loads the estate as it stood at an estate
	// commit. A tenant the render removes is then judged by its own
	// calendar as the estate the tip was rendered from (the tip's
	// Palisade-Source-Commit) had it; without it, by the platform's and
	// its tier's calendars only, and the report says so (Report.Notes).
	// When that commit cannot be read, the render fails unless
	// AllowUnreadEstates.
	Previous EstateLoader
	// AllowUnreadEstates lets the render go on when Previous cannot read
	// an estate commit it needs (a shallow clone): calendar edits and
	// removals are then judged without it, the report's notes say what
	// went unjudged and the record names the commits
	// (Record.UnreadEstates). Without it, such a render fails closed with
	// an *OutsideError, committing nothing: otherwise a checkout without
	// history would be a way through a freeze.
	AllowUnreadEstates bool
}

// unreadEstate is an estate commit the render needed and could not read.
type unreadEstate struct {
	commit string
	err    error
}

// unreadError is the render's refusal to judge without the estate
// commits in unread, which the estate's repository cannot give.
func unreadError(unread []unreadEstate) error {
	what := make([]string, len(unread))
	for i, u := range unread {
		what[i] = fmt.Sprintf("%s (%s)", shortHash(u.commit), oneLine(u.err))
	}
	return &OutsideError{Op: "reading the estate's history", Err: fmt.Errorf(
		"cannot read estate commit %s, which the render judges against: whether a change ends a freeze window early "+
			"(freeze.window-lifted), and a removed tenant's own freeze calendar. "+
			"A shallow clone lacks it, as does one that never fetched the commit: fetch the estate's whole history (git fetch --unshallow; actions/checkout with fetch-depth: 0), "+
			"or pass --allow-unread-estate to render without judging these, as the render's notes and its decision record then say",
		strings.Join(what, ", "))}
}

// An EstateLoader loads the estate as it stood at an estate commit. beside
// is the estate being rendered: a loader may evaluate only the files that
// differ from it (gitsrc.Repo.LoadEstateBeside).
type EstateLoader func(commit string, beside *estate.Estate) (*estate.Estate, error)

// HeldCalendarTrailer, on a render commit that holds back a tenant's
// removal, is "<tenant> <estate commit>": where the tenant's own freeze
// calendar was read from (HoldBack.CalendarFrom), which the estate
// rendered no longer has.
const HeldCalendarTrailer = "Palisade-Held-Removal-Calendar"

// previousBaseline is base with the estate it was rendered from and the
// previous definitions of the tenants the render removes. The estate is
// commit's (the last render's estate), which load reads unless it is
// rendering, the estate commit being rendered (p.Estate): a change that
// ends a window early for a tenant is judged by it (freeze.window-lifted).
// A removed tenant's definition is as the estate commit in held has it (a
// removal an earlier render held back), else as commit has it. It also
// returns notes on what could not be judged: a removal without the
// tenant's own calendar (noCommit says why when there is no commit to
// read), and the windows a change ends early, when commit cannot be read;
// and the estate commits it could not read, sorted (Record.UnreadEstates),
// with why.
func (p *Prepared) previousBaseline(base Baseline, commit, rendering string, held map[string]string, noCommit string, load EstateLoader) (Baseline, []string, []unreadEstate) {
	pb := previousBaseline{Baseline: base, tenants: map[string]previousTenant{}}
	type loaded struct {
		e   *estate.Estate
		err error
	}
	cache := map[string]loaded{}
	if commit != "" && commit == rendering {
		cache[commit] = loaded{e: p.Estate}
	}
	get := func(from string) (*estate.Estate, error) {
		l, ok := cache[from]
		if !ok {
			l.e, l.err = load(from, p.Estate)
			cache[from] = l
		}
		return l.e, l.err
	}
	var removals []string
	for _, t := range base.Tenants() {
		if p.Estate.Tenants[t] != nil {
			continue
		}
		from := cmp.Or(held[t], commit)
		switch {
		case from == "":
			removals = append(removals, fmt.Sprintf("of %s: %s", t, noCommit))
			continue
		case load == nil:
			removals = append(removals, fmt.Sprintf("of %s: the estate is not in a git repository", t))
			continue
		}
		e, err := get(from)
		if err != nil {
			removals = append(removals, fmt.Sprintf("of %s: the estate as of commit %s cannot be read (%v); a shallow clone lacks it: fetch the estate's history", t, shortHash(from), oneLine(err)))
			continue
		}
		if e.Tenants[t] == nil {
			removals = append(removals, fmt.Sprintf("of %s: the estate as of commit %s does not define it", t, shortHash(from)))
			continue
		}
		pb.tenants[t] = previousTenant{t: e.Tenants[t], commit: from}
	}
	// A tenant whose removal an earlier render held back and that the
	// estate has again: the last render judged it by the definition its
	// held removal names, which a change that ends its windows early is
	// compared with.
	for t, from := range held {
		if p.Estate.Tenants[t] == nil || load == nil {
			continue
		}
		if e, err := get(from); err == nil && e.Tenants[t] != nil {
			pb.tenants[t] = previousTenant{t: e.Tenants[t], commit: from}
		}
	}
	var notes []string
	if len(removals) > 0 {
		notes = append(notes, "the removal "+strings.Join(removals, "; the removal ")+": judged by the platform's and the tier's freeze calendars only, not by the tenant's own")
	}
	if commit != "" && load != nil {
		e, err := get(commit)
		if err != nil {
			notes = append(notes, fmt.Sprintf("the estate the last render was made from (commit %s) cannot be read (%v): a change that ends a freeze window early is not judged (freeze.window-lifted); a shallow clone lacks it: fetch the estate's history", shortHash(commit), oneLine(err)))
		}
		pb.est = e
	}
	var unread []unreadEstate
	for c, l := range cache {
		if l.err != nil {
			unread = append(unread, unreadEstate{commit: c, err: l.err})
		}
	}
	slices.SortFunc(unread, func(a, b unreadEstate) int { return strings.Compare(a.commit, b.commit) })
	if len(pb.tenants) == 0 && pb.est == nil {
		return base, notes, unread
	}
	return pb, notes, unread
}

// previousFromTip is previousBaseline for a render of the estate commit
// rendering onto the environment repository commit whose message is msg:
// the estate commit it was rendered from, and the held removals'
// calendars it names.
func (p *Prepared) previousFromTip(base Baseline, msg, rendering string, load EstateLoader) (Baseline, []string, []unreadEstate) {
	commit, held := "", map[string]string{}
	for _, t := range ParseTrailers(msg) {
		switch t.Key {
		case SourceCommitTrailer:
			commit = t.Value
		case HeldCalendarTrailer:
			if name, from, ok := strings.Cut(t.Value, " "); ok {
				held[name] = from
			}
		}
	}
	return p.previousBaseline(base, commit, rendering, held, "the environment repository's last render names no estate commit ("+SourceCommitTrailer+")", load)
}

// oneLine is the first line of err's message.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// SignaturePath is where the signature of the record at path is committed.
func SignaturePath(path string) string { return path + ".sig" }

// Prefetch is an environment repository's branch tip being read in the
// background: reading every file of a 1,000-tenant tree takes about as
// long as loading the estate, and the two need not wait for each other.
type Prefetch struct {
	done   chan struct{}
	commit plumbing.Hash
	msg    string
	files  map[string][]byte
	err    error
}

// PrefetchTip starts reading the files of branch's tip in the repository
// at the local path dir, read-only (envrepo.ReadTip). A repository that
// does not exist, or cannot be read, is simply not prefetched.
func PrefetchTip(dir, branch string) *Prefetch {
	pf := &Prefetch{done: make(chan struct{})}
	go func() {
		defer close(pf.done)
		snap, err := envrepo.ReadTip(dir, branch)
		if err != nil {
			pf.err = err
			return
		}
		pf.commit, pf.msg = snap.Commit, snap.Message()
		pf.files, pf.err = snap.Files("", RecordsDir)
	}()
	return pf
}

// A PreviousSource is where Prefetch.Previous loads estates from: an
// estate's git repository (gitsrc.Repo).
type PreviousSource interface {
	LoadEstate(commit string) (*estate.Estate, error)
	LoadEstateBeside(commit string, beside *estate.Estate) (*estate.Estate, error)
	// SameBesideTenants reports whether the estate commits a and b have
	// the same platform, tier and key files.
	SameBesideTenants(a, b string) bool
}

// Previous returns a loader for Commit.Previous that knows, as soon as
// the prefetched tip is read, which estate commit the tip was rendered
// from (its Palisade-Source-Commit), unless that is rendering, the estate
// commit about to be rendered. When the two differ only in tenant files,
// the loader evaluates just those beside the estate being rendered
// (LoadEstateBeside), which takes little time once that estate is loaded;
// otherwise the whole estate must be evaluated, and it starts loading at
// once, beside the estate's own load, so that a render judging calendar
// edits (freeze.window-lifted) waits for neither. Other commits load when
// asked. src is used on another goroutine than the caller's until the
// loader is first called: give it a repository of its own. A nil prefetch
// starts nothing.
func (pf *Prefetch) Previous(rendering string, src PreviousSource) EstateLoader {
	if src == nil {
		return nil
	}
	if pf == nil {
		return src.LoadEstateBeside
	}
	var (
		commit  string
		partial bool
		e       *estate.Estate
		err     error
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pf.Wait()
		if pf.err != nil {
			return
		}
		for _, t := range ParseTrailers(pf.msg) {
			if t.Key == SourceCommitTrailer {
				commit = t.Value
			}
		}
		switch {
		case commit == rendering:
			commit = ""
		case commit == "":
		case rendering != "" && src.SameBesideTenants(commit, rendering):
			partial = true
		default:
			e, err = src.LoadEstate(commit)
		}
	}()
	return func(c string, beside *estate.Estate) (*estate.Estate, error) {
		<-done
		if c != "" && c == commit && !partial {
			return e, err
		}
		return src.LoadEstateBeside(c, beside)
	}
}

// Wait waits for the prefetch to finish.
func (pf *Prefetch) Wait() { <-pf.done }

// Pending reports whether the prefetch read files that have not been used.
func (pf *Prefetch) Pending() bool {
	pf.Wait()
	return pf.err == nil && pf.files != nil
}

// take returns the prefetched files if they are those of tip, once.
func (pf *Prefetch) take(tip plumbing.Hash) (map[string][]byte, bool) {
	if pf == nil || pf.err != nil || pf.files == nil || pf.commit != tip || tip.IsZero() {
		return nil, false
	}
	files := pf.files
	pf.files = nil
	return files, true
}

// Published is the outcome of a render into an environment repository.
type Published struct {
	Report  *Report
	Record  *Record
	Outcome envrepo.Outcome
	// SignedBy is the ID of the OpenPGP key the commit was signed with
	// (Commit.CommitKeyID); empty when nothing was committed or signed.
	SignedBy string
}

// errDenied stops a publish: the policies denied the change.
var errDenied = errors.New("policies denied the change")

// Publish renders the prepared estate against the tip of the environment
// repository's branch and commits the result, with a decision record and
// provenance trailers. A render whose tree equals the tip's commits
// nothing. When a push is rejected because another renderer moved the
// branch, the render is redone against the new tip: freeze hold-backs and
// change detection always judge against what is really committed.
func (p *Prepared) Publish(ctx context.Context, repo *envrepo.Repo, c Commit) (*Published, error) {
	pub := &Published{}
	if c.Prefetched != nil {
		// Read ahead from its own handle: done before the repository is
		// touched through repo.
		c.Prefetched.Wait()
	}
	out, err := repo.Publish(ctx, func(tip *envrepo.Snapshot) (envrepo.Change, error) {
		all, ok := c.Prefetched.take(tip.Commit)
		if !ok {
			var err error
			if all, err = tip.Files("", RecordsDir); err != nil {
				return envrepo.Change{}, err
			}
		}
		return p.build(ctx, tip, all, c, localState{dir: filepath.Join(repo.GitDir(), "palisade"), tip: tip.Commit}, pub)
	})
	pub.Outcome = out
	if errors.Is(err, errDenied) {
		return pub, nil
	}
	if err != nil {
		if envrepo.IsOutside(err) {
			return nil, &OutsideError{Op: "environment repository", Err: err}
		}
		return nil, err
	}
	if !out.Unchanged && c.CommitSigner != nil {
		pub.SignedBy = c.CommitKeyID
	}
	return pub, nil
}

// build renders the prepared estate against the branch tip, whose files
// are all, and returns what to commit, filling pub's report and record.
// local is the state kept beside the repository for the tip (a zero one
// for none).
func (p *Prepared) build(ctx context.Context, tip *envrepo.Snapshot, all map[string][]byte, c Commit, local localState, pub *Published) (envrepo.Change, error) {
	base := NewMapBaseline(all)
	drift, err := DriftSinceRender(tip)
	if err != nil {
		return envrepo.Change{}, err
	}
	cc := c
	cc.Full = c.Full || drift.State
	q, fps, global, prevState, err := p.incremental(all, base, cc, local, drift.Tenants)
	if err != nil {
		return envrepo.Change{}, err
	}
	rb, notes, unread := p.previousFromTip(base, tip.Message(), c.Source.Clean(), c.Previous)
	if len(unread) > 0 && !c.AllowUnreadEstates {
		return envrepo.Change{}, unreadError(unread)
	}
	o, err := q.Render(ctx, rb)
	if err != nil {
		return envrepo.Change{}, err
	}
	o.Report.Notes = append(o.Report.Notes, notes...)
	for _, t := range slices.Sorted(maps.Keys(drift.Tenants)) {
		if slices.Contains(o.Report.Changed, t) && !slices.ContainsFunc(o.Report.HeldBack, func(h HoldBack) bool { return h.Tenant == t }) {
			o.Report.Repaired = append(o.Report.Repaired, Repair{Tenant: t, Files: drift.Tenants[t]})
		}
	}
	o.Report.StateEdited = drift.State
	pub.Report = o.Report
	if o.Report.Denied {
		return envrepo.Change{}, errDenied
	}
	files := o.Tree(base)
	rendered := TreeDigest(files)
	prev := map[string][]byte{}
	for path, data := range all {
		if strings.HasPrefix(path, ".palisade/") {
			files[path] = data // the render state, and files of the user's
		} else if underAny(path, Owned) {
			prev[path] = data
		}
	}
	rec, err := p.NewRecord(o, c.Source, c.Version, rendered)
	if err != nil {
		return envrepo.Change{}, err
	}
	if !tip.Empty() {
		rec.Base = tip.Commit.String()
	}
	for _, u := range unread {
		rec.UnreadEstates = append(rec.UnreadEstates, u.commit)
	}
	pub.Record = rec
	committed := committedState(all)
	if committed.Policy != "" && committed.Policy != rec.PolicyDigest {
		rec.PreviousPolicyDigest = committed.Policy
	}
	judgedBy := committed.Policy
	if len(p.Options.Tenants) == 0 {
		judgedBy = rec.PolicyDigest
	}
	if rendered == TreeDigest(prev) {
		if rec.PreviousPolicyDigest == "" || len(p.Options.Tenants) > 0 {
			// Nothing to apply: no new record either, so the tree
			// equals the tip's and nothing is committed. When the
			// committed state was of another version (or --full), the
			// state of this render is kept beside the repository, so
			// that the next render at this tip need not redo it all —
			// unless the policies changed: a render of some tenants
			// (--tenant) judged only them, and the next render of all
			// is to judge every tenant again and commit its record.
			if committed.Global != global && rec.PreviousPolicyDigest == "" {
				if st, err := newState(global, judgedBy, fps, o, prevState, p.Options.At); err == nil {
					local.save(st)
				}
			}
			return envrepo.Change{Files: files, Keep: keepRecords, Message: "unchanged", Author: c.Author}, nil
		}
		// The policies changed since every tenant was last judged, and
		// they judged them all again: the tree stays, but the record
		// of the rules in force, and which each tenant passed, is
		// committed, or the evidence would name the old rules until
		// the next change to the tree.
		rec.PoliciesOnly = true
	}
	data, err := rec.JSON()
	if err != nil {
		return envrepo.Change{}, err
	}
	files[rec.Path()] = data
	var extra []Trailer
	for _, h := range o.Report.HeldBack {
		if h.Removal && h.CalendarFrom != "" {
			extra = append(extra, Trailer{HeldCalendarTrailer, h.Tenant + " " + h.CalendarFrom})
		}
	}
	if c.RecordSigner != nil {
		sig, err := c.RecordSigner.SignMessage(bytes.NewReader(data))
		if err != nil {
			return envrepo.Change{}, fmt.Errorf("signing the decision record: %w", err)
		}
		files[SignaturePath(rec.Path())] = []byte(base64.StdEncoding.EncodeToString(sig))
		att, err := Attest(c.RecordSigner, rec, rec.Path(), data)
		if err != nil {
			return envrepo.Change{}, fmt.Errorf("attesting the decision record: %w", err)
		}
		files[AttestationPath(rec.Path())] = att
		extra = append(extra, Trailer{AttestationTrailer, AttestationPath(rec.Path())})
	}
	st, err := newState(global, judgedBy, fps, o, prevState, p.Options.At)
	if err != nil {
		return envrepo.Change{}, err
	}
	files[StatePath] = st
	return envrepo.Change{Files: files, Keep: keepRecords, Message: rec.CommitMessage(extra...), Author: c.Author, Sign: c.CommitSigner}, nil
}

// Plan renders the prepared estate against the branch tip as Publish would,
// and commits nothing: the report, record and changed files of the commit
// the next render would make (render --dry-run). Its outcome is Unchanged
// when that render would commit nothing. The repository is only read.
func (p *Prepared) Plan(ctx context.Context, tip *envrepo.Snapshot, c Commit) (*Published, error) {
	pub := &Published{}
	all, err := tip.Files("", RecordsDir)
	if err != nil {
		return nil, err
	}
	change, err := p.build(ctx, tip, all, c, localState{}, pub)
	if errors.Is(err, errDenied) {
		return pub, nil
	}
	if err != nil {
		return nil, err
	}
	out := envrepo.Outcome{Commit: tip.Commit, Parent: tip.Commit}
	for path, data := range change.Files {
		switch before, ok := all[path]; {
		case !ok:
			out.Added = append(out.Added, path)
		case !bytes.Equal(before, data):
			out.Modified = append(out.Modified, path)
		}
	}
	for path := range all {
		// Files outside what renders own are kept, as Publish keeps them.
		owned := slices.ContainsFunc(envrepo.DefaultOwned, func(dir string) bool { return strings.HasPrefix(path, dir) })
		if _, ok := change.Files[path]; !ok && owned {
			out.Deleted = append(out.Deleted, path)
		}
	}
	slices.Sort(out.Added)
	slices.Sort(out.Modified)
	slices.Sort(out.Deleted)
	out.Unchanged = len(out.Added)+len(out.Modified)+len(out.Deleted) == 0
	pub.Outcome = out
	return pub, nil
}

// keepRecords keeps the decision records of earlier render commits, with
// their signatures and attestations, as the tip has them. A render neither
// reads nor hands them back: they only grow, one per render commit, and a
// render of every tenant of a 1,000-tenant estate writes one of about
// 2.5 MB, so reading them all would make every render slower and larger
// with the repository's age.
var keepRecords = []string{RecordsDir}

// StatePath holds what the last render commit made of each tenant, so the
// next render redoes only the tenants whose inputs changed.
const StatePath = ".palisade/state.json"

// state is the content of StatePath.
type state struct {
	// Global hashes what every tenant's render depends on beyond its
	// fingerprint: Palisade's version (and build, for a development
	// build), the policies, target, layout and the sync windows' horizon.
	Global string    `json:"global"`
	At     time.Time `json:"at"`
	// Policy is the policy digest of the last render commit that judged
	// every tenant (one not limited by --tenant): a render of them all
	// under other policies commits its record even when the tree is
	// unchanged. Absent from states written before Palisade kept it.
	Policy string `json:"policy,omitempty"`
	// Tenants are the fingerprints of the tenants as committed.
	Tenants map[string]string `json:"tenants"`
}

// incremental narrows the render to the tenants whose inputs differ from
// the state of the last commit: a copy of p rendering only those. A tenant
// is redone when its fingerprint changed, one of its directories is
// missing, or one of its waivers expired since the last render.
//
// It also returns the state it went by: the committed one, or the one kept
// beside the repository for the tip (localState); none when it renders
// every tenant.
func (p *Prepared) incremental(all map[string][]byte, base *MapBaseline, c Commit, local localState, edited map[string][]string) (*Prepared, map[string]string, string, state, error) {
	fps, err := Fingerprints(p)
	if err != nil {
		return nil, nil, "", state{}, err
	}
	pd, err := PolicyDigest(p.Options.PolicyDirs)
	if err != nil {
		return nil, nil, "", state{}, err
	}
	o := p.Options
	horizon := o.At.UTC().Format("2006-01")
	key := map[string][]byte{
		"version": []byte(c.Version), "policy": []byte(pd), "target": []byte(o.Target),
		"layout": []byte(o.Layout), "horizon": []byte(horizon),
	}
	if c.Build != "" {
		// Only then: the key of a release stays what it was.
		key["build"] = []byte(c.Build)
	}
	global := TreeDigest(key)
	q := *p
	var prev state
	data, ok := all[StatePath]
	if !ok || json.Unmarshal(data, &prev) != nil || prev.Global != global {
		prev, ok = local.load()
		ok = ok && prev.Global == global
	}
	if c.Full || !ok {
		return &q, fps, global, state{}, nil
	}
	var redo []string
	planned := render.PlannedDirs(p.Estate)
	for t, fp := range fps {
		if len(o.Tenants) > 0 && !slices.Contains(o.Tenants, t) {
			continue
		}
		if prev.Tenants[t] != fp || edited[t] != nil || missingDir(planned[t], base.TenantDirs(t)) || waiverExpired(p.Estate.Tenants[t].Waivers, prev.At, o.At) {
			redo = append(redo, t)
		}
	}
	slices.Sort(redo)
	q.Options.Tenants, q.Options.NoTenants = redo, len(redo) == 0
	return &q, fps, global, prev, nil
}

// Drift is what commits made since the last render commit (the last to add
// a decision record) changed of what renders own: edits by hand, merges
// from elsewhere.
type Drift struct {
	// Tenants are, by tenant, its rendered files that changed. An
	// incremental render redoes these tenants, as if their inputs had
	// changed, so that an edit outlives no render: kept, it would enter
	// the next render commit's tree, judged and recorded as if the estate
	// had made it. (The bases, platform and GitOps files are rendered
	// again by every render.)
	Tenants map[string][]string
	// State is true when the render state (StatePath) changed: it is no
	// longer the one the last render wrote, so it is not trusted, and
	// every tenant is rendered again — an edited state could otherwise
	// make a render skip a tenant whose inputs did change.
	State bool
}

// DriftSinceRender finds the drift of the tip from its last render commit;
// none when the branch has no render commit.
func DriftSinceRender(tip *envrepo.Snapshot) (Drift, error) {
	var d Drift
	// A branch that holds neither records nor a render state has never
	// been rendered into (an adopted repository, a new one): its history,
	// however long, is not walked, once per render, to find out.
	records, err := tip.DirHash(RecordsDir)
	if err != nil {
		return d, err
	}
	if records.IsZero() {
		if _, err := tip.Read(StatePath); errors.Is(err, fs.ErrNotExist) {
			return d, nil
		} else if err != nil {
			return d, err
		}
	}
	var last *envrepo.Snapshot
	err = tip.History(func(c *envrepo.HistoryCommit) error {
		paths, err := c.ChangedPaths(c.Parent, RecordsDir)
		if err != nil {
			return err
		}
		for _, p := range paths {
			if _, err := c.Parent.Read(p); errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(p, ".json") {
				last = c.Snapshot
				return envrepo.ErrStop
			}
		}
		return nil
	})
	if err != nil || last == nil || last.Commit == tip.Commit {
		return d, err
	}
	for _, dir := range Owned {
		paths, err := tip.ChangedPaths(last, dir)
		if err != nil {
			return d, err
		}
		for _, p := range paths {
			// clusters/<cluster>/tenants/<tenant>/...
			parts := strings.SplitN(p, "/", 5)
			if len(parts) == 5 && parts[0] == "clusters" && parts[2] == "tenants" {
				if d.Tenants == nil {
					d.Tenants = map[string][]string{}
				}
				d.Tenants[parts[3]] = append(d.Tenants[parts[3]], p)
			}
		}
	}
	now, err := tip.Read(StatePath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return d, err
	}
	then, err := last.Read(StatePath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return d, err
	}
	d.State = !bytes.Equal(now, then)
	return d, nil
}

// missingDir reports whether one of the directories planned for a tenant
// is not in the tree: deleted by hand, its wiring would point the GitOps
// controller at a missing path. (A new environment a freeze holds back is
// missing too; its tenant is redone anyway, as the state kept its former
// fingerprint.)
func missingDir(planned, have []string) bool {
	for _, d := range planned {
		if !slices.Contains(have, d) {
			return true
		}
	}
	return len(have) == 0
}

func waiverExpired(ws map[string]estate.Waiver, from, to time.Time) bool {
	for _, w := range ws {
		if w.Expires.After(from) && !w.Expires.After(to) {
			return true
		}
	}
	return false
}

// newState records the fingerprints of the tenants as committed: a tenant
// not rendered or held back keeps the fingerprint of what was committed
// before.
// newState is the state after the render o, made by going by prev.
func newState(global, policy string, fps map[string]string, o *Outcome, prev state, at time.Time) ([]byte, error) {
	st := state{Global: global, At: at.UTC(), Policy: policy, Tenants: map[string]string{}}
	for t, fp := range fps {
		switch {
		case slices.Contains(o.Report.Rendered, t):
			st.Tenants[t] = fp
		case prev.Global == global && prev.Tenants[t] != "":
			// Not redone (its inputs had not changed, or --tenant left it
			// out) or held back by a freeze: what is committed is what
			// the last state says.
			st.Tenants[t] = prev.Tenants[t]
		}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	return append(data, '\n'), err
}

// committedState is the state committed in the tree; a zero one for none
// or one that does not parse.
func committedState(all map[string][]byte) state {
	var st state
	if data, ok := all[StatePath]; !ok || json.Unmarshal(data, &st) != nil {
		return state{}
	}
	return st
}

// localState is the state of a render that committed nothing because the
// tree was already right, kept in the repository's git directory (never
// committed) for the tip it was made at: after a new Palisade version or a
// --full render, the committed state's key no longer matches, and without
// it every render would redo every tenant until something is committed.
type localState struct {
	dir string
	tip plumbing.Hash
}

func (l localState) path() string { return filepath.Join(l.dir, "state-"+l.tip.String()+".json") }

func (l localState) load() (state, bool) {
	var st state
	if l.tip.IsZero() {
		return st, false
	}
	data, err := os.ReadFile(l.path())
	if err != nil || json.Unmarshal(data, &st) != nil {
		return state{}, false
	}
	return st, true
}

// save keeps data as the state at the tip, replacing any other: it only
// ever serves the tip. It is a cache, so failing to write it is no error.
func (l localState) save(data []byte) {
	if l.tip.IsZero() || os.MkdirAll(l.dir, 0o755) != nil {
		return
	}
	old, _ := filepath.Glob(filepath.Join(l.dir, "state-*.json"))
	tmp, err := os.CreateTemp(l.dir, ".state-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), l.path()) != nil {
		os.Remove(tmp.Name())
		return
	}
	for _, f := range old {
		if f != l.path() {
			os.Remove(f)
		}
	}
}

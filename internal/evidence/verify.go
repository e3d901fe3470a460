package evidence

// This file verifies the commits of an environment repository's history:
// the records they add against the commits that carry them, and the
// rendered files they change without a record.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/suggest"
)

// rendered are the top-level directories of the rendered tree the render
// digest covers.
var rendered = pipeline.Owned

// maxPaths bounds the paths a finding lists.
const maxPaths = 10

// exporter carries what examining the commits so far established.
type exporter struct {
	ctx       context.Context
	tenants   []string
	source    *gitsrc.Repo
	key       signature.Verifier
	keyring   string
	reproduce *Reproduction
	// policyDigest is that of the policies reproductions use, once known.
	policyDigest string
	in           func(time.Time) bool
	// digests are the render digests of the trees hashed so far.
	digests map[treeKey]string
	// judged is the tree of the last render commit examined.
	judged judgedTree
	// named are the tenants the records of the whole history name, in
	// or out of the period.
	named map[string]bool
}

// noteTenants adds the tenants rec names to e.named.
func (e *exporter) noteTenants(rec *pipeline.Record) {
	if e.named == nil {
		e.named = map[string]bool{}
	}
	for _, t := range rec.Tenants {
		e.named[t.Name] = true
	}
	for _, h := range rec.HeldBack {
		e.named[h.Tenant] = true
	}
	for _, ph := range rec.PlatformHeldBack {
		for _, n := range ph.Serving {
			e.named[n] = true
		}
	}
	for _, n := range slices.Concat(rec.Removed, rec.Suspended) {
		e.named[n] = true
	}
}

// unnamedTenants is the error for the tenants asked for that no record
// of the history names, when any record names a tenant at all: most
// likely a misspelt name, which would export an empty, verified bundle
// an auditor could read as "nothing changed for this tenant".
func (e *exporter) unnamedTenants() error {
	if len(e.named) == 0 {
		return nil
	}
	known := slices.Sorted(maps.Keys(e.named))
	var msgs []string
	for _, t := range e.tenants {
		if !e.named[t] {
			msgs = append(msgs, fmt.Sprintf("--tenant %q: no render of this branch's history names it%s", t, suggest.Hint(t, known)))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// treeKey identifies a rendered tree: the git tree hashes of its
// top-level directories.
type treeKey string

func treeKeyOf(s *envrepo.Snapshot) (treeKey, error) {
	var k strings.Builder
	for _, dir := range rendered {
		h, err := s.DirHash(dir)
		if err != nil {
			return "", err
		}
		k.WriteString(h.String())
	}
	return treeKey(k.String()), nil
}

// judgedTree is the rendered tree of the last render commit before the
// commit being examined: the tree its policies judged, if the commit
// verifies. Hashing a tree reads all of it, so a render before the period
// is hashed only when a commit of the period, or the tip, turns out to
// hold its tree.
type judgedTree struct {
	key    treeKey
	commit string
	snap   *envrepo.Snapshot
	// want is the record's render digest; consistent is false when the
	// record's name or the commit's trailers do not agree with it.
	want       string
	consistent bool
}

// verified reports whether the judged tree is what its record says, and
// the tree's digest.
func (e *exporter) verified(j *judgedTree) (bool, string, error) {
	if j.snap == nil {
		return false, "", nil
	}
	d, err := e.renderDigest(j.snap)
	return j.consistent && d == j.want, d, err
}

// examine verifies one commit: the records it adds (the renders of the
// period among them), and the findings about it.
func (e *exporter) examine(c *envrepo.HistoryCommit) (renders []Render, findings, notes []Finding, err error) {
	tenants, in := e.tenants, e.in
	author := Author(c.Author)
	finding := func(kind, msg string, paths []string) Finding {
		f := Finding{Commit: c.Commit.String(), Author: author, Committer: Author(c.Committer), Committed: c.Committer.When.UTC(), Kind: kind, Message: msg}
		f.Paths = paths
		if len(paths) > maxPaths {
			f.Paths, f.More = paths[:maxPaths], len(paths)-maxPaths
		}
		return f
	}
	changedRecords, err := c.ChangedPaths(c.Parent, pipeline.RecordsDir)
	if err != nil {
		return nil, nil, nil, err
	}
	var added, rewritten []string
	for _, p := range changedRecords {
		_, err := c.Parent.Read(p)
		switch {
		case err == nil:
			rewritten = append(rewritten, p)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, nil, nil, err
		case strings.HasSuffix(p, ".json"):
			// A record; its signature, if any, is read with it.
			added = append(added, p)
		}
	}
	inPeriod := in(c.Committer.When)
	if len(rewritten) > 0 && inPeriod {
		findings = append(findings, finding(FindingRecordChanged,
			fmt.Sprintf("edits or deletes %d decision record(s) of earlier commits: records are never rewritten", len(rewritten)), rewritten))
	}
	if len(added) == 0 {
		changed, err := renderedChanges(c)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(changed) == 0 && inPeriod && len(tenants) == 0 && e.judged.snap != nil {
			// The render state changed outside a render: harmless, as the
			// next render distrusts it, but someone wrote it.
			edited, err := stateEdited(c)
			if err != nil {
				return nil, nil, nil, err
			}
			if edited {
				notes = append(notes, finding("state-edited",
					fmt.Sprintf("edits the render state %s without a render: the next render distrusts it and renders every tenant", pipeline.StatePath), []string{pipeline.StatePath}))
			}
			return nil, findings, notes, nil
		}
		if len(changed) == 0 || !inPeriod || !touchesTenants(changed, tenants) {
			return nil, findings, nil, nil
		}
		key, err := treeKeyOf(c.Snapshot)
		if err != nil {
			return nil, nil, nil, err
		}
		if e.judged.snap == nil {
			// History from before the first render: nothing was judged
			// yet for the commit to depart from.
			notes = append(notes, finding("before-palisade",
				fmt.Sprintf("changes %d rendered file(s) before the first render commit", len(changed)), changed))
			return nil, findings, notes, nil
		}
		restores := false
		if key == e.judged.key {
			if restores, _, err = e.verified(&e.judged); err != nil {
				return nil, nil, nil, err
			}
		}
		if restores {
			// A revert of an edit by hand: the edit stays a finding, this
			// is not one.
			notes = append(notes, finding("restored",
				fmt.Sprintf("restores the rendered tree of render commit %s (%d file(s)) without a decision record", short(e.judged.commit), len(changed)), changed))
			return nil, findings, notes, nil
		}
		what := "changes"
		if c.Merge {
			what = "merges changes to"
		}
		findings = append(findings, finding(FindingUnrecorded,
			fmt.Sprintf("%s %d rendered file(s) without a decision record: what runs is no longer what the policies judged", what, len(changed)), changed))
		return nil, findings, nil, nil
	}
	if len(added) > 1 && inPeriod {
		findings = append(findings, finding(FindingManyRecords,
			fmt.Sprintf("adds %d decision records; a render commit adds one", len(added)), added))
	}
	for _, p := range added {
		data, err := c.Read(p)
		if err != nil {
			return nil, nil, nil, err
		}
		rec, problem := parseRecord(data)
		if problem != "" {
			if inPeriod {
				findings = append(findings, finding(FindingRecordInvalid, problem, []string{p}))
			}
			continue
		}
		e.noteTenants(rec)
		r := Render{
			Commit: c.Commit.String(), Author: author, Committed: c.Committer.When.UTC(),
			RecordPath: p, Record: rec,
		}
		if !c.Parent.Empty() {
			r.Parent = c.Parent.Commit.String()
		}
		var problems []Finding
		if want := nameDigest(p); want != "" && !strings.HasPrefix(contentDigest(data), want) {
			problems = append(problems, finding(FindingRecordName,
				fmt.Sprintf("the record's content does not match the digest %s in its name: it was edited after it was written", want), []string{p}))
		}
		if rec.Base != "" && rec.Base != r.Parent {
			parent := "has none"
			if r.Parent != "" {
				parent = "is " + short(r.Parent)
			}
			problems = append(problems, finding(FindingRecordBase,
				fmt.Sprintf("the record is of a render on top of commit %s, and this commit's parent %s: it was rebased, cherry-picked or copied, so the change was judged against another tree than the one it changes", short(rec.Base), parent), []string{p}))
		}
		if msg := trailerProblems(c.Message, p, rec); msg != "" {
			problems = append(problems, finding(FindingTrailers, msg, nil))
		}
		if e.key != nil {
			if msg, err := signatureProblem(c.Snapshot, p, data, e.key); err != nil {
				return nil, nil, nil, err
			} else if msg != "" {
				problems = append(problems, finding(FindingRecordSignature, msg, []string{pipeline.SignaturePath(p)}))
			}
			ap := pipeline.AttestationPath(p)
			if attested, msg, err := attestationProblem(c, p, data, rec, e.key); err != nil {
				return nil, nil, nil, err
			} else if msg != "" {
				problems = append(problems, finding(FindingAttestation, msg, []string{ap}))
			} else if attested {
				r.Attestation = ap
			}
		}
		if e.keyring != "" {
			sig := c.VerifySignature(e.keyring)
			if sig.KeyID == "" {
				problems = append(problems, finding(FindingCommitSignature, sig.Problem+": the GitOps controller, verifying commits, applies none of it", nil))
			}
			r.SignedBy = sig.KeyID
		}
		key, err := treeKeyOf(c.Snapshot)
		if err != nil {
			return nil, nil, nil, err
		}
		e.judged = judgedTree{key: key, commit: r.Commit, snap: c.Snapshot, want: rec.RenderDigest, consistent: len(problems) == 0}
		if !in(rec.At) {
			continue
		}
		ok, digest, err := e.verified(&e.judged)
		if err != nil {
			return nil, nil, nil, err
		}
		if digest != rec.RenderDigest {
			problems = append(problems, finding(FindingRenderDigest,
				fmt.Sprintf("the committed rendered tree hashes to %s, the record says %s: what was committed is not what the policies judged", digest, rec.RenderDigest), nil))
		}
		r.Verified = ok
		// What the record says of its source is not about the commit
		// carrying it: the render still verifies.
		switch {
		case rec.Source.Commit == "":
			problems = append(problems, finding(FindingUnreviewedSource,
				fmt.Sprintf("rendered from %s outside git: no source commit holds what was judged", rec.Source.Repo), nil))
		case rec.Source.Dirty:
			problems = append(problems, finding(FindingUnreviewedSource,
				fmt.Sprintf("rendered from uncommitted changes on top of %s: no source commit holds what was judged", short(rec.Source.Commit)), nil))
		}
		// narrow keeps rec, the whole record, for the reproduction.
		included := narrow(&r, tenants)
		if e.source != nil && rec.Source.Commit != "" {
			sc, err := e.source.Resolve(rec.Source.Commit)
			if err != nil {
				problems = append(problems, finding(FindingUnknownSource,
					fmt.Sprintf("the source commit %s is not in the estate repository %s (a rewritten history, or a render from another repository)", short(rec.Source.Commit), e.source.Dir), nil))
			} else {
				r.Change = sourceCommit(sc)
				// A render that concerns none of the tenants asked for
				// is not exported: not reproduced either.
				if e.reproduce != nil && !rec.Source.Dirty && included {
					ok, fs, ns, err := e.reproduceRender(c, rec, sc, finding)
					if err != nil {
						return nil, nil, nil, err
					}
					r.Reproduced = ok
					problems, notes = append(problems, fs...), append(notes, ns...)
				}
			}
		}
		findings = append(findings, problems...)
		if included {
			renders = append(renders, r)
		}
	}
	return renders, findings, notes, nil
}

// stateEdited reports whether the commit changes the render state from
// its first parent's.
func stateEdited(c *envrepo.HistoryCommit) (bool, error) {
	read := func(s *envrepo.Snapshot) ([]byte, error) {
		if s.Empty() {
			return nil, nil
		}
		data, err := s.Read(pipeline.StatePath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return data, err
	}
	now, err := read(c.Snapshot)
	if err != nil {
		return false, err
	}
	then, err := read(c.Parent)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(now, then), nil
}

// approvalTrailers are the trailer keys that say who reviewed or approved
// a change, or shares its authorship.
var approvalTrailers = []string{"reviewed-by", "approved-by", "acked-by", "co-authored-by", "signed-off-by"}

func sourceCommit(c *gitsrc.Commit) *SourceCommit {
	msg := c.Message()
	subject, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	sc := &SourceCommit{
		Commit: c.Hash, Author: Author(c.Author()), Authored: c.Author().When.UTC(),
		Committer: Author(c.Committer()), Committed: c.Committer().When.UTC(),
		Subject: subject, Merge: c.Parents() > 1, Signed: c.Signed(),
	}
	for _, t := range pipeline.ParseTrailers(msg) {
		if slices.Contains(approvalTrailers, strings.ToLower(t.Key)) {
			sc.Approvals = append(sc.Approvals, t.Key+": "+t.Value)
		}
	}
	return sc
}

// signatureProblem checks the signature committed beside a record (by the
// same commit) against the record key; it says what is wrong, if
// anything.
func signatureProblem(s *envrepo.Snapshot, recordPath string, record []byte, key signature.Verifier) (string, error) {
	b64, err := s.Read(pipeline.SignaturePath(recordPath))
	if errors.Is(err, fs.ErrNotExist) {
		return "the record is not signed: no render job holding the record key wrote it", nil
	}
	if err != nil {
		return "", err
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b64)))
	if err != nil {
		return "the record's signature is not base64", nil
	}
	if err := key.VerifySignature(bytes.NewReader(sig), bytes.NewReader(record)); err != nil {
		return "the record's signature does not verify with the record key: another key signed it, or the record changed after it was signed", nil
	}
	return "", nil
}

// attestationProblem checks the in-toto attestation committed beside a
// record, if any, against the record key and the record; it says whether
// there is one, and what is wrong, if anything. A record without one (a
// render by an earlier Palisade) is signed all the same; but a commit
// whose trailer names an attestation must carry it.
func attestationProblem(c *envrepo.HistoryCommit, recordPath string, record []byte, rec *pipeline.Record, key signature.Verifier) (attested bool, problem string, err error) {
	ap := pipeline.AttestationPath(recordPath)
	named := ""
	for _, t := range pipeline.ParseTrailers(c.Message) {
		if t.Key == pipeline.AttestationTrailer {
			named = t.Value
		}
	}
	if named != "" && named != ap {
		return false, fmt.Sprintf("the commit's %s trailer names %s, not %s, the attestation of its record", pipeline.AttestationTrailer, named, ap), nil
	}
	env, err := c.Read(ap)
	if errors.Is(err, fs.ErrNotExist) {
		if named != "" {
			return false, fmt.Sprintf("the commit's %s trailer names %s, which the commit does not carry", pipeline.AttestationTrailer, ap), nil
		}
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return true, pipeline.VerifyAttestation(key, env, rec, recordPath, record), nil
}

// parseRecord reads a decision record; a problem says why it is not one.
func parseRecord(data []byte) (*pipeline.Record, string) {
	var rec pipeline.Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Sprintf("not a decision record: %v", err)
	}
	if rec.Schema != recordSchema {
		return nil, fmt.Sprintf("not a decision record: schema %q, want %q", rec.Schema, recordSchema)
	}
	return &rec, ""
}

// nameDigest is the digest a record's file name carries
// (20261014T070000Z-0123456789ab.json), "" when it has none.
func nameDigest(p string) string {
	base := strings.TrimSuffix(path.Base(p), ".json")
	_, digest, ok := strings.Cut(base, "-")
	if !ok || len(digest) < 12 {
		return ""
	}
	return digest
}

func contentDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// renderDigest hashes the commit's rendered tree as the render did
// (pipeline.TreeDigest of every file under bases/ and clusters/), once per
// distinct tree: reading every file is what verifying costs.
func (e *exporter) renderDigest(s *envrepo.Snapshot) (string, error) {
	key, err := treeKeyOf(s)
	if err != nil {
		return "", err
	}
	if d, ok := e.digests[key]; ok {
		return d, nil
	}
	files, err := renderedFiles(s)
	if err != nil {
		return "", err
	}
	d := pipeline.TreeDigest(files)
	if e.digests == nil {
		e.digests = map[treeKey]string{}
	}
	e.digests[key] = d
	return d, nil
}

// renderedFiles are the files of the snapshot's rendered tree.
func renderedFiles(s *envrepo.Snapshot) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, dir := range rendered {
		under, err := s.Files(dir)
		if err != nil {
			return nil, err
		}
		for p, data := range under {
			files[p] = data
		}
	}
	return files, nil
}

// trailerProblems compares the commit message with the record it carries:
// the record it names and the provenance trailers.
func trailerProblems(msg, recordPath string, rec *pipeline.Record) string {
	trailers := map[string]string{}
	for _, t := range pipeline.ParseTrailers(msg) {
		trailers[t.Key] = t.Value
	}
	var problems []string
	if !strings.Contains(msg, pipeline.RecordLine(recordPath)+"\n") {
		problems = append(problems, "the message does not name the record")
	}
	for _, t := range rec.Trailers() {
		if got := trailers[t.Key]; got != t.Value {
			problems = append(problems, fmt.Sprintf("trailer %s is %q, the record says %q", t.Key, got, t.Value))
		}
	}
	return strings.Join(problems, "; ")
}

// renderedChanges lists the rendered files (bases/, clusters/) the commit
// changes from its first parent.
func renderedChanges(c *envrepo.HistoryCommit) ([]string, error) {
	var out []string
	for _, dir := range rendered {
		// Unchanged directories cost a comparison of their tree hashes.
		paths, err := c.ChangedPaths(c.Parent, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, paths...)
	}
	return out, nil
}

// touchesTenants: with no tenants asked for, any change; otherwise a
// change to one of their directories (…/tenants/<name>/…) or to anything
// outside every tenant's directories (bases, platform, GitOps), which
// serves them all.
func touchesTenants(paths, tenants []string) bool {
	if len(tenants) == 0 {
		return true
	}
	for _, p := range paths {
		_, rest, ok := strings.Cut(p, "/tenants/")
		if !ok {
			return true
		}
		name, _, _ := strings.Cut(rest, "/")
		if slices.Contains(tenants, name) {
			return true
		}
	}
	return false
}

package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

// The in-toto attestation of a render commit: an in-toto Statement v1
// whose subject is the decision record (by its path and sha256) and whose
// predicate is SLSA provenance v1 for the render — the source commit and
// estate it was rendered from, the policies that judged it, the images it
// pins, the instant it was judged at and what it produced — signed in a
// DSSE envelope with the record key. It is the form in-toto and SLSA
// tooling reads; with the public key, `cosign verify-blob-attestation
// --key PUB --type slsaprovenance1 --signature <attestation> <record>`
// verifies it, and the record it names holds every verdict.
const (
	// StatementType is the in-toto Statement version written.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payload type of an in-toto Statement.
	PayloadType = "application/vnd.in-toto+json"
	// BuildType names what a Palisade render's externalParameters mean.
	BuildType = "https://github.com/palisade-gitops/palisade/attestation/render/v1"
	// BuilderID names the builder: the Palisade render job.
	BuilderID = "https://github.com/palisade-gitops/palisade/render"
	// AttestationTrailer is the render commit trailer naming its
	// attestation.
	AttestationTrailer = "Palisade-Attestation"
)

// AttestationPath is where the attestation of the record at path is
// committed: "<instant>-<digest>.intoto.jsonl", one DSSE envelope on one
// line, as SLSA provenance is usually published.
func AttestationPath(path string) string {
	return strings.TrimSuffix(path, ".json") + ".intoto.jsonl"
}

// Statement is an in-toto Statement v1 with a SLSA provenance v1
// predicate.
type Statement struct {
	Type          string                   `json:"_type"`
	Subject       []Subject                `json:"subject"`
	PredicateType string                   `json:"predicateType"`
	Predicate     slsa.ProvenancePredicate `json:"predicate"`
}

// Subject is an artifact the statement is about.
type Subject struct {
	Name   string           `json:"name"`
	Digest common.DigestSet `json:"digest"`
}

// RenderParameters are a render's externalParameters: what the render
// job was asked to do.
type RenderParameters struct {
	Source Source    `json:"source"`
	At     time.Time `json:"at"`
	Target string    `json:"target"`
	Layout string    `json:"layout"`
	// Tenants are the tenants a --tenant render was limited to.
	Tenants []string `json:"tenants,omitempty"`
}

// NewStatement is the statement attesting the record at path, whose
// committed bytes are data.
func NewStatement(rec *Record, path string, data []byte) *Statement {
	sum := sha256.Sum256(data)
	var deps []slsa.ResourceDescriptor
	if rec.Source.Commit != "" {
		deps = append(deps, slsa.ResourceDescriptor{
			Name: "source", URI: "git+" + rec.Source.Repo,
			Digest: common.DigestSet{"gitCommit": rec.Source.Commit},
		})
	}
	deps = append(deps,
		slsa.ResourceDescriptor{Name: "estate", Digest: treeDigestSet(rec.EstateDigest),
			Annotations: map[string]any{"description": "the estate's CUE and key files, by path"}},
		slsa.ResourceDescriptor{Name: "policies", Digest: treeDigestSet(rec.PolicyDigest),
			Annotations: map[string]any{"description": "the built-in and user policies, by path"}},
	)
	for _, img := range rec.Images {
		if img.Digest == "" {
			continue
		}
		d := slsa.ResourceDescriptor{Name: img.Ref, Digest: digestSet(img.Digest)}
		if r, err := name.ParseReference(img.Ref); err == nil {
			d.URI = "oci://" + r.Context().Name() + "@" + img.Digest
		}
		if len(img.Signers) > 0 {
			d.Annotations = map[string]any{"verifiedBy": img.Signers}
			if len(img.Identities) > 0 {
				d.Annotations["identities"] = img.Identities
			}
		}
		deps = append(deps, d)
	}
	verdicts := map[string]int{}
	for _, t := range rec.Tenants {
		verdicts[t.Verdict]++
	}
	summary := map[string]any{
		"tenants":  len(rec.Tenants),
		"verdicts": verdicts,
	}
	if n := len(rec.HeldBack); n > 0 {
		summary["heldBack"] = n
	}
	if n := len(rec.WaiversUsed); n > 0 {
		summary["waiversUsed"] = n
	}
	return &Statement{
		Type: StatementType,
		Subject: []Subject{{
			Name: path, Digest: common.DigestSet{"sha256": hex.EncodeToString(sum[:])},
		}},
		PredicateType: slsa.PredicateSLSAProvenance,
		Predicate: slsa.ProvenancePredicate{
			BuildDefinition: slsa.ProvenanceBuildDefinition{
				BuildType: BuildType,
				ExternalParameters: RenderParameters{
					Source: rec.Source, At: rec.At, Target: rec.Target, Layout: rec.Layout, Tenants: rec.Selected,
				},
				ResolvedDependencies: deps,
			},
			RunDetails: slsa.ProvenanceRunDetails{
				Builder: slsa.Builder{ID: BuilderID, Version: map[string]string{"palisade": rec.Palisade}},
				Byproducts: []slsa.ResourceDescriptor{{
					Name: "rendered-tree", Digest: treeDigestSet(rec.RenderDigest),
					Annotations: map[string]any{"description": "every rendered file under bases/ and clusters/, by path", "summary": summary},
				}},
			},
		},
	}
}

// Attest signs the statement of the record at path in a DSSE envelope,
// on one line.
func Attest(signer signature.Signer, rec *Record, path string, data []byte) ([]byte, error) {
	payload, err := json.Marshal(NewStatement(rec, path, data))
	if err != nil {
		return nil, err
	}
	env, err := dsse.WrapSigner(signer, PayloadType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	var line bytes.Buffer
	if err := json.Compact(&line, env); err != nil {
		return nil, err
	}
	return append(line.Bytes(), '\n'), nil
}

// VerifyAttestation checks an attestation against the record key and the
// record at path, whose committed bytes are data: the envelope's
// signature, that its statement is about this record, and that what it
// says of the render agrees with the record. It returns what is wrong,
// empty when nothing is.
func VerifyAttestation(key signature.Verifier, envelope []byte, rec *Record, path string, data []byte) string {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		return fmt.Sprintf("not a DSSE envelope: %v", err)
	}
	if env.PayloadType != PayloadType {
		return fmt.Sprintf("the envelope's payload type is %q, not %q", env.PayloadType, PayloadType)
	}
	if err := dsse.WrapVerifier(key).VerifySignature(bytes.NewReader(envelope), nil); err != nil {
		return "the attestation's signature does not verify with the record key: another key signed it, or it changed after it was signed"
	}
	var st Statement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return fmt.Sprintf("the envelope's payload is not an in-toto statement: %v", err)
	}
	if st.Type != StatementType || st.PredicateType != slsa.PredicateSLSAProvenance {
		return fmt.Sprintf("the statement is a %s with a %s predicate, not an in-toto Statement v1 of SLSA provenance v1", st.Type, st.PredicateType)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	if !slices.ContainsFunc(st.Subject, func(s Subject) bool { return s.Name == path && s.Digest["sha256"] == want }) {
		return fmt.Sprintf("the attestation is not about this record: no subject %s with sha256 %s", path, want)
	}
	// The signer attested this record; what the predicate says of the
	// render must agree with it too.
	var problems []string
	agree := func(what, got, want string) {
		if got != want {
			problems = append(problems, fmt.Sprintf("%s %q, the record %q", what, got, want))
		}
	}
	deps := map[string]slsa.ResourceDescriptor{}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if d.Name != "" {
			deps[d.Name] = d
		}
	}
	agree("its source commit is", deps["source"].Digest["gitCommit"], rec.Source.Commit)
	agree("its estate digest is", "sha256:"+deps["estate"].Digest[TreeDigestAlgorithm], rec.EstateDigest)
	agree("its policy digest is", "sha256:"+deps["policies"].Digest[TreeDigestAlgorithm], rec.PolicyDigest)
	agree("its builder version is", st.Predicate.RunDetails.Builder.Version["palisade"], rec.Palisade)
	if len(problems) > 0 {
		return "the attestation disagrees with the record: " + strings.Join(problems, "; ")
	}
	return ""
}

// TreeDigestAlgorithm names, in digest sets, Palisade's digest of a tree
// of files (TreeDigest: SHA-256 over each path, length and content, in
// path order), as the record's estate, policy and render digests are:
// not "sha256", which names the digest of one artifact's bytes.
const TreeDigestAlgorithm = "palisadeTreeSha256"

// treeDigestSet is a TreeDigest as an in-toto digest set.
func treeDigestSet(d string) common.DigestSet {
	return common.DigestSet{TreeDigestAlgorithm: strings.TrimPrefix(d, "sha256:")}
}

// digestSet is a "sha256:<hex>" digest as an in-toto digest set.
func digestSet(d string) common.DigestSet {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return nil
	}
	return common.DigestSet{alg: hex}
}

// prefixed is the one digest of a digest set as "alg:<hex>".
func prefixed(d common.DigestSet) string {
	for _, alg := range slices.Sorted(maps.Keys(d)) {
		return alg + ":" + d[alg]
	}
	return ""
}

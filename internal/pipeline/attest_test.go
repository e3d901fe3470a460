package pipeline

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

func testSigner(t *testing.T) signature.SignerVerifier {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

func attestRecord() *Record {
	return &Record{
		Schema: "palisade.io/decision-record/v1", Palisade: "v1.2.3",
		At:     time.Date(2026, 10, 14, 7, 0, 0, 0, time.UTC),
		Source: Source{Repo: "https://git.example.test/estate.git", Commit: strings.Repeat("ab", 20)},
		Target: "argocd", Layout: "kustomize",
		EstateDigest: "sha256:" + strings.Repeat("1", 64), RenderDigest: "sha256:" + strings.Repeat("2", 64), PolicyDigest: "sha256:" + strings.Repeat("3", 64),
		Tenants: []TenantRecord{{Name: "a", Verdict: "pass"}, {Name: "b", Verdict: "held-back", HeldBack: true}},
		Images: []ImageFact{
			{Ref: "registry.example.test/odoo/enterprise:18.0", Digest: "sha256:" + strings.Repeat("4", 64), Signers: []string{"release"}},
			{Ref: "registry.example.test/odoo/missing:1", Reason: "not found"},
		},
	}
}

func TestStatement(t *testing.T) {
	rec := attestRecord()
	data, _ := rec.JSON()
	st := NewStatement(rec, rec.Path(), data)
	a, _ := json.Marshal(st)
	b, _ := json.Marshal(NewStatement(rec, rec.Path(), data))
	if !bytes.Equal(a, b) {
		t.Fatal("two statements of one record differ")
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != rec.Path() || len(st.Subject[0].Digest["sha256"]) != 64 {
		t.Fatalf("subject %+v", st.Subject)
	}
	deps := map[string]string{}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		deps[d.Name] = d.URI + " " + prefixed(d.Digest)
	}
	want := map[string]string{
		"source":   "git+https://git.example.test/estate.git gitCommit:" + rec.Source.Commit,
		"estate":   " palisadeTreeSha256:" + strings.TrimPrefix(rec.EstateDigest, "sha256:"),
		"policies": " palisadeTreeSha256:" + strings.TrimPrefix(rec.PolicyDigest, "sha256:"),
		"registry.example.test/odoo/enterprise:18.0": "oci://registry.example.test/odoo/enterprise@" + rec.Images[0].Digest + " " + rec.Images[0].Digest,
	}
	if len(deps) != len(want) {
		t.Errorf("dependencies %v, want %v (an image without a digest is none)", deps, want)
	}
	for k, v := range want {
		if deps[k] != v {
			t.Errorf("dependency %s is %q, want %q", k, deps[k], v)
		}
	}
	if got := st.Predicate.RunDetails.Builder.Version["palisade"]; got != "v1.2.3" {
		t.Errorf("builder version %q", got)
	}
}

func TestVerifyAttestation(t *testing.T) {
	key, other := testSigner(t), testSigner(t)
	rec := attestRecord()
	path := rec.Path()
	data, _ := rec.JSON()
	env, err := Attest(key, rec, path, data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(env, []byte("\n")) != 1 || !bytes.HasSuffix(env, []byte("\n")) {
		t.Errorf("the envelope is not one line: %q", env)
	}
	if msg := VerifyAttestation(key, env, rec, path, data); msg != "" {
		t.Fatalf("a sound attestation: %s", msg)
	}
	byOther, _ := Attest(other, rec, path, data)

	// A statement signed by the key whose predicate disagrees with the
	// record it names.
	lying := *rec
	lying.PolicyDigest = "sha256:" + strings.Repeat("9", 64)
	payload, _ := json.Marshal(NewStatement(&lying, path, data))
	disagreeing, _ := dsse.WrapSigner(key, PayloadType).SignMessage(bytes.NewReader(payload))
	wrongType, _ := dsse.WrapSigner(key, "text/plain").SignMessage(bytes.NewReader(payload))
	edited := append(bytes.Clone(data[:len(data)-1]), ' ', '\n')
	// The sound envelope's signatures over the disagreeing payload.
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	m["payload"] = payload
	swapped, _ := json.Marshal(m)

	for _, tc := range []struct {
		name, want string
		env, data  []byte
		path       string
	}{
		{"another key", "does not verify with the record key", byOther, data, path},
		{"record edited", "is not about this record: no subject", env, edited, path},
		{"another record's name", "is not about this record", env, data, strings.Replace(path, "-", "-0", 1)},
		{"predicate disagrees", `its policy digest is "sha256:999`, disagreeing, data, path},
		{"payload type", `payload type is "text/plain"`, wrongType, data, path},
		{"not an envelope", "not a DSSE envelope", []byte("sig"), data, path},
		{"payload swapped", "does not verify", swapped, data, path},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := VerifyAttestation(key, tc.env, rec, tc.path, tc.data); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to say %q", msg, tc.want)
			}
		})
	}
}

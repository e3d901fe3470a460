package images_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/palisade-gitops/palisade/internal/images"
	"github.com/palisade-gitops/palisade/internal/images/sigstoretest"
)

const (
	ciIssuer   = "https://token.actions.githubusercontent.com"
	ciWorkflow = "https://github.com/acme/odoo-build/.github/workflows/release.yml@refs/heads/main"
)

// signedAt is when the test signatures are made: keyless certificates
// live ten minutes, and verification never reads the clock.
var signedAt = time.Date(2026, 10, 2, 8, 0, 0, 0, time.UTC)

func newAuthority(t testing.TB) *sigstoretest.Authority {
	t.Helper()
	a, err := sigstoretest.NewAuthority(signedAt.AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// attach adds sig to d's signatures in the registry.
func attach(t testing.TB, d name.Digest, sig oci.Signature, opts ...remote.Option) {
	t.Helper()
	ro := []ociremote.Option{ociremote.WithRemoteOptions(append(opts, remote.WithAuthFromKeychain(anonymous))...)}
	se, err := mutate.AttachSignatureToEntity(ociremote.SignedUnknown(d, ro...), sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(d.Repository, se, ro...); err != nil {
		t.Fatal(err)
	}
}

func keylessSign(t testing.TB, a *sigstoretest.Authority, d name.Digest, subject string, o sigstoretest.SignOptions) {
	t.Helper()
	sig, err := a.Sign(d, subject, ciIssuer, signedAt, o)
	if err != nil {
		t.Fatal(err)
	}
	attach(t, d, sig)
}

func keylessVerifier(t testing.TB, trust map[string]images.Keyless, keys map[string][]byte, opts images.Options) *images.Verifier {
	t.Helper()
	opts.Keychain, opts.Keyless = anonymous, trust
	if opts.CacheDir == "" {
		opts.NoCache = true
	}
	v, err := images.New(keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A keyless signature verifies offline against the pinned roots and log
// key, for the identity and issuer trusted, and the result names who
// signed and where the log recorded it.
func TestKeyless(t *testing.T) {
	r := newReg(t)
	a, other := newAuthority(t), newAuthority(t)
	trust := images.Keyless{RootsPEM: a.RootsPEM, LogPublicKeyPEM: a.LogPublicKeyPEM, Issuer: ciIssuer, Subject: ciWorkflow}

	cases := []struct {
		name   string
		sign   func(d name.Digest)
		trust  func(k images.Keyless) images.Keyless
		kind   images.Kind
		reason string
		// timestamped: the evidence carries the TSA's time; unlogged: no
		// log entry.
		timestamped, unlogged bool
	}{
		{name: "verified", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) }},
		{name: "subject pattern", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless {
				k.Subject, k.SubjectRegExp = "", `https://github\.com/acme/odoo-build/\.github/workflows/release\.yml@refs/(heads/main|tags/v.*)`
				return k
			}},
		{name: "pattern matches the whole identity only",
			sign: func(d name.Digest) {
				keylessSign(t, a, d, "https://evil.example/?https://github.com/acme/odoo-build/.github/workflows/release.yml", sigstoretest.SignOptions{})
			},
			trust: func(k images.Keyless) images.Keyless {
				k.Subject, k.SubjectRegExp = "", `https://github\.com/acme/odoo-build/.*`
				return k
			}, kind: images.KindUntrusted},
		{name: "another identity", sign: func(d name.Digest) {
			keylessSign(t, a, d, "https://github.com/mallory/odoo-build/.github/workflows/release.yml@refs/heads/main", sigstoretest.SignOptions{})
		}, kind: images.KindUntrusted, reason: "not by any trusted key (tried: ci)"},
		{name: "another issuer", sign: func(d name.Digest) {
			sig, err := a.Sign(d, ciWorkflow, "https://accounts.example", signedAt, sigstoretest.SignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			attach(t, d, sig)
		}, kind: images.KindUntrusted},
		{name: "another CA", sign: func(d name.Digest) { keylessSign(t, other, d, ciWorkflow, sigstoretest.SignOptions{}) }, kind: images.KindUntrusted},
		{name: "forged log entry", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{TamperSET: true}) }, kind: images.KindUntrusted},
		{name: "never logged", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoBundle: true}) }, kind: images.KindUntrusted},
		{name: "logged after the certificate expired", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{LoggedAt: signedAt.Add(time.Hour)})
		}, kind: images.KindUntrusted},
		{name: "another log", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { k.LogPublicKeyPEM = other.LogPublicKeyPEM; return k }, kind: images.KindUntrusted},
		{name: "trusted root", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }},
		{name: "trusted root, forged log entry", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{TamperSET: true})
		}, trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }, kind: images.KindUntrusted},
		{name: "trusted root, another CA", sign: func(d name.Digest) { keylessSign(t, other, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }, kind: images.KindUntrusted},
		{name: "trusted root, another identity", sign: func(d name.Digest) { keylessSign(t, a, d, "someone@acme.example", sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }, kind: images.KindUntrusted},
		// Certificate transparency: a trusted root that names a CT log, or
		// a CT log key beside the roots, requires the certificate to carry
		// that log's SCT, as cosign does by default.
		{name: "trusted root, certificate never published", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoSCT: true})
		}, trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }, kind: images.KindUntrusted},
		{name: "trusted root, forged SCT", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{TamperSCT: true})
		}, trust: func(k images.Keyless) images.Keyless { return trustedRoot(t, a, k) }, kind: images.KindUntrusted},
		{name: "CT log key", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { k.CTLogPublicKeyPEM = a.CTLogPublicKeyPEM; return k }},
		{name: "CT log key, certificate never published", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoSCT: true})
		}, trust: func(k images.Keyless) images.Keyless { k.CTLogPublicKeyPEM = a.CTLogPublicKeyPEM; return k }, kind: images.KindUntrusted},
		{name: "CT log key, forged SCT", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{TamperSCT: true})
		}, trust: func(k images.Keyless) images.Keyless { k.CTLogPublicKeyPEM = a.CTLogPublicKeyPEM; return k }, kind: images.KindUntrusted},
		{name: "another CT log", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { k.CTLogPublicKeyPEM = other.CTLogPublicKeyPEM; return k }, kind: images.KindUntrusted},
		{name: "no CT log trusted: no SCT needed", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoSCT: true})
		}},
		// A timestamping authority dates a signature as the log's bundle
		// does: beside the log, or instead of it.
		{name: "TSA beside the log", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, timestampOnly(false)) },
			trust: func(k images.Keyless) images.Keyless { k.TSAChainPEM = a.TSAChainPEM; return k }, timestamped: true},
		{name: "TSA beside the log, no timestamp needed", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{}) },
			trust: func(k images.Keyless) images.Keyless { k.TSAChainPEM = a.TSAChainPEM; return k }},
		{name: "TSA only", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, timestampOnly(true)) },
			trust: tsaOnly(a), timestamped: true, unlogged: true},
		{name: "TSA only, forged timestamp", sign: func(d name.Digest) {
			o := timestampOnly(true)
			o.TamperTimestamp = true
			keylessSign(t, a, d, ciWorkflow, o)
		}, trust: tsaOnly(a), kind: images.KindUntrusted},
		{name: "TSA only, timestamped after the certificate expired", sign: func(d name.Digest) {
			o := timestampOnly(true)
			o.TimestampedAt = signedAt.Add(time.Hour)
			keylessSign(t, a, d, ciWorkflow, o)
		}, trust: tsaOnly(a), kind: images.KindUntrusted},
		{name: "TSA only, another TSA", sign: func(d name.Digest) { keylessSign(t, other, d, ciWorkflow, timestampOnly(true)) },
			trust: func(k images.Keyless) images.Keyless {
				k = tsaOnly(a)(k)
				k.TSAChainPEM = other.TSAChainPEM
				return k
			}, kind: images.KindUntrusted},
		// Without a log and without a timestamp nothing dates the
		// signature; cosign would check the certificate against the
		// clock, which a long-lived certificate passes.
		{name: "TSA only, no timestamp", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoBundle: true, ValidFor: 100 * 365 * 24 * time.Hour})
		}, trust: tsaOnly(a), kind: images.KindUntrusted},
		{name: "trusted root with a TSA and no log", sign: func(d name.Digest) { keylessSign(t, a, d, ciWorkflow, timestampOnly(true)) },
			trust: func(k images.Keyless) images.Keyless { return trustedRootWithout(t, a, k, "tlogs") }, timestamped: true, unlogged: true},
		{name: "trusted root with a TSA and no log, no timestamp", sign: func(d name.Digest) {
			keylessSign(t, a, d, ciWorkflow, sigstoretest.SignOptions{NoBundle: true, ValidFor: 100 * 365 * 24 * time.Hour})
		}, trust: func(k images.Keyless) images.Keyless { return trustedRootWithout(t, a, k, "tlogs") }, kind: images.KindUntrusted},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := push(t, r.host+"/odoo/enterprise:"+strings.Repeat("x", i+1))
			tc.sign(d)
			k := trust
			if tc.trust != nil {
				k = tc.trust(k)
			}
			v := keylessVerifier(t, map[string]images.Keyless{"ci": k}, nil, images.Options{})
			res, err := verify(t, v, images.Request{Ref: d.String()})
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind != "" {
				wantKind(t, res[0], tc.kind, tc.reason)
				return
			}
			if !res[0].Verified() || res[0].VerifiedBy[0] != "ci" {
				t.Fatalf("not verified: %+v", res[0])
			}
			id := res[0].Identities["ci"]
			logged := id.LogIndex != 0 && id.LoggedAt.Equal(signedAt.Add(time.Minute))
			if id.Subject != ciWorkflow || id.Issuer != ciIssuer || logged == tc.unlogged ||
				id.TimestampedAt.Equal(signedAt.Add(time.Minute)) != tc.timestamped {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// timestampOnly signs with the TSA's timestamp, and without the log's
// bundle when unlogged.
func timestampOnly(unlogged bool) sigstoretest.SignOptions {
	return sigstoretest.SignOptions{Timestamp: true, NoBundle: unlogged}
}

// tsaOnly trusts a's CA and its timestamping authority, and no log.
func tsaOnly(a *sigstoretest.Authority) func(k images.Keyless) images.Keyless {
	return func(k images.Keyless) images.Keyless {
		k.LogPublicKeyPEM, k.TSAChainPEM = nil, a.TSAChainPEM
		return k
	}
}

// trustedRootWithout is trustedRoot with lists of the root emptied
// ("tlogs", "ctlogs", "timestampAuthorities").
func trustedRootWithout(t testing.TB, a *sigstoretest.Authority, k images.Keyless, lists ...string) images.Keyless {
	t.Helper()
	k = trustedRoot(t, a, k)
	var m map[string]any
	if err := json.Unmarshal(k.TrustedRootJSON, &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		m[l] = []any{}
	}
	var err error
	if k.TrustedRootJSON, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return k
}

// trustedRoot trusts a's CA and log through a Sigstore trusted root
// rather than PEM files.
func trustedRoot(t testing.TB, a *sigstoretest.Authority, k images.Keyless) images.Keyless {
	t.Helper()
	tr, err := a.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	k.RootsPEM, k.LogPublicKeyPEM, k.TrustedRootJSON = nil, nil, tr
	return k
}

// A keyless signer and a public key verify side by side; a cached keyless
// verification carries the same evidence as a looked-up one, offline.
func TestKeylessBesideKeysAndCached(t *testing.T) {
	r := newReg(t)
	a, k := newAuthority(t), newKey(t)
	d1 := push(t, r.host+"/odoo/enterprise:18.0")
	d2 := push(t, r.host+"/odoo/community:17.0")
	keylessSign(t, a, d1, "release@acme.example", sigstoretest.SignOptions{})
	sign(t, d2, k)
	trust := map[string]images.Keyless{"ci": {RootsPEM: a.RootsPEM, LogPublicKeyPEM: a.LogPublicKeyPEM, Issuer: ciIssuer, Subject: "release@acme.example"}}
	keys := map[string][]byte{"release": k.pub}
	cache := t.TempDir()
	v := keylessVerifier(t, trust, keys, images.Options{CacheDir: cache})
	res, err := verify(t, v, images.Request{Ref: d1.String()}, images.Request{Ref: d2.String()})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].VerifiedBy; len(got) != 1 || got[0] != "ci" {
		t.Errorf("keyless image verified by %v", got)
	}
	if got := res[1].VerifiedBy; len(got) != 1 || got[0] != "release" || res[1].Identities != nil {
		t.Errorf("keyed image verified by %v, identities %v", got, res[1].Identities)
	}

	offline := keylessVerifier(t, trust, keys, images.Options{CacheDir: cache, Offline: true, Transport: &noNetwork{t: t}})
	res2, err := offline.Verify(context.Background(), []images.Request{{Ref: d1.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if !res2[0].Cached || res2[0].Identities["ci"] != res[0].Identities["ci"] {
		t.Errorf("cached result %+v, want the identity %+v", res2[0], res[0].Identities["ci"])
	}

	// A look-up another request needs fails (the registry is down): the
	// request the cache answers keeps its evidence.
	r.srv.Close()
	down := keylessVerifier(t, trust, keys, images.Options{CacheDir: cache, Timeout: 2 * time.Second})
	res4, err := down.Verify(context.Background(), []images.Request{{Ref: d1.String(), Keys: []string{"ci"}}, {Ref: d1.String(), Keys: []string{"release"}}})
	if err == nil || res4[1].Verified() {
		t.Errorf("release's request answered with the registry down: %+v, %v", res4[1], err)
	}
	if !res4[0].Cached || res4[0].Identities["ci"] != res[0].Identities["ci"] {
		t.Errorf("cached result %+v, want the identity %+v", res4[0], res[0].Identities["ci"])
	}

	// Another identity for the same name is another trust: the cache does
	// not answer for it.
	trust["ci"] = images.Keyless{RootsPEM: a.RootsPEM, LogPublicKeyPEM: a.LogPublicKeyPEM, Issuer: ciIssuer, Subject: "someone@acme.example"}
	changed := keylessVerifier(t, trust, keys, images.Options{CacheDir: cache, Offline: true, Transport: &noNetwork{t: t}})
	res3, _ := changed.Verify(context.Background(), []images.Request{{Ref: d1.String()}})
	wantKind(t, res3[0], images.KindOffline)
}

// Trust that cannot be right is refused when the verifier is made.
func TestKeylessRefused(t *testing.T) {
	a := newAuthority(t)
	ok := images.Keyless{RootsPEM: a.RootsPEM, LogPublicKeyPEM: a.LogPublicKeyPEM, Issuer: ciIssuer, Subject: ciWorkflow}
	for name, tc := range map[string]struct {
		edit func(*images.Keyless)
		want string
	}{
		"no roots":      {func(k *images.Keyless) { k.RootsPEM = []byte("nothing") }, "roots: want PEM CA certificates"},
		"log key":       {func(k *images.Keyless) { k.LogPublicKeyPEM = a.RootsPEM }, "transparency log key"},
		"no issuer":     {func(k *images.Keyless) { k.Issuer = "" }, "no OIDC issuer"},
		"no subject":    {func(k *images.Keyless) { k.Subject = "" }, "no subject nor subject pattern"},
		"bad pattern":   {func(k *images.Keyless) { k.Subject, k.SubjectRegExp = "", "(" }, "subject pattern"},
		"same name key": {nil, "both a public key and a keyless signer"},
		"bad trusted root": {func(k *images.Keyless) {
			k.RootsPEM, k.LogPublicKeyPEM, k.TrustedRootJSON = nil, nil, []byte(`{"mediaType": "x"}`)
		},
			"trusted root: "},
		"trusted root and roots": {func(k *images.Keyless) { k.TrustedRootJSON = []byte("{}") }, "not both"},
		"CT log key":             {func(k *images.Keyless) { k.CTLogPublicKeyPEM = a.RootsPEM }, "certificate transparency log key: not a PEM public key"},
		"CT log key beside a trusted root": {func(k *images.Keyless) {
			tr, err := a.TrustedRootJSON()
			if err != nil {
				t.Fatal(err)
			}
			k.RootsPEM, k.LogPublicKeyPEM, k.TrustedRootJSON, k.CTLogPublicKeyPEM = nil, nil, tr, a.CTLogPublicKeyPEM
		}, "a trusted root names its certificate transparency logs"},
		"neither log nor TSA": {func(k *images.Keyless) { k.LogPublicKeyPEM = nil }, "nothing would date the signatures"},
		"TSA chain":           {func(k *images.Keyless) { k.TSAChainPEM = a.RootsPEM }, "timestamping authority: want its signing certificate, any intermediates and its root"},
		"trusted root without log or TSA": {func(k *images.Keyless) {
			*k = trustedRootWithout(t, a, *k, "tlogs", "timestampAuthorities")
		}, "neither a transparency log nor a timestamping authority"},
	} {
		t.Run(name, func(t *testing.T) {
			k := ok
			keys := map[string][]byte{}
			if tc.edit != nil {
				tc.edit(&k)
			} else {
				keys["ci"] = newKey(t).pub
			}
			_, err := images.New(keys, images.Options{NoCache: true, Keyless: map[string]images.Keyless{"ci": k}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

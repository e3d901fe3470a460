package images_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/images"
)

func sigTag(t testing.TB, d name.Digest) name.Tag {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	return d.Context().Tag(h.Algorithm + "-" + h.Hex + ".sig")
}

func wantKind(t *testing.T, r images.Result, k images.Kind, reasonHas ...string) {
	t.Helper()
	if r.Kind != k {
		t.Fatalf("%s: kind %q (%s), want %q", r.Ref, r.Kind, r.Reason, k)
	}
	if r.Verified() {
		t.Errorf("%s: verified by %v, want not verified", r.Ref, r.VerifiedBy)
	}
	for _, s := range reasonHas {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("%s: reason %q does not contain %q", r.Ref, r.Reason, s)
		}
	}
}

func TestSignedByTagAndDigest(t *testing.T) {
	r := newReg(t)
	a, b := newKey(t), newKey(t)
	d := push(t, r.host+"/odoo/enterprise:18.0")
	sign(t, d, a)

	v := verifier(t, map[string]key{"alpha": a, "beta": b}, images.Options{})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:18.0", d.String())...)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if !x.Verified() || !reflect.DeepEqual(x.VerifiedBy, []string{"alpha"}) || x.Digest != d.DigestStr() {
			t.Errorf("%+v: want verified by alpha, digest %s", x, d.DigestStr())
		}
	}
	if s := v.Stats(); s.Resolutions != 1 || s.Lookups != 1 {
		t.Errorf("stats %+v: want 1 resolution (the digest reference is not resolved) and 1 look-up (same digest)", s)
	}

	// The tier helper.
	got := res[0].Fact([]string{"beta", "alpha"})
	want := images.Fact{Ref: res[0].Ref, Digest: d.DigestStr(), Verified: true, Signer: "alpha"}
	if got != want {
		t.Errorf("Fact(beta, alpha) = %+v, want %+v", got, want)
	}
	// Only a non-tier platform key verified: verified, the signer says which.
	if got := res[0].Fact([]string{"beta"}); !got.Verified || got.Signer != "alpha" || got.Reason != "" {
		t.Errorf("Fact(beta) = %+v, want verified by the non-tier key alpha", got)
	}
}

func TestUnsigned(t *testing.T) {
	r := newReg(t)
	d := push(t, r.host+"/odoo/enterprise:18.0")
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:18.0")...)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, res[0], images.KindUnsigned, "no signature found for", d.DigestStr())
	if res[0].Digest != d.DigestStr() {
		t.Errorf("digest %q, want %q", res[0].Digest, d.DigestStr())
	}
	f := res[0].Fact([]string{"alpha"})
	if f.Verified || f.Signer != "" || !strings.Contains(f.Reason, "no signature found") {
		t.Errorf("Fact = %+v", f)
	}
}

func TestSignedByAnotherKey(t *testing.T) {
	r := newReg(t)
	d := push(t, r.host+"/odoo/enterprise:18.0")
	sign(t, d, newKey(t)) // a key nobody trusts
	v := verifier(t, map[string]key{"alpha": newKey(t), "beta": newKey(t)}, images.Options{})
	res, err := verify(t, v, images.Refs(d.String())...)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, res[0], images.KindUntrusted, "signed, but not by any trusted key (tried: alpha, beta)")
}

func TestCopiedSignature(t *testing.T) {
	r := newReg(t)
	a := newKey(t)
	dA := push(t, r.host+"/odoo/enterprise:a")
	dB := push(t, r.host+"/odoo/enterprise:b")
	sign(t, dA, a)
	// Copy A's signature manifest onto B's signature tag.
	sigs, err := remote.Image(sigTag(t, dA))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(sigTag(t, dB), sigs); err != nil {
		t.Fatal(err)
	}

	// Without a claim verifier the library accepts the copy: that is why
	// the package always sets one.
	ss, err := ociremote.Signatures(sigTag(t, dB))
	if err != nil {
		t.Fatal(err)
	}
	list, err := ss.Get()
	if err != nil || len(list) != 1 {
		t.Fatal(len(list), err)
	}
	hB, _ := v1.NewHash(dB.DigestStr())
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(a.pub)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cosign.VerifyImageSignature(context.Background(), list[0], hB,
		&cosign.CheckOpts{SigVerifier: ver, IgnoreTlog: true, IgnoreSCT: true}); err != nil {
		t.Fatalf("without ClaimVerifier: %v (expected the copy to be accepted)", err)
	}

	v := verifier(t, map[string]key{"alpha": a}, images.Options{})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:b", r.host+"/odoo/enterprise:a")...)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, res[0], images.KindClaimMismatch,
		"signature by alpha claims digest "+dA.DigestStr()+", not this image's "+dB.DigestStr(),
		"a signature copied from another image?")
	if !res[1].Verified() {
		t.Errorf("the original stays verified: %+v", res[1])
	}
}

func TestTagMovedAfterSigning(t *testing.T) {
	r := newReg(t)
	a := newKey(t)
	ref := r.host + "/odoo/enterprise:18.0"
	d1 := push(t, ref)
	sign(t, d1, a)
	v := verifier(t, map[string]key{"alpha": a}, images.Options{})
	if res, err := verify(t, v, images.Refs(ref)...); err != nil || !res[0].Verified() {
		t.Fatalf("before the move: %+v, %v", res, err)
	}

	d2 := push(t, ref) // the tag now names an unsigned image
	pinned := r.host + "/odoo/enterprise:18.0@" + d1.DigestStr()
	res, err := verify(t, v, images.Refs(ref, pinned, d1.String())...)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, res[0], images.KindUnsigned, "no signature found", d2.DigestStr())
	if res[0].Digest != d2.DigestStr() {
		t.Errorf("digest %s, want the new %s", res[0].Digest, d2.DigestStr())
	}
	wantKind(t, res[1], images.KindPinMismatch,
		"digest pinned in the reference ("+d1.DigestStr()+") does not match tag "+ref+", which points to "+d2.DigestStr())
	if res[1].Digest != d1.DigestStr() {
		t.Errorf("pinned digest %s, want %s", res[1].Digest, d1.DigestStr())
	}
	if !res[2].Verified() {
		t.Errorf("the signed digest itself stays verified: %+v", res[2])
	}
}

func TestTagNotFound(t *testing.T) {
	r := newReg(t)
	push(t, r.host+"/odoo/enterprise:18.0")
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:19.0", r.host+"/odoo/nothing:1")...)
	if err != nil {
		t.Fatalf("a missing tag is a finding, not an outside failure: %v", err)
	}
	wantKind(t, res[0], images.KindNotFound, "tag 19.0 not found in "+r.host+"/odoo/enterprise")
	wantKind(t, res[1], images.KindNotFound, "tag 1 not found in "+r.host+"/odoo/nothing")
	if res[0].Kind.Outside() {
		t.Error("not-found must not be an outside failure")
	}
}

func TestMalformedReference(t *testing.T) {
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{Transport: &noNetwork{t: t}})
	bad := []string{
		"",
		"registry.palisade.example/Odoo/Enterprise:18.0",
		"registry.palisade.example/odoo/enterprise:bad tag",
		"registry.palisade.example/odoo/enterprise@sha256:abc",
		"registry.palisade.example/odoo/enterprise:18.0@sha256:zz",
	}
	res, err := verify(t, v, images.Refs(bad...)...)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range res {
		wantKind(t, x, images.KindMalformed, fmt.Sprintf("malformed reference %q", bad[i]))
	}
	if s := v.Stats(); s.Requests != 0 || s.Resolutions != 0 {
		t.Errorf("stats %+v: malformed references must not reach a registry", s)
	}
}

func TestRegistryDown(t *testing.T) {
	r := newReg(t)
	host := r.host
	r.srv.Close() // connection refused from now on
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{Concurrency: 1})
	refs := []string{host + "/odoo/enterprise:18.0", host + "/odoo/enterprise:17.0",
		host + "/odoo/enterprise@sha256:" + strings.Repeat("a", 64)}
	res, err := verify(t, v, images.Refs(refs...)...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v, want an unreachable error", err)
	}
	for _, x := range res {
		wantKind(t, x, images.KindUnreachable, "registry "+host+" unreachable", "connection refused")
		if !x.Kind.Outside() {
			t.Error("unreachable must be an outside failure")
		}
	}
	if !strings.Contains(err.Error(), "registry "+host+" unreachable: connection refused") {
		t.Errorf("err = %v", err)
	}
	// Once down, the registry is not contacted again in the same call.
	if s := v.Stats(); s.Resolutions+s.Lookups != 1 {
		t.Errorf("stats %+v: want one attempt, then the registry is known down", s)
	}
}

func TestRegistryTimeout(t *testing.T) {
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // never answers
		})
	}
	r := newReg(t, hang)
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{Timeout: 200 * time.Millisecond})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:18.0")...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v, want unreachable", err)
	}
	wantKind(t, res[0], images.KindUnreachable, "registry "+r.host+" unreachable: timed out")
}

func TestServerError(t *testing.T) {
	fail := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down for maintenance", http.StatusNotImplemented)
		})
	}
	r := newReg(t, fail)
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:18.0")...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v, want unreachable", err)
	}
	wantKind(t, res[0], images.KindUnreachable, "registry "+r.host+" unavailable: 501 Not Implemented")
}

// dockerConfig points DOCKER_CONFIG (and HOME) at a fresh directory whose
// config.json holds user:password for host.
func dockerConfig(t *testing.T, host, user, password string) {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg := map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "none.json"))
}

func TestCredentials(t *testing.T) {
	const user, good, wrong = "palisade-ci", "Corr3ct-Horse-Battery-Staple", "Wr0ng-Horse-Battery-Staple"
	r := newReg(t, basicAuth(user, good))
	creds := remote.WithAuth(&authn.Basic{Username: user, Password: good})
	a := newKey(t)
	d := push(t, r.host+"/odoo/enterprise:18.0", creds)
	sign(t, d, a, creds)
	refs := images.Refs(r.host+"/odoo/enterprise:18.0", d.String())

	t.Run("right password from DOCKER_CONFIG", func(t *testing.T) {
		dockerConfig(t, r.host, user, good)
		v := verifier(t, map[string]key{"alpha": a}, images.Options{Keychain: authn.DefaultKeychain})
		res, err := verify(t, v, refs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if !x.Verified() {
				t.Errorf("%+v: want verified", x)
			}
		}
	})

	t.Run("wrong password from DOCKER_CONFIG", func(t *testing.T) {
		dockerConfig(t, r.host, user, wrong)
		v := verifier(t, map[string]key{"alpha": a}, images.Options{Keychain: authn.DefaultKeychain})
		res, err := verify(t, v, refs...)
		if !images.IsUnreachable(err) {
			t.Fatalf("err = %v: bad credentials are an outside failure", err)
		}
		for _, x := range res {
			wantKind(t, x, images.KindDenied, "registry "+r.host+" denied access (401 Unauthorized)")
		}
		noSecret(t, fmt.Sprintf("%v %+v %#v", err, res, res), wrong, user+":"+wrong,
			base64.StdEncoding.EncodeToString([]byte(user+":"+wrong)))
	})

	t.Run("no credentials", func(t *testing.T) {
		v := verifier(t, map[string]key{"alpha": a}, images.Options{})
		res, err := verify(t, v, refs...)
		if !images.IsUnreachable(err) {
			t.Fatalf("err = %v", err)
		}
		wantKind(t, res[0], images.KindDenied, "401 Unauthorized")
	})
}

func noSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("message leaks %q: %s", s, text)
		}
	}
}

// A registry that echoes what it was sent in its error: the messages are
// still clean.
func TestCredentialsNeverEchoed(t *testing.T) {
	const user, password = "palisade-ci", "Echo-Me-Secret-9876"
	echo := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			u, p, _ := r.BasicAuth()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTeapot)
			fmt.Fprintf(w, `{"errors":[{"code":"DENIED","message":"https://%s:%s@x/ sent Authorization: %s"}]}`, u, p, r.Header.Get("Authorization"))
		})
	}
	r := newReg(t, echo)
	dockerConfig(t, r.host, user, password)
	v := verifier(t, map[string]key{"alpha": newKey(t)}, images.Options{Keychain: authn.DefaultKeychain})
	res, err := verify(t, v, images.Refs(r.host+"/odoo/enterprise:18.0", r.host+"/odoo/enterprise@sha256:"+strings.Repeat("b", 64))...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v", err)
	}
	noSecret(t, fmt.Sprintf("%v %+v", err, res), password,
		base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
}

func TestManyKeysOneLookup(t *testing.T) {
	r := newReg(t)
	keys := map[string]key{}
	for i := range 6 {
		keys[fmt.Sprintf("k%d", i)] = newKey(t)
	}
	d := push(t, r.host+"/odoo/enterprise:18.0")
	sign(t, d, keys["k4"])
	sign(t, d, keys["k1"])

	requests := func(trusted map[string]key) int64 {
		v := verifier(t, trusted, images.Options{})
		before := r.requests.Load()
		res, err := verify(t, v, images.Refs(d.String())...)
		if err != nil || !res[0].Verified() {
			t.Fatalf("%+v %v", res, err)
		}
		if s := v.Stats(); s.Lookups != 1 {
			t.Errorf("lookups %d, want 1", s.Lookups)
		}
		return r.requests.Load() - before
	}
	one := requests(map[string]key{"k1": keys["k1"]})
	all := requests(keys)
	if one != all {
		t.Errorf("requests with 1 key: %d, with 6 keys: %d; want equal (signatures fetched once)", one, all)
	}

	v := verifier(t, keys, images.Options{})
	res, _ := verify(t, v, images.Refs(d.String())...)
	if !reflect.DeepEqual(res[0].VerifiedBy, []string{"k1", "k4"}) {
		t.Errorf("verified by %v, want [k1 k4]", res[0].VerifiedBy)
	}
	if f := res[0].Fact([]string{"k0", "k4", "k1"}); f.Signer != "k4" {
		t.Errorf("signer %q, want the first tier key that verified (k4)", f.Signer)
	}
}

func TestCache(t *testing.T) {
	r := newReg(t)
	a, b := newKey(t), newKey(t)
	keys := map[string]key{"alpha": a, "beta": b}
	var refs []string
	var digests []name.Digest
	for i := range 5 {
		ref := fmt.Sprintf("%s/odoo/enterprise:%d", r.host, i)
		d := push(t, ref)
		if i < 4 {
			sign(t, d, a) // one key signs; the other never does
		}
		refs = append(refs, ref)
		digests = append(digests, d)
	}
	cache := t.TempDir()

	cold := verifier(t, keys, images.Options{CacheDir: cache})
	res, err := verify(t, cold, images.Refs(refs...)...)
	if err != nil {
		t.Fatal(err)
	}
	if s := cold.Stats(); s.Lookups != 5 || s.CacheHits != 0 {
		t.Errorf("cold stats %+v: want 5 look-ups", s)
	}

	warm := verifier(t, keys, images.Options{CacheDir: cache})
	res2, err := verify(t, warm, images.Refs(refs...)...)
	if err != nil {
		t.Fatal(err)
	}
	// The unsigned image is never cached (negatives are not), so it is
	// looked up again; the four signed ones are not.
	if s := warm.Stats(); s.Lookups != 1 || s.CacheHits != 4 {
		t.Errorf("warm stats %+v: want 1 look-up (the unsigned image) and 4 cache hits", s)
	}
	for i := range res {
		if res[i].Verified() != res2[i].Verified() || !reflect.DeepEqual(res[i].VerifiedBy, res2[i].VerifiedBy) {
			t.Errorf("cold %+v, warm %+v: want the same answer", res[i], res2[i])
		}
		if i < 4 && !res2[i].Cached {
			t.Errorf("warm %+v: want Cached", res2[i])
		}
	}

	// A warm run over signed images only makes no look-up at all.
	warm2 := verifier(t, keys, images.Options{CacheDir: cache})
	if _, err := verify(t, warm2, images.Refs(refs[:4]...)...); err != nil {
		t.Fatal(err)
	}
	if s := warm2.Stats(); s.Lookups != 0 {
		t.Errorf("stats %+v: want no look-up", s)
	}

	// A request whose tier only accepts beta is not answered by alpha's
	// cached positive: it is looked up (beta might have signed since).
	sign(t, digests[0], b)
	tier := verifier(t, keys, images.Options{CacheDir: cache})
	res3, err := verify(t, tier, images.Request{Ref: refs[0], Keys: []string{"beta"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := tier.Stats(); s.Lookups != 1 || !reflect.DeepEqual(res3[0].VerifiedBy, []string{"alpha", "beta"}) {
		t.Errorf("stats %+v, result %+v: want a look-up finding alpha and beta", s, res3[0])
	}

	// Corrupt entries are ignored, never trusted, never fatal.
	var n int
	_ = filepath.Walk(cache, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.Contains(p, strings.TrimPrefix(digests[1].DigestStr(), "sha256:")) {
			n++
			return os.WriteFile(p, []byte("{not json"), 0o644)
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no cache entry found for the second image")
	}
	corrupt := verifier(t, keys, images.Options{CacheDir: cache})
	res4, err := verify(t, corrupt, images.Refs(refs[1])...)
	if err != nil || !res4[0].Verified() || res4[0].Cached {
		t.Errorf("%+v %v: want verified by a fresh look-up", res4, err)
	}
	if s := corrupt.Stats(); s.Lookups != 1 {
		t.Errorf("stats %+v: want the corrupt entry looked up again", s)
	}

	// Offline, the same cache answers tags and signatures with no network.
	off := verifier(t, keys, images.Options{CacheDir: cache, Offline: true, Transport: &noNetwork{t: t}})
	res5, err := verify(t, off, images.Refs(refs...)...)
	if !images.IsUnreachable(err) {
		t.Fatalf("err = %v: the unsigned image cannot be checked offline", err)
	}
	for i := range 4 {
		if !res5[i].Verified() || !res5[i].Cached || res5[i].Digest != digests[i].DigestStr() {
			t.Errorf("offline %+v: want verified from the cache", res5[i])
		}
	}
	wantKind(t, res5[4], images.KindOffline, "offline: no cached verification of")
	if s := off.Stats(); s.Requests != 0 || s.Lookups != 0 || s.Resolutions != 0 {
		t.Errorf("offline stats %+v: want no network", s)
	}
	// An uncached tag offline.
	res6, _ := verify(t, off, images.Refs(r.host+"/odoo/enterprise:never-seen")...)
	wantKind(t, res6[0], images.KindOffline, "has no cached resolution")
}

// 1,000 tenant references over 100 distinct tags of 25 images: every tag is
// resolved once, every digest looked up once, never more than the
// concurrency limit in flight.
func TestManyReferencesFewImages(t *testing.T) {
	// Once set up, each resolution takes a moment, so that concurrent
	// requests overlap.
	var slowed atomic.Bool
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slowed.Load() && r.Method == http.MethodHead {
				time.Sleep(2 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	}
	r := newReg(t, slow)
	a := newKey(t)
	reqs, digests := fleet(t, r, a, 25, 4, 1000)
	const limit = 4
	v := verifier(t, map[string]key{"alpha": a}, images.Options{Concurrency: limit})
	r.maxInflight.Store(0)
	slowed.Store(true)
	res, err := v.Verify(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if !x.Verified() {
			t.Fatalf("%+v: want verified", x)
		}
	}
	s := v.Stats()
	if s.Lookups > int64(len(digests)) {
		t.Errorf("%d look-ups for %d distinct digests", s.Lookups, len(digests))
	}
	if s.Resolutions != 100 {
		t.Errorf("%d resolutions, want 100 (one per distinct tag)", s.Resolutions)
	}
	if m := r.maxInflight.Load(); m > limit || m < 2 {
		t.Errorf("max in-flight requests %d, want between 2 and the limit %d", m, limit)
	}
	t.Logf("stats %+v, max in flight %d", s, r.maxInflight.Load())
}

// fleet pushes and signs nImages images, each under tagsPer tags, and makes
// n requests cycling over the tags (every fifth by digest).
func fleet(t testing.TB, r *reg, k key, nImages, tagsPer, n int) ([]images.Request, map[string]bool) {
	var refs []string
	digests := map[string]bool{}
	for i := range nImages {
		d := push(t, fmt.Sprintf("%s/odoo/img%d:v0", r.host, i))
		sign(t, d, k)
		digests[d.String()] = true
		img, err := remote.Image(d)
		if err != nil {
			t.Fatal(err)
		}
		for j := 1; j < tagsPer; j++ {
			pushImage(t, fmt.Sprintf("%s/odoo/img%d:v%d", r.host, i, j), img)
		}
		for j := range tagsPer {
			refs = append(refs, fmt.Sprintf("%s/odoo/img%d:v%d", r.host, i, j))
		}
		refs = append(refs, d.String())
	}
	reqs := make([]images.Request, n)
	for i := range reqs {
		reqs[i] = images.Request{Ref: refs[i%len(refs)], Keys: []string{"alpha"}}
	}
	return reqs, digests
}

func TestOptionsValidation(t *testing.T) {
	if _, err := images.New(map[string][]byte{"bad": []byte("not a key")}, images.Options{}); err == nil ||
		!strings.Contains(err.Error(), `trusted key "bad"`) {
		t.Errorf("err = %v", err)
	}
	k := newKey(t)
	fp, err := images.KeyFingerprint(k.pub)
	if err != nil || len(fp) != 64 {
		t.Errorf("fingerprint %q %v", fp, err)
	}
}

func TestFact(t *testing.T) {
	r := images.Result{Ref: "x", Digest: "sha256:1", VerifiedBy: []string{"nordlys-release", "palisade-example"}}
	cases := []struct {
		tier []string
		want images.Fact
	}{
		{[]string{"palisade-example", "nordlys-release"}, images.Fact{Ref: "x", Digest: "sha256:1", Verified: true, Signer: "palisade-example"}},
		{[]string{"nordlys-release"}, images.Fact{Ref: "x", Digest: "sha256:1", Verified: true, Signer: "nordlys-release"}},
		{[]string{"other"}, images.Fact{Ref: "x", Digest: "sha256:1", Verified: true, Signer: "nordlys-release"}},
	}
	for _, c := range cases {
		if got := r.Fact(c.tier); got != c.want {
			t.Errorf("Fact(%v) = %+v, want %+v", c.tier, got, c.want)
		}
	}
	bad := images.Result{Ref: "y", Digest: "sha256:2", Kind: images.KindUnsigned, Reason: "no signature found for y"}
	if got := bad.Fact([]string{"a"}); got.Verified || got.Reason != bad.Reason {
		t.Errorf("Fact = %+v", got)
	}
}

package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Defaults of Options.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
)

// Options configure a Verifier. The zero value is usable.
type Options struct {
	// Keychain supplies registry credentials; default authn.DefaultKeychain
	// (~/.docker/config.json, $DOCKER_CONFIG, credential helpers).
	// Mirrored hosts are always read anonymously.
	Keychain authn.Keychain
	// Transport is the HTTP transport to registries; default
	// remote.DefaultTransport.
	Transport http.RoundTripper
	// Concurrency bounds the registry operations in flight; default
	// DefaultConcurrency.
	Concurrency int
	// Timeout bounds each registry operation (one resolution, one signature
	// look-up, retries included); default DefaultTimeout.
	Timeout time.Duration
	// CacheDir is the verification cache; default
	// os.UserCacheDir()/palisade/verify. NoCache disables it.
	CacheDir string
	NoCache  bool
	// Offline forbids network access: tags resolve from a mirror or from
	// the cache of earlier online runs, signatures from a mirror or cached
	// positives. Anything else fails with KindOffline.
	Offline bool
	// Mirrors maps a registry host ("registry.palisade.example", with a
	// port if the references carry one) to the directory of its OCI image
	// layout mirror. References to a mirrored host never touch the network.
	Mirrors map[string]string
	// Keyless are the trusted keyless signers, by name, beside the public
	// keys New is given (the names of both are one namespace).
	Keyless map[string]Keyless
}

// Request is one image reference to verify.
type Request struct {
	// Ref is the reference as the estate writes it: a tag reference
	// ("host/repo:tag"), a digest reference ("host/repo@sha256:…"), or both
	// ("host/repo:tag@sha256:…", whose tag must still point at the digest).
	Ref string
	// Keys are the trusted keys whose signature would satisfy whoever runs
	// the image (its tier's signing keys). They only steer the cache: a
	// digest is looked up again unless a cached positive exists for one of
	// them. Nil means any trusted key.
	Keys []string
}

// Refs makes requests accepting any trusted key.
func Refs(refs ...string) []Request {
	out := make([]Request, len(refs))
	for i, r := range refs {
		out[i] = Request{Ref: r}
	}
	return out
}

// Result is what Verify established about one Request.
type Result struct {
	Ref string
	// Digest is the manifest digest the reference resolved to, or the one it
	// pins ("sha256:…"); empty when it could not be determined.
	Digest string
	// VerifiedBy lists, sorted, the trusted keys that have a valid signature
	// for Digest whose payload claims Digest.
	VerifiedBy []string
	// Kind and Reason say why VerifiedBy is empty (or, for KindPinMismatch,
	// why the signatures were not looked at). Reason is written for a
	// person and never carries credentials.
	Kind   Kind
	Reason string
	// Cached is set when VerifiedBy came from the cache, without a look-up.
	Cached bool
	// Identities are, for the keyless signers in VerifiedBy, the identity
	// their verified signature was made by: the evidence an audit asks
	// for.
	Identities map[string]Identity
}

// Identity is who made a keyless signature, as its certificate names them,
// and where the transparency log recorded it.
type Identity struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	// LogIndex and LoggedAt are where and when the transparency log
	// recorded the signature; TimestampedAt when a timestamping authority
	// dated it (RFC 3161). Each is set when the signature carries it.
	LogIndex      int64     `json:"logIndex,omitempty"`
	LoggedAt      time.Time `json:"loggedAt,omitzero"`
	TimestampedAt time.Time `json:"timestampedAt,omitzero"`
}

// Verified reports whether some trusted key verified the image.
func (r Result) Verified() bool { return r.Kind == "" && len(r.VerifiedBy) > 0 }

// Fact is what policy needs about one image for one tenant. It has the
// fields of internal/policy.Image in the same order, so policy.Image(f)
// converts it.
type Fact struct {
	Ref            string `json:"ref"`
	Digest         string `json:"digest"`
	Verified       bool   `json:"verified"`
	Signer         string `json:"signer,omitempty"`
	SignerIdentity string `json:"signerIdentity,omitempty"`
	SignerIssuer   string `json:"signerIssuer,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// Fact picks the policy fact for a tenant whose tier trusts tierKeys:
// Verified with Signer = the first tier key that verified; failing that,
// Verified with Signer = another trusted (platform) key that verified, which
// policy reports as a key the tier does not trust; failing that, not
// Verified, with Reason.
func (r Result) Fact(tierKeys []string) Fact {
	f := Fact{Ref: r.Ref, Digest: r.Digest}
	var by []string
	if r.Kind == "" {
		by = r.VerifiedBy
	}
	signed := func(k string) Fact {
		f.Verified, f.Signer = true, k
		if id, ok := r.Identities[k]; ok {
			f.SignerIdentity, f.SignerIssuer = id.Subject, id.Issuer
		}
		return f
	}
	for _, k := range tierKeys {
		for _, b := range by {
			if k == b {
				return signed(k)
			}
		}
	}
	if len(by) > 0 {
		return signed(by[0])
	}
	f.Reason = r.Reason
	if f.Reason == "" {
		f.Reason = "not verified"
	}
	return f
}

// Stats counts a Verifier's work since it was made.
type Stats struct {
	// Resolutions of a tag to a digest made against a registry or mirror.
	Resolutions int64
	// Lookups of the signatures of one repository@digest, against a
	// registry or mirror. Each fetches the signatures once, whatever the
	// number of keys.
	Lookups int64
	// CacheHits: look-ups (and, Offline, tag resolutions) the cache spared.
	CacheHits int64
	// Requests sent to the network (mirrors excluded).
	Requests int64
}

// Verifier resolves image references and verifies their cosign signatures
// against trusted keys. It is safe for concurrent use.
type Verifier struct {
	keys    []trustedKey
	byName  map[string]trustedKey
	opts    Options
	cache   *diskCache
	mirrors map[string]*mirror
	puller  *remote.Puller
	red     redactor

	secretsOnce sync.Map // host → *sync.Once

	resolutions, lookups, cacheHits, requests atomic.Int64
}

// New makes a Verifier trusting keys (key name → PEM public key).
func New(keys map[string][]byte, opts Options) (*Verifier, error) {
	tk, err := parseKeys(keys, opts.Keyless)
	if err != nil {
		return nil, err
	}
	if opts.Keychain == nil {
		opts.Keychain = authn.DefaultKeychain
	}
	if opts.Transport == nil {
		opts.Transport = remote.DefaultTransport
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	v := &Verifier{keys: tk, byName: map[string]trustedKey{}, opts: opts, mirrors: map[string]*mirror{}}
	for _, k := range tk {
		v.byName[k.name] = k
	}
	if !opts.NoCache {
		dir := opts.CacheDir
		if dir == "" {
			if ucd, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(ucd, "palisade", "verify")
			}
		}
		if dir != "" {
			v.cache = &diskCache{dir: dir}
		}
	}
	for host, dir := range opts.Mirrors {
		h := mirrorHost(host)
		v.mirrors[h] = newMirror(h, dir)
	}
	rt := &routeTransport{mirrors: v.mirrors, next: opts.Transport, offline: opts.Offline,
		count: func() { v.requests.Add(1) }}
	kc := keychain{v: v, next: opts.Keychain}
	v.puller, err = remote.NewPuller(remote.WithTransport(rt), remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent("palisade"))
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Stats returns the counters.
func (v *Verifier) Stats() Stats {
	return Stats{
		Resolutions: v.resolutions.Load(),
		Lookups:     v.lookups.Load(),
		CacheHits:   v.cacheHits.Load(),
		Requests:    v.requests.Load(),
	}
}

// keychain reads mirrored hosts anonymously and remembers the secrets it
// hands out so that messages can be scrubbed of them.
type keychain struct {
	v    *Verifier
	next authn.Keychain
}

func (k keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if _, ok := k.v.mirrors[r.RegistryStr()]; ok {
		return authn.Anonymous, nil
	}
	a, err := k.next.Resolve(r)
	if err == nil {
		k.v.learnSecrets(r.RegistryStr(), a)
	}
	return a, err
}

func (v *Verifier) learnSecrets(host string, a authn.Authenticator) {
	o, _ := v.secretsOnce.LoadOrStore(host, &sync.Once{})
	o.(*sync.Once).Do(func() {
		cfg, err := authn.Authorization(context.Background(), a)
		if err != nil || cfg == nil {
			return
		}
		v.red.add(cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken)
	})
}

// ref is one distinct reference of a Verify call.
type ref struct {
	raw    string
	tag    *name.Tag    // set when the reference names a tag
	pinned *name.Digest // set when it pins a digest
	digest name.Digest  // what it resolved to
	fail   outcome      // set when resolution failed
}

// target is one distinct repository@digest of a Verify call.
type target struct {
	d        name.Digest
	h        v1.Hash
	cached   map[string]bool // key names with a cached positive
	looked   bool
	verified map[string]bool // key names that verified in the look-up
	// identities are the keyless signers' identities, cached or looked up.
	identities map[string]Identity
	fail       outcome // the look-up's outcome when nothing verified
}

// run is the state of one Verify call.
type run struct {
	v    *Verifier
	down sync.Map // host → outcome: registries found unreachable
}

// Verify resolves and verifies every request, returning one Result per
// request, in order. The error is an *UnreachableError (IsUnreachable) when
// some image could not be looked at, or the context's error; the results are
// complete either way.
func (v *Verifier) Verify(ctx context.Context, reqs []Request) ([]Result, error) {
	r := &run{v: v}

	// Parse and resolve each distinct reference once.
	refs := map[string]*ref{}
	var order []*ref
	for _, q := range reqs {
		if _, ok := refs[q.Ref]; !ok {
			rf := parseRef(q.Ref)
			refs[q.Ref] = rf
			order = append(order, rf)
		}
	}
	var toResolve []*ref
	for _, rf := range order {
		if rf.fail.kind == "" && rf.tag != nil {
			toResolve = append(toResolve, rf)
		}
	}
	parallel(v.opts.Concurrency, len(toResolve), func(i int) { r.resolve(ctx, toResolve[i]) })

	// Group by repository@digest; decide which need a look-up.
	targets := map[string]*target{}
	var lookups []*target
	keysOf := map[*target][][]string{}
	for _, q := range reqs {
		rf := refs[q.Ref]
		if rf.fail.kind != "" {
			continue
		}
		id := rf.digest.String()
		t, ok := targets[id]
		if !ok {
			h, _ := v1.NewHash(rf.digest.DigestStr())
			t = &target{d: rf.digest, h: h, cached: map[string]bool{}, identities: map[string]Identity{}}
			for _, k := range v.keys {
				if ok, id := v.cache.positive(h, k.fp); ok {
					t.cached[k.name] = true
					if id != nil {
						t.identities[k.name] = *id
					}
				}
			}
			targets[id] = t
		}
		keysOf[t] = append(keysOf[t], q.Keys)
	}
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := targets[id]
		need := false
		for _, ks := range keysOf[t] {
			if !v.satisfied(t, ks) {
				need = true
			}
		}
		if need && (!v.opts.Offline || v.mirrors[t.d.RegistryStr()] != nil) {
			lookups = append(lookups, t)
		} else if !need {
			v.cacheHits.Add(1)
		}
	}
	parallel(v.opts.Concurrency, len(lookups), func(i int) { r.lookup(ctx, lookups[i]) })

	// Assemble per-request results.
	out := make([]Result, len(reqs))
	failures := map[string]Failure{}
	for i, q := range reqs {
		res := v.result(q, refs[q.Ref], targets)
		out[i] = res
		if res.Kind.Outside() {
			if _, ok := failures[res.Reason]; !ok {
				failures[res.Reason] = Failure{Ref: res.Ref, Kind: res.Kind, Reason: res.Reason}
			}
		}
	}
	var err error
	if len(failures) > 0 {
		ue := &UnreachableError{}
		for _, f := range failures {
			ue.Failures = append(ue.Failures, f)
		}
		sort.Slice(ue.Failures, func(i, j int) bool { return ue.Failures[i].Reason < ue.Failures[j].Reason })
		err = ue
	}
	if cerr := ctx.Err(); cerr != nil {
		err = errors.Join(cerr, err)
	}
	return out, err
}

// satisfied reports whether the cache answers a request accepting keys.
func (v *Verifier) satisfied(t *target, keys []string) bool {
	if keys == nil {
		return len(t.cached) > 0
	}
	for _, k := range keys {
		if t.cached[k] {
			return true
		}
	}
	return false
}

func (v *Verifier) result(q Request, rf *ref, targets map[string]*target) Result {
	res := Result{Ref: q.Ref}
	if rf.digest.DigestStr() != "" {
		res.Digest = rf.digest.DigestStr()
	}
	if rf.fail.kind != "" {
		res.Kind, res.Reason = rf.fail.kind, v.red.clean(rf.fail.reason)
		return res
	}
	t := targets[rf.digest.String()]
	by := map[string]bool{}
	for k := range t.cached {
		by[k] = true
	}
	switch {
	case v.satisfied(t, q.Keys) && (!t.looked || len(t.verified) == 0 && t.fail.kind.Outside()):
		res.Cached = true
	case t.looked && t.fail.kind.Outside():
		res.Kind, res.Reason = t.fail.kind, v.red.clean(t.fail.reason)
		return res
	case t.looked:
		for k := range t.verified {
			by[k] = true
		}
		if len(by) == 0 {
			res.Kind, res.Reason = t.fail.kind, v.red.clean(t.fail.reason)
			return res
		}
	default: // Offline, not mirrored, and the cache does not answer.
		res.Kind = KindOffline
		res.Reason = fmt.Sprintf("offline: no cached verification of %s and no mirror for %s",
			describe(rf), t.d.RegistryStr())
		return res
	}
	for k := range by {
		res.VerifiedBy = append(res.VerifiedBy, k)
		if id, ok := t.identities[k]; ok {
			if res.Identities == nil {
				res.Identities = map[string]Identity{}
			}
			res.Identities[k] = id
		}
	}
	sort.Strings(res.VerifiedBy)
	return res
}

// describe names a reference and its digest for messages.
func describe(rf *ref) string {
	if rf.tag != nil {
		return fmt.Sprintf("%s (%s)", rf.tag.String(), rf.digest.DigestStr())
	}
	return rf.digest.String()
}

// parseRef parses a reference as the estate writes it.
func parseRef(s string) *ref {
	rf := &ref{raw: s}
	bad := func(err error) *ref {
		msg := strings.TrimPrefix(err.Error(), "could not parse reference: ")
		rf.fail = outcome{kind: KindMalformed, reason: fmt.Sprintf("malformed reference %q: %s", s, msg)}
		return rf
	}
	base, _, hasDigest := strings.Cut(s, "@")
	if hasDigest {
		d, err := name.NewDigest(s)
		if err != nil {
			return bad(err)
		}
		rf.pinned, rf.digest = &d, d
		// A tag before the digest is kept and checked.
		if i := strings.LastIndex(base, ":"); i > strings.LastIndex(base, "/") {
			t, err := name.NewTag(base)
			if err != nil {
				return bad(err)
			}
			rf.tag = &t
		}
		return rf
	}
	t, err := name.NewTag(s)
	if err != nil {
		return bad(err)
	}
	rf.tag = &t
	return rf
}

// ropts are the remote options of one operation.
func (v *Verifier) ropts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.Reuse(v.puller), remote.WithContext(ctx)}
}

// resolve resolves rf's tag to a digest.
func (r *run) resolve(ctx context.Context, rf *ref) {
	v := r.v
	host := rf.tag.RegistryStr()
	notFound := fmt.Sprintf("tag %s not found in %s", rf.tag.TagStr(), rf.tag.Context().Name())
	var h v1.Hash
	switch _, mirrored := v.mirrors[host]; {
	case !mirrored && v.opts.Offline:
		c, ok := v.cache.tag(rf.tag.Name())
		if !ok {
			rf.fail = outcome{kind: KindOffline, reason: fmt.Sprintf(
				"offline: tag %s has no cached resolution and %s has no mirror", rf.tag.Name(), host)}
			return
		}
		v.cacheHits.Add(1)
		h = c
	default:
		if o, down := r.down.Load(host); down {
			rf.fail = o.(outcome)
			return
		}
		v.resolutions.Add(1)
		octx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
		desc, err := remote.Head(rf.tag, v.ropts(octx)...)
		if err != nil && headFallback(err) {
			var d *remote.Descriptor
			if d, err = remote.Get(rf.tag, v.ropts(octx)...); err == nil {
				desc = &d.Descriptor
			}
		}
		cancel()
		if err != nil {
			rf.fail = r.fail(err, host, notFound)
			return
		}
		h = desc.Digest
		if !mirrored {
			v.cache.putTag(rf.tag.Name(), h)
		}
	}
	if rf.pinned != nil {
		if rf.pinned.DigestStr() != h.String() {
			rf.fail = outcome{kind: KindPinMismatch, reason: fmt.Sprintf(
				"digest pinned in the reference (%s) does not match tag %s, which points to %s",
				rf.pinned.DigestStr(), rf.tag.Name(), h)}
		}
		rf.digest = *rf.pinned
		return
	}
	rf.digest = rf.tag.Context().Digest(h.String())
}

// headFallback: registries that do not answer HEAD properly get a GET, as
// crane does. Network failures, auth failures and 404s would fail the same.
func headFallback(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests:
			return false
		}
		return true
	}
	o := classify(err, "", "")
	return !o.network && !errors.Is(err, errOffline)
}

// fail classifies err, remembering registries found down.
func (r *run) fail(err error, host, notFound string) outcome {
	o := classify(err, host, notFound)
	if o.network {
		r.down.LoadOrStore(host, o)
	}
	return o
}

// lookup fetches the signatures of t once and verifies each against every
// trusted key, offline.
func (r *run) lookup(ctx context.Context, t *target) {
	v := r.v
	t.looked = true
	host := t.d.RegistryStr()
	if o, down := r.down.Load(host); down {
		t.fail = o.(outcome)
		return
	}
	v.lookups.Add(1)
	octx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	sigs, err := fetchSignatures(t.d, ociremote.WithRemoteOptions(v.ropts(octx)...))
	if err != nil {
		t.fail = r.fail(err, host, "signatures not found for "+t.d.String())
		if t.fail.kind == KindNotFound {
			t.fail = outcome{kind: KindUnsigned, reason: "no signature found for " + t.d.String()}
		}
		return
	}
	if len(sigs) == 0 {
		t.fail = outcome{kind: KindUnsigned, reason: "no signature found for " + t.d.String()}
		return
	}
	t.verified = map[string]bool{}
	var claims []string
	for _, k := range v.keys {
		co := k.opts(true)
		for _, s := range sigs {
			if _, err := cosign.VerifyImageSignature(octx, s, t.h, co); err == nil && (!k.needsTimestamp || timestamped(s)) {
				t.verified[k.name] = true
				var id *Identity
				if k.keyless {
					id = identityOf(s, k)
					t.identities[k.name] = *id
				}
				v.cache.putPositive(t.h, k.fp, id)
				break
			}
			// Not accepted: say why, for the message. A signature that is
			// cryptographically valid under k but claims another digest
			// was copied from another image.
			if claimed := claimedDigest(s); claimed != t.h.String() && validUnder(octx, k, s) {
				claims = append(claims, fmt.Sprintf(
					"signature by %s claims digest %s, not this image's %s (a signature copied from another image?)",
					k.name, orNone(claimed), t.h))
			}
		}
	}
	if len(t.verified) > 0 {
		return
	}
	if len(claims) > 0 {
		t.fail = outcome{kind: KindClaimMismatch, reason: claims[0]}
		return
	}
	names := make([]string, len(v.keys))
	for i, k := range v.keys {
		names[i] = k.name
	}
	t.fail = outcome{kind: KindUntrusted, reason: fmt.Sprintf(
		"%s is signed, but not by any trusted key (tried: %s)", t.d.String(), strings.Join(names, ", "))}
}

// fetchSignatures reads the cosign signatures of d (its
// "sha256-<hex>.sig" tag) into memory: one manifest and one blob per
// signature, whatever the number of keys verified against them later.
func fetchSignatures(d name.Digest, opts ...ociremote.Option) ([]oci.Signature, error) {
	sigs, err := ociremote.SignedUnknown(d, opts...).Signatures()
	if err != nil {
		return nil, err
	}
	list, err := sigs.Get()
	if err != nil {
		return nil, err
	}
	out := make([]oci.Signature, 0, len(list))
	for _, s := range list {
		c, err := static.Copy(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func claimedDigest(s oci.Signature) string {
	p, err := s.Payload()
	if err != nil {
		return ""
	}
	var sci payload.SimpleContainerImage
	if json.Unmarshal(p, &sci) != nil {
		return ""
	}
	return sci.Critical.Image.DockerManifestDigest
}

// validUnder reports whether s is a valid signature by k, whatever digest
// its payload claims.
func validUnder(ctx context.Context, k trustedKey, s oci.Signature) bool {
	_, err := cosign.VerifyImageSignature(ctx, s, v1.Hash{}, k.opts(false))
	return err == nil
}

// identityOf is the evidence of a keyless signature cosign verified: the
// identity and issuer its certificate names, and its transparency log
// entry.
// identityOf is the evidence of a keyless signature verified under k:
// the certificate's identity, and the log entry and timestamp k checked
// (a signature may carry others, which prove nothing here).
func identityOf(s oci.Signature, k trustedKey) *Identity {
	id := &Identity{}
	if cert, err := s.Cert(); err == nil && cert != nil {
		if sans := cryptoutils.GetSubjectAlternateNames(cert); len(sans) > 0 {
			id.Subject = sans[0]
		}
		ce := cosign.CertExtensions{Cert: cert}
		id.Issuer = ce.GetIssuer()
	}
	if b, err := s.Bundle(); err == nil && b != nil && !k.checkOpts.IgnoreTlog {
		id.LogIndex = b.Payload.LogIndex
		id.LoggedAt = time.Unix(b.Payload.IntegratedTime, 0).UTC()
	}
	if ts, err := s.RFC3161Timestamp(); err == nil && ts != nil && k.checkOpts.UseSignedTimestamps {
		if r, err := timestamp.ParseResponse(ts.SignedRFC3161Timestamp); err == nil {
			id.TimestampedAt = r.Time.UTC()
		}
	}
	return id
}

// timestamped tells whether a signature carries an RFC 3161 timestamp.
func timestamped(s oci.Signature) bool {
	ts, err := s.RFC3161Timestamp()
	return err == nil && ts != nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// parallel runs f(0..n-1) with at most limit running at once.
func parallel(limit, n int, f func(int)) {
	if n == 0 {
		return
	}
	if limit > n {
		limit = n
	}
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := 0; w < limit; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

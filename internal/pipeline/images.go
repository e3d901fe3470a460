package pipeline

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/images"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// ImageStage resolves image references to digests and verifies their
// signatures against the platform's keys.
type ImageStage interface {
	// Verify establishes the facts about refs. An error means the stage
	// could not run at all (a registry could not be reached): the caller
	// fails closed. Per-image failures are facts, not errors.
	Verify(ctx context.Context, e *estate.Estate, refs []string) (*ImageReport, error)
}

// ImageFact is what the image stage established about one reference of
// the estate.
type ImageFact struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
	// Signers are the platform keys a valid signature of Digest was made
	// with, sorted by name.
	Signers []string `json:"signers,omitempty"`
	// Identities are, for the keyless signers among Signers, who signed
	// (the certificate's identity and OIDC issuer) and where the
	// transparency log recorded it: evidence for an audit.
	Identities map[string]images.Identity `json:"identities,omitempty"`
	// Reason says why no key verified, or why the reference could not be
	// resolved.
	Reason string `json:"reason,omitempty"`
}

// ImageReport is the image stage's result for an estate.
type ImageReport struct {
	Facts []ImageFact `json:"facts"`
	// Stats are the stage's counters, for the summary and benchmarks.
	Stats map[string]int `json:"stats,omitempty"`

	enforced bool
}

// Digests maps each resolved reference to its digest, for pinning.
func (r *ImageReport) Digests() map[string]string {
	m := map[string]string{}
	for _, f := range r.Facts {
		if f.Digest != "" {
			m[f.Ref] = f.Digest
		}
	}
	return m
}

// For gives the policy facts of the images a tenant's objects run (as
// rendered: pinned, or as written when unresolved), judged by the keys the
// tenant's tier trusts: a tier key that verified is the signer; failing
// that, another platform key that verified (the policy denies it as
// untrusted).
func (r *ImageReport) For(rendered []string, tierKeys []string) []policy.Image {
	byRef := map[string]ImageFact{}
	for _, f := range r.Facts {
		byRef[f.Ref] = f
		if f.Digest != "" {
			byRef[policy.Repository(f.Ref)+"@"+f.Digest] = f
		}
	}
	out := []policy.Image{}
	for _, ref := range rendered {
		f, ok := byRef[ref]
		if !ok {
			if r.enforced {
				out = append(out, policy.Image{Ref: ref, Reason: "the image stage did not see this reference"})
			}
			continue
		}
		img := policy.Image{Ref: ref, Digest: f.Digest}
		for _, k := range tierKeys {
			if slices.Contains(f.Signers, k) {
				img.Verified, img.Signer = true, k
				break
			}
		}
		if !img.Verified && len(f.Signers) > 0 {
			img.Verified, img.Signer = true, f.Signers[0]
		}
		if id, ok := f.Identities[img.Signer]; ok {
			img.SignerIdentity, img.SignerIssuer = id.Subject, id.Issuer
		}
		if !img.Verified {
			img.Reason = f.Reason
		}
		out = append(out, img)
	}
	return out
}

// EstateImages lists the image references the estate writes for the given
// tenants (all when empty) and the platform's own workloads, sorted.
func EstateImages(e *estate.Estate, tenants []string) ([]string, error) {
	seen := map[string]bool{}
	for _, ref := range platformImages(e) {
		seen[ref] = true
	}
	for name, t := range e.Tenants {
		if len(tenants) > 0 && !slices.Contains(tenants, name) {
			continue
		}
		for _, ref := range tenantImages(t) {
			seen[ref] = true
		}
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for ref := range seen {
		out = append(out, ref)
	}
	slices.Sort(out)
	return out, nil
}

// platformImages are the images the platform's own workloads run.
func platformImages(e *estate.Estate) []string {
	pl := e.Platform.Images
	return []string{pl.Postgres, pl.Redis, pl.Backup, pl.RestoreTest}
}

// tenantImages are the images a tenant's environments run: its Odoo image
// and any environment's own.
func tenantImages(t *estate.Tenant) []string {
	refs := []string{t.Odoo.Image}
	for _, env := range t.Environments {
		if env != nil && env.Image != "" {
			refs = append(refs, env.Image)
		}
	}
	return refs
}

// imageRequests asks for each reference once per set of keys a tier whose
// tenants run it trusts (the platform's images run for every tenant). The
// keys steer the verification cache: a digest verified before by another
// key is looked up again for a tier that trusts only keys the cache has
// not seen sign it — a tier switched to a new key, or to a keyless signer,
// is not answered by the old key's cached verification.
func imageRequests(e *estate.Estate, refs []string) []images.Request {
	keysOf := map[string][][]string{}
	add := func(ref string, keys []string) {
		if !slices.ContainsFunc(keysOf[ref], func(k []string) bool { return slices.Equal(k, keys) }) {
			keysOf[ref] = append(keysOf[ref], keys)
		}
	}
	for _, name := range e.TenantNames() {
		t := e.Tenants[name]
		tier := e.Tiers[t.Tier]
		if tier == nil {
			continue
		}
		keys := slices.Sorted(slices.Values(tier.SigningKeys))
		for _, ref := range append(tenantImages(t), platformImages(e)...) {
			add(ref, keys)
		}
	}
	var out []images.Request
	for _, r := range refs {
		if len(keysOf[r]) == 0 {
			out = append(out, images.Request{Ref: r})
		}
		for _, keys := range keysOf[r] {
			out = append(out, images.Request{Ref: r, Keys: keys})
		}
	}
	return out
}

// OutsideError is a failure of a system outside Palisade — a registry or a
// git remote that could not be reached or refused the credentials. The
// command line exits 3 on it; nothing was written or committed.
type OutsideError struct {
	// Op says what was being done, e.g. "resolving images".
	Op  string
	Err error
}

func (e *OutsideError) Error() string { return e.Op + ": " + e.Err.Error() }

func (e *OutsideError) Unwrap() error { return e.Err }

// Registry is the image stage against registries and the platform's
// offline mirrors: go-containerregistry resolves, cosign verifies.
type Registry struct {
	Options images.Options
}

// Verify implements ImageStage.
func (s Registry) Verify(ctx context.Context, e *estate.Estate, refs []string) (*ImageReport, error) {
	o := s.Options
	o.Mirrors = map[string]string{}
	for host, m := range e.Platform.Registries.Mirrors {
		o.Mirrors[host] = filepath.Join(e.Root, filepath.FromSlash(m.Path))
	}
	o.Keyless = map[string]images.Keyless{}
	for n, k := range e.Keyless {
		o.Keyless[n] = images.Keyless{RootsPEM: k.RootsPEM, LogPublicKeyPEM: k.RekorPublicKeyPEM, TrustedRootJSON: k.TrustedRootJSON, CTLogPublicKeyPEM: k.CTLogPublicKeyPEM, TSAChainPEM: k.TSAChainPEM,
			Issuer: k.OIDCIssuer, Subject: k.Identity, SubjectRegExp: k.IdentityRegexp}
	}
	v, err := images.New(e.Keys, o)
	if err != nil {
		return nil, err
	}
	res, err := v.Verify(ctx, imageRequests(e, refs))
	if err != nil {
		if images.IsUnreachable(err) {
			return nil, &OutsideError{Op: "verifying images", Err: err}
		}
		return nil, err
	}
	rep := &ImageReport{}
	seen := map[string]bool{}
	for _, r := range res {
		// A reference asked for by several tiers has one answer: every
		// key that verified it.
		if seen[r.Ref] {
			continue
		}
		seen[r.Ref] = true
		f := ImageFact{Ref: r.Ref, Digest: r.Digest, Signers: r.VerifiedBy, Identities: r.Identities, Reason: r.Reason}
		if r.Kind != "" {
			f.Signers, f.Identities = nil, nil
		}
		rep.Facts = append(rep.Facts, f)
	}
	st := v.Stats()
	rep.Stats = map[string]int{
		"resolutions": int(st.Resolutions), "signatureLookups": int(st.Lookups), "cacheHits": int(st.CacheHits),
	}
	return rep, nil
}

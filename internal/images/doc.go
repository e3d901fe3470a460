// Package images gathers the supply-chain facts policy judges: for each
// image reference the estate or the rendered objects use, which manifest
// digest it names and which trusted keys signed that digest.
//
// # Model
//
// A Verifier is made from the platform's trusted keys (key name → PEM public
// key, cosign ECDSA P-256 keys) and Options. Verify takes Requests — a
// reference as written ("registry.palisade.example/odoo/enterprise:18.0-20261120",
// "…@sha256:…", or "…:tag@sha256:…") plus the keys its tier accepts — and
// returns one Result per request:
//
//   - a tag is resolved to its manifest digest (HEAD, falling back to GET
//     like crane; an index digest for multi-platform images); a digest
//     reference is used as it is; a tag-and-digest reference must still have
//     its tag pointing at its digest;
//   - the cosign signatures of the digest (the "sha256-<hex>.sig" tag) are
//     fetched once and each is verified against each trusted key locally with
//     cosign.VerifyImageSignature, offline (a key's signature with
//     IgnoreTlog and IgnoreSCT; a keyless signer's certificate against its
//     pinned roots, with the Rekor bundle or the RFC 3161 timestamp that
//     dates it — at least one, as the trust names a log, a timestamping
//     authority or both — and with its embedded SCT when the trust names a
//     certificate transparency log; nothing is fetched from Rekor, Fulcio,
//     a TSA or TUF) and with
//     cosign.SimpleClaimVerifier, so that a signature whose payload claims
//     another digest — one copied from another image — is rejected;
//   - Result.VerifiedBy lists the keys that verified; otherwise Kind and
//     Reason say why, in a sentence for a person.
//
// Work is deduplicated by reference, then by repository@digest, and bounded
// by Options.Concurrency; each registry operation gets Options.Timeout.
// Result.Fact picks what policy needs for one tenant (internal/policy.Image
// has the same fields: policy.Image(f) converts): the first tier key that
// verified; else another trusted key that did (policy then says the tier
// does not trust it); else not verified, with the reason.
//
// Stats counts resolutions, signature look-ups, cache hits and network
// requests.
//
// # Error classes
//
// Findings about an image — KindMalformed, KindNotFound (missing tag),
// KindPinMismatch (tag moved away from the pinned digest), KindUnsigned,
// KindUntrusted (signed by no trusted key), KindClaimMismatch (copied
// signature) — leave the image unverified; policy denies it (exit 1).
//
// Outside failures — KindUnreachable (connection refused, DNS, timeout, TLS,
// 5xx/429, unreadable mirror), KindDenied (401/403) and KindOffline — mean
// the image could not be looked at. Kind.Outside reports them, and Verify
// returns, alongside the complete results, an *UnreachableError
// (IsUnreachable) listing them: the CLI exits 3. Authentication failures are
// outside failures on purpose: the registry could not be read, the image is
// not known to be bad, and the fix is credentials, not a new signature. A
// registry found unreachable (below HTTP) is not contacted again for the rest
// of the call.
//
// Messages never carry credentials: URL user-info and authorization material
// are stripped, and every secret the keychain handed out for a registry is
// replaced by "[redacted]".
//
// # Mirrors
//
// Options.Mirrors maps a registry host to a directory holding an OCI image
// layout (platform.registries.mirrors in CUE, paths relative to the estate
// root). References to a mirrored host are resolved and verified from the
// layout with no network at all, through exactly the same code (ggcr remote
// and cosign's oci/remote, reaching an in-process read-only registry that
// serves the layout's files through an http.RoundTripper). The convention:
//
//   - one OCI image layout per registry host (oci-layout, index.json,
//     blobs/sha256/…);
//   - each image's manifest (or index) is listed in index.json with the
//     annotation org.opencontainers.image.ref.name set to
//     "<repository path without host>:<tag>", e.g.
//     "odoo/enterprise:18.0-20261120"; if a name repeats, the last entry
//     wins;
//   - cosign signatures are stored the same way under their cosign tag,
//     "<repository>:sha256-<hex>.sig" (e.g.
//     "odoo/enterprise:sha256-3f…9a.sig"): the signature manifest cosign
//     itself pushes, one layer per signature.
//
// MirrorWriter writes such layouts (WriteImage, Sign, Attach);
// internal/cmd/examplemirror builds the example estate's mirror with it.
//
// # Cache
//
// Verification results are cached on disk, by default in
// os.UserCacheDir()/palisade/verify (Options.CacheDir; Options.NoCache turns
// it off), keyed by (digest, key fingerprint = SHA-256 of the key's DER
// encoding). Only positives are cached: a valid signature by a key over a
// digest stays a fact about that content, whereas "not signed by K" can stop
// being true when K signs later, so negatives are always looked up again. A
// digest is not looked up when, for every request naming it, one of the
// request's keys has a cached positive; a warm run with the same keys and
// signed images therefore makes no signature look-ups. Tag resolutions are
// recorded on every online run but only read with Options.Offline (online,
// tags are always resolved afresh, since tags move); Offline, a tag resolves
// from a mirror or that record, and a digest verifies from a mirror or
// cached positives, else KindOffline. Entries are written atomically
// (temporary file and rename); unreadable or corrupt entries are misses.
package images

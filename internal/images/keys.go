package images

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/tuf"
)

// Keyless is a keyless signer the platform trusts, as `cosign sign`
// without a key makes them: a short-lived certificate a Fulcio CA issued
// to an OIDC identity, and a Rekor inclusion bundle proving when the
// signature was logged. It is verified offline, against the roots and the
// log key pinned here, never a root fetched at run time: the certificate
// must chain to RootsPEM, name Issuer and the identity, and have been
// valid when the log integrated the signature, whose bundle LogPublicKeyPEM
// must have signed.
type Keyless struct {
	// RootsPEM are the trusted CA certificates, PEM: roots, and any
	// intermediates a signature may not carry.
	RootsPEM []byte
	// LogPublicKeyPEM is the transparency log's public key (ECDSA, PEM).
	LogPublicKeyPEM []byte
	// CTLogPublicKeyPEM, with RootsPEM, is the certificate transparency
	// log's public key (ECDSA, PEM): the signing certificate must then
	// carry that log's signed certificate timestamp (SCT), proving the CA
	// published it. A trusted root gives its CT logs instead.
	CTLogPublicKeyPEM []byte
	// TSAChainPEM, with RootsPEM, is a timestamping authority's signing
	// certificate, any intermediates and its root (PEM, in that order):
	// signatures may then carry its RFC 3161 timestamp, which dates them
	// as a Rekor bundle does, and must when there is no LogPublicKeyPEM.
	// A trusted root gives its timestamping authorities instead.
	TSAChainPEM []byte
	// TrustedRootJSON is, instead of RootsPEM and LogPublicKeyPEM, a
	// Sigstore trusted root (trusted_root.json): the CAs and logs it
	// lists, each within its validity period.
	TrustedRootJSON []byte
	// Issuer is the OIDC issuer the certificate must name, exactly
	// ("https://token.actions.githubusercontent.com").
	Issuer string
	// Subject is the identity (e-mail address or URI) the certificate
	// must name exactly; SubjectRegExp, if Subject is empty, a regular
	// expression (RE2) the whole identity must match.
	Subject       string
	SubjectRegExp string
}

// trustedKey is one parsed trusted signer: a public key or a keyless
// identity.
type trustedKey struct {
	name string
	// fp identifies what the key trusts, for the cache: the hex SHA-256
	// of a public key's DER (PKIX) encoding, or of a keyless signer's
	// roots, log key and identity.
	fp string
	// checkOpts are cosign's options verifying a signature by this key,
	// without a claim verifier.
	checkOpts cosign.CheckOpts
	keyless   bool
	// needsTimestamp: without a transparency log, a keyless signature
	// must carry a timestamp (cosign would otherwise date the certificate
	// by the clock).
	needsTimestamp bool
}

// opts returns the key's cosign options, with the claim verifier when
// claims is set: without one, cosign does not check that a signature's
// payload claims the image's digest.
func (k trustedKey) opts(claims bool) *cosign.CheckOpts {
	co := k.checkOpts
	if claims {
		co.ClaimVerifier = cosign.SimpleClaimVerifier
	}
	return &co
}

// KeyFingerprint returns the fingerprint the cache uses for a PEM public
// key: the hex SHA-256 of its DER (PKIX) encoding.
func KeyFingerprint(pemBytes []byte) (string, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return "", err
	}
	return fingerprint(pub)
}

func fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// parseKeys parses the trusted public keys and keyless signers, sorted by
// name.
func parseKeys(keys map[string][]byte, keyless map[string]Keyless) ([]trustedKey, error) {
	var out []trustedKey
	for n, pemBytes := range keys {
		if _, dup := keyless[n]; dup {
			return nil, fmt.Errorf("trusted key %q is both a public key and a keyless signer", n)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: not a PEM public key: %w", n, err)
		}
		fp, err := fingerprint(pub)
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: %w", n, err)
		}
		ver, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: %w", n, err)
		}
		out = append(out, trustedKey{name: n, fp: fp, checkOpts: cosign.CheckOpts{
			SigVerifier: ver, IgnoreTlog: true, IgnoreSCT: true,
		}})
	}
	for n, k := range keyless {
		tk, err := parseKeyless(n, k)
		if err != nil {
			return nil, fmt.Errorf("trusted keyless signer %q: %w", n, err)
		}
		out = append(out, tk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func parseKeyless(n string, k Keyless) (trustedKey, error) {
	co, err := keylessMaterial(k)
	if err != nil {
		return trustedKey{}, err
	}
	id := cosign.Identity{Issuer: k.Issuer, Subject: k.Subject}
	switch {
	case k.Issuer == "":
		return trustedKey{}, fmt.Errorf("no OIDC issuer: a keyless signer is trusted for one issuer")
	case k.Subject == "" && k.SubjectRegExp == "":
		return trustedKey{}, fmt.Errorf("no subject nor subject pattern: any identity of the issuer would do")
	case k.Subject == "":
		// cosign matches the pattern anywhere in the identity; anchor it,
		// so "https://github.com/acme/" does not admit
		// "https://evil.example/?https://github.com/acme/".
		id.SubjectRegExp = "^(?:" + k.SubjectRegExp + ")$"
		if _, err := regexp.Compile(id.SubjectRegExp); err != nil {
			return trustedKey{}, fmt.Errorf("subject pattern: %w", err)
		}
	}
	h := sha256.New()
	for _, part := range [][]byte{k.RootsPEM, k.LogPublicKeyPEM, k.TrustedRootJSON, []byte(k.Issuer), []byte(k.Subject), []byte(k.SubjectRegExp), k.CTLogPublicKeyPEM, k.TSAChainPEM} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	co.Identities = []cosign.Identity{id}
	// Offline: the inclusion bundle must be on the signature, and it
	// dates the signature; without it, nothing shows the short-lived
	// certificate was valid when the image was signed.
	co.Offline = true
	// Certificate transparency is checked when the trust names a CT log
	// (keylessMaterial): the certificate must carry its SCT. Without one,
	// the pinned roots alone decide.
	co.IgnoreSCT = co.CTLogPubKeys == nil && !trustsCTLog(co.TrustedMaterial)
	return trustedKey{name: n, fp: "keyless-" + hex.EncodeToString(h.Sum(nil)), checkOpts: co, keyless: true, needsTimestamp: co.IgnoreTlog}, nil
}

// keylessMaterial are the cosign options holding a keyless signer's CAs
// and transparency log: a trusted root, or PEM roots and a log key.
func keylessMaterial(k Keyless) (cosign.CheckOpts, error) {
	if len(k.TrustedRootJSON) > 0 {
		if len(k.RootsPEM) > 0 || len(k.LogPublicKeyPEM) > 0 {
			return cosign.CheckOpts{}, fmt.Errorf("a trusted root, or roots and a log key: not both")
		}
		tr, err := root.NewTrustedRootFromJSON(k.TrustedRootJSON)
		if err != nil {
			return cosign.CheckOpts{}, fmt.Errorf("trusted root: %w", err)
		}
		if len(tr.FulcioCertificateAuthorities()) == 0 || len(tr.RekorLogs())+len(tr.TimestampingAuthorities()) == 0 {
			return cosign.CheckOpts{}, fmt.Errorf("trusted root: it lists no certificate authority, or neither a transparency log nor a timestamping authority")
		}
		if len(k.CTLogPublicKeyPEM) > 0 || len(k.TSAChainPEM) > 0 {
			return cosign.CheckOpts{}, fmt.Errorf("a trusted root names its certificate transparency logs and timestamping authorities: give no CT log key nor TSA chain beside it")
		}
		// A timestamp, when the root trusts a TSA, dates the signature;
		// without a transparency log, it is the only date there is.
		return cosign.CheckOpts{TrustedMaterial: tr, UseSignedTimestamps: len(tr.TimestampingAuthorities()) > 0,
			IgnoreTlog: len(tr.RekorLogs()) == 0}, nil
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(k.RootsPEM)
	if err != nil || len(certs) == 0 {
		return cosign.CheckOpts{}, fmt.Errorf("roots: want PEM CA certificates: %v", orNoCertificates(err))
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	nInters := 0
	for _, c := range certs {
		if !c.IsCA {
			return cosign.CheckOpts{}, fmt.Errorf("roots: %q is not a CA certificate", c.Subject.String())
		}
		if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
			roots.AddCert(c)
		} else {
			inters.AddCert(c)
			nInters++
		}
	}
	co := cosign.CheckOpts{RootCerts: roots}
	if nInters > 0 {
		co.IntermediateCerts = inters
	}
	if len(k.LogPublicKeyPEM) == 0 && len(k.TSAChainPEM) == 0 {
		return cosign.CheckOpts{}, fmt.Errorf("transparency log key: none, and no timestamping authority: nothing would date the signatures")
	}
	if len(k.LogPublicKeyPEM) > 0 {
		if co.RekorPubKeys, err = logKeys("transparency log key", "Rekor's", k.LogPublicKeyPEM); err != nil {
			return cosign.CheckOpts{}, err
		}
	} else {
		co.IgnoreTlog = true
	}
	if len(k.TSAChainPEM) > 0 {
		chain, err := cryptoutils.UnmarshalCertificatesFromPEM(k.TSAChainPEM)
		if err != nil || len(chain) < 2 {
			return cosign.CheckOpts{}, fmt.Errorf("timestamping authority: want its signing certificate, any intermediates and its root, PEM: %v", orNoCertificates(err))
		}
		co.TSACertificate, co.TSARootCertificates = chain[0], chain[len(chain)-1:]
		co.TSAIntermediateCertificates = chain[1 : len(chain)-1]
		co.UseSignedTimestamps = true
	}
	if len(k.CTLogPublicKeyPEM) > 0 {
		if co.CTLogPubKeys, err = logKeys("certificate transparency log key", "Fulcio's CT log's", k.CTLogPublicKeyPEM); err != nil {
			return cosign.CheckOpts{}, err
		}
	}
	return co, nil
}

// logKeys reads a log's ECDSA public key (PEM) as cosign's trusted keys of
// a log; what names the key in errors, whose the kind of log it is.
func logKeys(what, whose string, pemBytes []byte) (*cosign.TrustedTransparencyLogPubKeys, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PEM public key: %w", what, err)
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("%s: want an ECDSA key, as %s, not %T", what, whose, pub)
	}
	keys := cosign.NewTrustedTransparencyLogPubKeys()
	if err := keys.AddTransparencyLogPubKey(pemBytes, tuf.Active); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &keys, nil
}

// trustsCTLog tells whether trusted material names a certificate
// transparency log.
func trustsCTLog(tm root.TrustedMaterial) bool {
	return tm != nil && len(tm.CTLogs()) > 0
}

func orNoCertificates(err error) error {
	if err == nil {
		return fmt.Errorf("none found")
	}
	return err
}

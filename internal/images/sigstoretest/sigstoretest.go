// Package sigstoretest is a certificate authority, a certificate
// transparency log and a transparency log for tests: it signs images as
// `cosign sign` does without a key — an ephemeral key, a short-lived
// certificate for an OIDC identity issued under a Fulcio-like root, with
// the certificate transparency log's signed certificate timestamp (SCT)
// embedded as Fulcio embeds it, a Rekor inclusion bundle (a signed entry
// timestamp over a hashedrekord entry) and, on request, an RFC 3161
// timestamp of the signature by a timestamping authority (TSA) — all in
// memory, so that keyless verification is tested offline against roots,
// log keys and a TSA chain the test pins, with the real cosign verifier.
package sigstoretest

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/digitorus/timestamp"
	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	"github.com/google/go-containerregistry/pkg/name"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Fulcio's certificate extensions: the OIDC issuer, as a raw string (v1)
// and DER-encoded (v2).
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// Authority is a root and an intermediate CA, as Fulcio's, a certificate
// transparency log key, as its CT log's, and a transparency log key, as
// Rekor's.
type Authority struct {
	root, inter       *x509.Certificate
	rootKey, interKey *ecdsa.PrivateKey
	logKey, ctKey     *ecdsa.PrivateKey
	// tsaRoot and tsaLeaf are the timestamping authority's root and
	// signing certificates.
	tsaRoot, tsaLeaf *x509.Certificate
	tsaKey           *ecdsa.PrivateKey
	// logID is the log's id: the SHA-256 of its key's DER encoding;
	// ctLogID the CT log's.
	logID, logKeyDER  []byte
	ctLogID, ctKeyDER []byte
	logIndex          atomic.Int64
	// RootsPEM is the root certificate, as a trusted-roots file holds it.
	RootsPEM []byte
	// ChainPEM is the intermediate and the root, as a signature carries
	// them.
	ChainPEM []byte
	// LogPublicKeyPEM is the transparency log's public key.
	LogPublicKeyPEM []byte
	// CTLogPublicKeyPEM is the certificate transparency log's public key.
	CTLogPublicKeyPEM []byte
	// TSAChainPEM is the timestamping authority's signing certificate and
	// root, as `cosign verify --timestamp-certificate-chain` takes them.
	TSAChainPEM []byte
}

// NewAuthority makes an authority whose certificates are valid from
// notBefore for ten years.
func NewAuthority(notBefore time.Time) (*Authority, error) {
	a := &Authority{}
	var err error
	if a.rootKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return nil, err
	}
	if a.interKey, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return nil, err
	}
	if a.logKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if a.ctKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	ca := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{Organization: []string{"sigstore test"}, CommonName: cn},
			NotBefore:             notBefore,
			NotAfter:              notBefore.AddDate(10, 0, 0),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
	}
	rootTmpl := ca("sigstore-test-root", 1)
	der, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, a.rootKey.Public(), a.rootKey)
	if err != nil {
		return nil, err
	}
	if a.root, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	interTmpl := ca("sigstore-test-intermediate", 2)
	interTmpl.MaxPathLenZero = true
	if der, err = x509.CreateCertificate(rand.Reader, interTmpl, a.root, a.interKey.Public(), a.rootKey); err != nil {
		return nil, err
	}
	if a.inter, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	if a.RootsPEM, err = cryptoutils.MarshalCertificatesToPEM([]*x509.Certificate{a.root}); err != nil {
		return nil, err
	}
	if a.ChainPEM, err = cryptoutils.MarshalCertificatesToPEM([]*x509.Certificate{a.inter, a.root}); err != nil {
		return nil, err
	}
	if a.LogPublicKeyPEM, err = cryptoutils.MarshalPublicKeyToPEM(a.logKey.Public()); err != nil {
		return nil, err
	}
	if a.logKeyDER, err = x509.MarshalPKIXPublicKey(a.logKey.Public()); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(a.logKeyDER)
	a.logID = sum[:]
	if a.CTLogPublicKeyPEM, err = cryptoutils.MarshalPublicKeyToPEM(a.ctKey.Public()); err != nil {
		return nil, err
	}
	if a.ctKeyDER, err = x509.MarshalPKIXPublicKey(a.ctKey.Public()); err != nil {
		return nil, err
	}
	ctSum := sha256.Sum256(a.ctKeyDER)
	a.ctLogID = ctSum[:]
	if err := a.newTSA(notBefore); err != nil {
		return nil, err
	}
	return a, nil
}

// oidEKU is the extended key usage extension, which RFC 3161 requires to
// be critical and to name time stamping only on a TSA's certificate.
var oidEKU = asn1.ObjectIdentifier{2, 5, 29, 37}

// newTSA makes the timestamping authority: a root and a signing
// certificate under it, valid from notBefore for ten years.
func (a *Authority) newTSA(notBefore time.Time) error {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if a.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{Organization: []string{"sigstore test"}, CommonName: "tsa-test-root"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return err
	}
	if a.tsaRoot, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		return err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4), Subject: pkix.Name{Organization: []string{"sigstore test"}, CommonName: "tsa-test"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(10, 0, 0),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidEKU, Critical: true, Value: eku}},
	}
	if der, err = x509.CreateCertificate(rand.Reader, leafTmpl, a.tsaRoot, a.tsaKey.Public(), rootKey); err != nil {
		return err
	}
	if a.tsaLeaf, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	a.TSAChainPEM, err = cryptoutils.MarshalCertificatesToPEM([]*x509.Certificate{a.tsaLeaf, a.tsaRoot})
	return err
}

// timestamp is the TSA's RFC 3161 timestamp response for sig, at at.
func (a *Authority) timestamp(sig []byte, at time.Time, tamper bool) ([]byte, error) {
	if tamper {
		sig = append([]byte("another signature: "), sig...)
	}
	h := sha256.Sum256(sig)
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: h[:], Time: at,
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2},
	}
	return ts.CreateResponseWithOpts(a.tsaLeaf, a.tsaKey, crypto.SHA256)
}

// TrustedRootJSON is the authority as a Sigstore trusted root
// (trusted_root.json, as TUF distributes it and `cosign trusted-root
// create` writes it): its CA chain and its two logs' keys.
func (a *Authority) TrustedRootJSON() ([]byte, error) {
	start := a.root.NotBefore.UTC().Format(time.RFC3339)
	b64 := base64.StdEncoding.EncodeToString
	return json.MarshalIndent(map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs": []any{map[string]any{
			"baseUrl":       "https://rekor.test",
			"hashAlgorithm": "SHA2_256",
			"publicKey":     map[string]any{"rawBytes": b64(a.logKeyDER), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": map[string]any{"start": start}},
			"logId":         map[string]any{"keyId": b64(a.logID)},
		}},
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": "sigstore test", "commonName": "sigstore-test"},
			"uri":       "https://fulcio.test",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": b64(a.inter.Raw)}, map[string]any{"rawBytes": b64(a.root.Raw)}}},
			"validFor":  map[string]any{"start": start},
		}},
		"ctlogs": []any{map[string]any{
			"baseUrl":       "https://ctfe.test",
			"hashAlgorithm": "SHA2_256",
			"publicKey":     map[string]any{"rawBytes": b64(a.ctKeyDER), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": map[string]any{"start": start}},
			"logId":         map[string]any{"keyId": b64(a.ctLogID)},
		}},
		"timestampAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": "sigstore test", "commonName": "tsa-test"},
			"uri":       "https://tsa.test",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": b64(a.tsaLeaf.Raw)}, map[string]any{"rawBytes": b64(a.tsaRoot.Raw)}}},
			"validFor":  map[string]any{"start": start},
		}},
	}, "", "  ")
}

// SignOptions vary a signature, for tests of what verification refuses.
type SignOptions struct {
	// LoggedAt is when the log integrated the entry; default the
	// certificate's issue time plus a minute.
	LoggedAt time.Time
	// TamperSET corrupts the log's signed entry timestamp.
	TamperSET bool
	// NoBundle leaves the log's bundle out, as a signature never logged.
	NoBundle bool
	// NoSCT leaves the certificate without an SCT, as one a CA issued
	// without logging it; TamperSCT corrupts the SCT's signature.
	NoSCT, TamperSCT bool
	// Timestamp adds the TSA's RFC 3161 timestamp of the signature, as
	// `cosign sign --timestamp-server-url` does, dated TimestampedAt
	// (default: the certificate's issue time plus a minute);
	// TamperTimestamp makes it a timestamp of other bytes.
	Timestamp       bool
	TimestampedAt   time.Time
	TamperTimestamp bool
	// ValidFor is how long the certificate is valid; default ten minutes,
	// as Fulcio's.
	ValidFor time.Duration
}

// Sign signs image d for an OIDC identity (an e-mail address or a URI, such
// as a CI workflow's) issued by issuer, with a certificate issued at
// issuedAt and valid ten minutes, as Fulcio's.
func (a *Authority) Sign(d name.Digest, subject, issuer string, issuedAt time.Time, o SignOptions) (oci.Signature, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	issuerV2, err := asn1.Marshal(issuer)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    issuedAt,
		NotAfter:     issuedAt.Add(cmp.Or(o.ValidFor, 10*time.Minute)),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(issuer)},
			{Id: oidIssuerV2, Value: issuerV2},
		},
	}
	if strings.Contains(subject, "@") && !strings.Contains(subject, "://") {
		leaf.EmailAddresses = []string{subject}
	} else {
		u, err := url.Parse(subject)
		if err != nil {
			return nil, fmt.Errorf("subject %q: %w", subject, err)
		}
		leaf.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, a.inter, key.Public(), a.interKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if !o.NoSCT {
		// The certificate as issued is the precertificate's TBS with the
		// SCT list added as its last extension, as Fulcio issues it.
		ext, err := a.sctList(cert.RawTBSCertificate, issuedAt, o.TamperSCT)
		if err != nil {
			return nil, err
		}
		leaf.ExtraExtensions = append(leaf.ExtraExtensions, ext)
		if der, err = x509.CreateCertificate(rand.Reader, leaf, a.inter, key.Public(), a.interKey); err != nil {
			return nil, err
		}
		if cert, err = x509.ParseCertificate(der); err != nil {
			return nil, err
		}
	}
	certPEM, err := cryptoutils.MarshalCertificateToPEM(cert)
	if err != nil {
		return nil, err
	}

	p, err := (&payload.Cosign{Image: d}).MarshalJSON()
	if err != nil {
		return nil, err
	}
	signer, err := signature.LoadECDSASigner(key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	raw, err := signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		return nil, err
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	opts := []static.Option{static.WithCertChain(certPEM, a.ChainPEM)}
	if o.Timestamp {
		at := o.TimestampedAt
		if at.IsZero() {
			at = issuedAt.Add(time.Minute)
		}
		tsr, err := a.timestamp(raw, at, o.TamperTimestamp)
		if err != nil {
			return nil, err
		}
		opts = append(opts, static.WithRFC3161Timestamp(&cbundle.RFC3161Timestamp{SignedRFC3161Timestamp: tsr}))
	}
	if !o.NoBundle {
		at := o.LoggedAt
		if at.IsZero() {
			at = issuedAt.Add(time.Minute)
		}
		b, err := a.bundle(p, b64, certPEM, at, o.TamperSET)
		if err != nil {
			return nil, err
		}
		opts = append(opts, static.WithBundle(b))
	}
	return static.NewSignature(p, b64, opts...)
}

// oidSCTList is the X.509 extension embedding SCTs (RFC 6962, 3.3).
var oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// sctList has the CT log sign, at at, a timestamp for the precertificate
// whose TBSCertificate is tbs, issued by the intermediate, and returns the
// extension embedding it.
func (a *Authority) sctList(tbs []byte, at time.Time, tamper bool) (pkix.Extension, error) {
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, Timestamp: uint64(at.UnixMilli())}
	copy(sct.LogID.KeyID[:], a.ctLogID)
	entry := ct.LogEntry{Leaf: ct.MerkleTreeLeaf{
		Version: ct.V1, LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			Timestamp: sct.Timestamp, EntryType: ct.PrecertLogEntryType,
			PrecertEntry: &ct.PreCert{IssuerKeyHash: sha256.Sum256(a.inter.RawSubjectPublicKeyInfo), TBSCertificate: tbs},
		},
	}}
	input, err := ct.SerializeSCTSignatureInput(sct, entry)
	if err != nil {
		return pkix.Extension{}, err
	}
	h := sha256.Sum256(input)
	sig, err := ecdsa.SignASN1(rand.Reader, a.ctKey, h[:])
	if err != nil {
		return pkix.Extension{}, err
	}
	if tamper {
		h[0] ^= 0xff
		if sig, err = ecdsa.SignASN1(rand.Reader, a.ctKey, h[:]); err != nil {
			return pkix.Extension{}, err
		}
	}
	sct.Signature = ct.DigitallySigned{
		Algorithm: cttls.SignatureAndHashAlgorithm{Hash: cttls.SHA256, Signature: cttls.ECDSA},
		Signature: sig,
	}
	raw, err := cttls.Marshal(sct)
	if err != nil {
		return pkix.Extension{}, err
	}
	list, err := cttls.Marshal(ctx509.SignedCertificateTimestampList{SCTList: []ctx509.SerializedSCT{{Val: raw}}})
	if err != nil {
		return pkix.Extension{}, err
	}
	value, err := asn1.Marshal(list)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidSCTList, Value: value}, nil
}

// bundle enters a hashedrekord entry for the signature into the log, at
// at, and returns its inclusion bundle.
func (a *Authority) bundle(p []byte, b64sig string, certPEM []byte, at time.Time, tamper bool) (*cbundle.RekorBundle, error) {
	sum := sha256.Sum256(p)
	entry := map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(sum[:])}},
			"signature": map[string]any{
				"content":   b64sig,
				"publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(certPEM)},
			},
		},
	}
	body, err := json.Marshal(entry)
	if err != nil {
		return nil, err
	}
	rp := cbundle.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: at.Unix(),
		LogIndex:       a.logIndex.Add(1),
		LogID:          hex.EncodeToString(a.logID),
	}
	contents, err := json.Marshal(rp)
	if err != nil {
		return nil, err
	}
	canonical, err := jsoncanonicalizer.Transform(contents)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(canonical)
	set, err := ecdsa.SignASN1(rand.Reader, a.logKey, h[:])
	if err != nil {
		return nil, err
	}
	if tamper {
		set[len(set)-1] ^= 0xff
	}
	return &cbundle.RekorBundle{SignedEntryTimestamp: set, Payload: rp}, nil
}

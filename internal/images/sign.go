package images

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// GenerateKey makes a cosign key pair (ECDSA P-256, as `cosign
// generate-key-pair`): a signer and the public key in PEM, as platform
// keys are written.
func GenerateKey() (signature.SignerVerifier, []byte, error) {
	priv, err := cosign.GeneratePrivateKey()
	if err != nil {
		return nil, nil, err
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, nil, err
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return sv, pub, nil
}

// NewSignature signs digest d with s as `cosign sign --key` does, with no
// transparency log: a simple-signing payload (payload.Cosign) claiming d,
// signed, as a static oci.Signature. Annotations go into the payload's
// optional section.
func NewSignature(d name.Digest, s signature.Signer, annotations map[string]any) (oci.Signature, error) {
	p, err := (&payload.Cosign{Image: d, Annotations: annotations}).MarshalJSON()
	if err != nil {
		return nil, err
	}
	raw, err := s.SignMessage(bytes.NewReader(p))
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", d, err)
	}
	return static.NewSignature(p, base64.StdEncoding.EncodeToString(raw))
}

// SignRemote signs d with s and attaches the signature in d's registry under
// the cosign tag "sha256-<hex>.sig", next to any signatures already there.
// Options supply credentials and transport (remote.WithAuthFromKeychain…).
func SignRemote(ctx context.Context, d name.Digest, s signature.Signer, opts ...remote.Option) error {
	sig, err := NewSignature(d, s, nil)
	if err != nil {
		return err
	}
	ro := []ociremote.Option{ociremote.WithRemoteOptions(append(opts, remote.WithContext(ctx))...)}
	se, err := mutate.AttachSignatureToEntity(ociremote.SignedUnknown(d, ro...), sig)
	if err != nil {
		return err
	}
	return ociremote.WriteSignatures(d.Repository, se, ro...)
}

// MirrorWriter adds images and signatures to the OCI image layout that
// mirrors one registry host (see the package documentation for the
// convention).
type MirrorWriter struct {
	host string
	dir  string
	path layout.Path
}

// OpenMirror opens the layout at dir mirroring host, creating an empty one
// if dir holds none.
func OpenMirror(dir, host string) (*MirrorWriter, error) {
	host = mirrorHost(host)
	var p layout.Path
	var err error
	if _, serr := os.Stat(filepath.Join(dir, "index.json")); serr == nil {
		p, err = layout.FromPath(dir)
	} else if errors.Is(serr, os.ErrNotExist) {
		p, err = layout.Write(dir, empty.Index)
	} else {
		err = serr
	}
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", dir, err)
	}
	return &MirrorWriter{host: host, dir: dir, path: p}, nil
}

// WriteImage stores img under ref ("host/repo:tag", host being the
// mirror's), replacing what the tag named before, and returns its digest
// reference.
func (m *MirrorWriter) WriteImage(ref string, img v1.Image) (name.Digest, error) {
	t, err := m.tag(ref)
	if err != nil {
		return name.Digest{}, err
	}
	h, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	refName := t.RepositoryStr() + ":" + t.TagStr()
	if err := m.path.ReplaceImage(img, match.Annotation(RefNameAnnotation, refName),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: refName})); err != nil {
		return name.Digest{}, err
	}
	return t.Context().Digest(h.String()), nil
}

// WriteIndex is WriteImage for a multi-platform image index.
func (m *MirrorWriter) WriteIndex(ref string, idx v1.ImageIndex) (name.Digest, error) {
	t, err := m.tag(ref)
	if err != nil {
		return name.Digest{}, err
	}
	h, err := idx.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	refName := t.RepositoryStr() + ":" + t.TagStr()
	if err := m.path.ReplaceIndex(idx, match.Annotation(RefNameAnnotation, refName),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: refName})); err != nil {
		return name.Digest{}, err
	}
	return t.Context().Digest(h.String()), nil
}

// Sign signs d with s and attaches the signature.
func (m *MirrorWriter) Sign(d name.Digest, s signature.Signer) error {
	sig, err := NewSignature(d, s, nil)
	if err != nil {
		return err
	}
	return m.Attach(d, sig)
}

// Attach stores sigs under d's cosign signature tag
// "<repo>:sha256-<hex>.sig", after any signatures already there.
func (m *MirrorWriter) Attach(d name.Digest, sigs ...oci.Signature) error {
	if d.RegistryStr() != m.host {
		return fmt.Errorf("%s is not in the mirror of %s", d, m.host)
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return err
	}
	sigTag := d.Context().Tag(h.Algorithm + "-" + h.Hex + ".sig")
	// Read what is there through the mirror's own read side.
	existing, err := ociremote.Signatures(sigTag, ociremote.WithRemoteOptions(
		remote.WithTransport(newMirror(m.host, m.dir)), remote.WithAuth(authn.Anonymous)))
	if err != nil {
		return err
	}
	all, err := mutate.AppendSignatures(existing, false, sigs...)
	if err != nil {
		return err
	}
	refName := sigTag.RepositoryStr() + ":" + sigTag.TagStr()
	return m.path.ReplaceImage(all, match.Annotation(RefNameAnnotation, refName),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: refName}))
}

func (m *MirrorWriter) tag(ref string) (name.Tag, error) {
	t, err := name.NewTag(ref)
	if err != nil {
		return name.Tag{}, err
	}
	if t.RegistryStr() != m.host {
		return name.Tag{}, fmt.Errorf("%s is not in the mirror of %s", ref, m.host)
	}
	return t, nil
}

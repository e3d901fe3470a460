package envrepo

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/palisade-gitops/palisade/internal/gittest"
)

// pgpKey is an Ed25519 OpenPGP key made at born, and its armored public
// half.
func pgpKey(t *testing.T, name string, born time.Time) (*openpgp.Entity, string) {
	t.Helper()
	e, _, pub, err := gittest.PGPKey(name, born, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	return e, string(pub)
}

func TestSignedPublish(t *testing.T) {
	render, renderPub := pgpKey(t, "render", when.Add(-time.Hour))
	_, otherPub := pgpKey(t, "other", when.Add(-time.Hour))
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	c := chg(tenantFiles(2, -1, 0), "render: signed")
	c.Sign = OpenPGPSigner(render)
	out, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) { return c, nil })
	if err != nil {
		t.Fatal(err)
	}
	// git reads the commit go-git wrote, signature included.
	if raw := run(t, dir, "cat-file", "commit", out.Commit.String()); !strings.Contains(raw, "\ngpgsig -----BEGIN PGP SIGNATURE-----\n") {
		t.Fatalf("no gpgsig header:\n%s", raw)
	}
	snap := must[*Snapshot](t)(r.Snapshot())
	if got := snap.VerifySignature(renderPub); got.KeyID != fmt.Sprintf("%016X", render.PrimaryKey.KeyId) || got.Problem != "" || !got.Signed {
		t.Errorf("with its key: %+v, want key %s", got, fmt.Sprintf("%016X", render.PrimaryKey.KeyId))
	}
	if got := snap.VerifySignature(otherPub); got.KeyID != "" || got.Problem != "another key signed the commit, not the commit key" {
		t.Errorf("with another key: %+v", got)
	}
	if got := snap.VerifySignature(otherPub + renderPub); got.KeyID != fmt.Sprintf("%016X", render.PrimaryKey.KeyId) {
		t.Errorf("with a keyring holding it: %+v", got)
	}

	// Unsigned.
	c2 := chg(tenantFiles(2, 0, 1), "render: unsigned")
	if _, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) { return c2, nil }); err != nil {
		t.Fatal(err)
	}
	snap = must[*Snapshot](t)(r.Snapshot())
	if got := snap.VerifySignature(renderPub); got.Signed || got.Problem != "the commit is not signed" {
		t.Errorf("unsigned: %+v", got)
	}
}

// A commit dated before its key existed is signed at the key's birth: no
// verifier accepts an older signature.
func TestSignatureNotOlderThanItsKey(t *testing.T) {
	born := when.Add(24 * time.Hour)
	key, pub := pgpKey(t, "render", born)
	sign := OpenPGPSigner(key)
	for _, at := range []time.Time{when, born.Add(time.Hour)} {
		armored, err := sign([]byte("tree 0\n"), at)
		if err != nil {
			t.Fatal(err)
		}
		ring, _ := openpgp.ReadArmoredKeyRing(strings.NewReader(pub))
		block, err := armor.Decode(strings.NewReader(armored))
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := openpgp.VerifyDetachedSignature(ring, strings.NewReader("tree 0\n"), block.Body, &packet.Config{Time: func() time.Time { return born.Add(48 * time.Hour) }})
		if err != nil {
			t.Fatalf("at %s: %v", at, err)
		}
		want := at
		if at.Before(born) {
			want = born
		}
		if !s.CreationTime.Equal(want) {
			t.Errorf("signed at %s for a commit at %s, want %s", s.CreationTime, at, want)
		}
	}
}

// A key that has expired since still made a valid signature when it
// signed: verification judges the signature as of its making, not by the
// clock.
func TestSignatureOfAnExpiredKey(t *testing.T) {
	key, _, pub, err := gittest.PGPKey("render", when.Add(-time.Hour), 48*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "env")
	r := must[*Repo](t)(Open(ctx(t), dir, Options{}))
	c := chg(tenantFiles(1, -1, 0), "render: signed, the key expires two days later")
	c.Sign = OpenPGPSigner(key)
	if _, err := r.Publish(ctx(t), func(*Snapshot) (Change, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	snap := must[*Snapshot](t)(r.Snapshot())
	if got := snap.VerifySignature(string(pub)); got.KeyID == "" {
		t.Errorf("a signature made while the key was valid: %+v", got)
	}
	// Past its lifetime, the key signs no more.
	if _, err := OpenPGPSigner(key)([]byte("tree 0\n"), when.Add(72*time.Hour)); err == nil {
		t.Error("an expired key signed")
	}
}

package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// A key that cannot sign at the render's instant is refused before the
// render, not at its commit.
func TestCommitSignerRefusesExpiredKey(t *testing.T) {
	born := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return born }, KeyLifetimeSecs: 30 * 86400}
	key, err := openpgp.NewEntity("render", "", "render@example.test", cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &estate.Estate{}
	if _, err := commitSigner(e, key, "render.asc", born.Add(24*time.Hour)); err != nil {
		t.Fatalf("within its lifetime: %v", err)
	}
	_, err = commitSigner(e, key, "render.asc", born.Add(60*24*time.Hour))
	if err == nil || !strings.HasPrefix(err.Error(), "--commit-key render.asc cannot sign at 2026-03-02T00:00:00Z (expired, revoked, or no signing key?): ") {
		t.Fatalf("expired: %v", err)
	}
}

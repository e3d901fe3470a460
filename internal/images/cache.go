package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// diskCache is the on-disk verification cache. Every method is best-effort:
// a read that fails or finds a corrupt entry is a miss, a write that fails is
// dropped. A nil *diskCache caches nothing.
//
//	<dir>/v1/sig/<algorithm>-<hex>/<key fingerprint>.json  positive verifications
//	<dir>/v1/tag/<sha256 of the reference>.json            tag resolutions
type diskCache struct {
	dir string
}

type sigEntry struct {
	Digest   string `json:"digest"`
	Key      string `json:"key"`
	Verified bool   `json:"verified"`
	// Identity is, for a keyless signer, who signed: kept so that a
	// cached verification carries the same evidence as a looked-up one.
	Identity *Identity `json:"identity,omitempty"`
}

type tagEntry struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
}

func (c *diskCache) sigPath(h v1.Hash, fp string) string {
	return filepath.Join(c.dir, "v1", "sig", h.Algorithm+"-"+h.Hex, fp+".json")
}

func (c *diskCache) tagPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.dir, "v1", "tag", hex.EncodeToString(sum[:])+".json")
}

// positive reports whether a signature by the key with fingerprint fp was
// verified for h before, and for a keyless signer by whom.
func (c *diskCache) positive(h v1.Hash, fp string) (bool, *Identity) {
	if c == nil {
		return false, nil
	}
	var e sigEntry
	if !readJSON(c.sigPath(h, fp), &e) {
		return false, nil
	}
	return e.Verified && e.Digest == h.String() && e.Key == fp, e.Identity
}

func (c *diskCache) putPositive(h v1.Hash, fp string, id *Identity) {
	if c == nil {
		return
	}
	writeJSON(c.sigPath(h, fp), sigEntry{Digest: h.String(), Key: fp, Verified: true, Identity: id})
}

// tag returns the digest ref (a canonical tag reference) last resolved to.
func (c *diskCache) tag(ref string) (v1.Hash, bool) {
	if c == nil {
		return v1.Hash{}, false
	}
	var e tagEntry
	if !readJSON(c.tagPath(ref), &e) || e.Ref != ref {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash(e.Digest)
	if err != nil {
		return v1.Hash{}, false
	}
	return h, true
}

func (c *diskCache) putTag(ref string, h v1.Hash) {
	if c == nil {
		return
	}
	writeJSON(c.tagPath(ref), tagEntry{Ref: ref, Digest: h.String()})
}

func readJSON(path string, v any) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// writeJSON writes atomically: a temporary file in the same directory,
// renamed over the target, so a reader never sees half an entry.
func writeJSON(path string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}

package images_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/images"
)

// key is a freshly generated cosign key pair.
type key struct {
	sv  signature.SignerVerifier
	pub []byte
}

func newKey(t testing.TB) key {
	t.Helper()
	sv, pub, err := images.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return key{sv: sv, pub: pub}
}

// reg is go-containerregistry's in-process registry behind a real HTTP
// server, with optional middleware.
type reg struct {
	srv  *httptest.Server
	host string
	// inflight and maxInflight count concurrent requests.
	inflight, maxInflight atomic.Int64
	requests              atomic.Int64
}

type middleware func(http.Handler) http.Handler

func newReg(t testing.TB, mws ...middleware) *reg {
	t.Helper()
	r := &reg{}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	for _, mw := range mws {
		h = mw(h)
	}
	counted := h
	h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		n := r.inflight.Add(1)
		defer r.inflight.Add(-1)
		for {
			m := r.maxInflight.Load()
			if n <= m || r.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		counted.ServeHTTP(w, req)
	})
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

// basicAuth requires user/password on every request, as a registry with
// htpasswd does.
func basicAuth(user, password string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// push writes a random image to ref and returns its digest reference.
func push(t testing.TB, ref string, opts ...remote.Option) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return pushImage(t, ref, img, opts...)
}

func pushImage(t testing.TB, ref string, img v1.Image, opts ...remote.Option) name.Digest {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(h.String())
}

func sign(t testing.TB, d name.Digest, k key, opts ...remote.Option) {
	t.Helper()
	if err := images.SignRemote(context.Background(), d, k.sv, opts...); err != nil {
		t.Fatal(err)
	}
}

// anonymous is a keychain with no credentials, so tests never read the
// developer's docker configuration.
var anonymous = authn.NewMultiKeychain()

func verifier(t testing.TB, keys map[string]key, opts images.Options) *images.Verifier {
	t.Helper()
	pems := map[string][]byte{}
	for n, k := range keys {
		pems[n] = k.pub
	}
	if opts.Keychain == nil {
		opts.Keychain = anonymous
	}
	if opts.CacheDir == "" {
		opts.NoCache = true
	}
	v, err := images.New(pems, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func verify(t testing.TB, v *images.Verifier, reqs ...images.Request) ([]images.Result, error) {
	t.Helper()
	return v.Verify(context.Background(), reqs)
}

// noNetwork is a transport that fails the test if anything reaches it.
type noNetwork struct {
	t  testing.TB
	mu sync.Mutex
	n  int
}

func (n *noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.mu.Lock()
	n.n++
	n.mu.Unlock()
	n.t.Errorf("network request %s %s, want none", r.Method, r.URL.Redacted())
	return nil, errors.New("no network in this test")
}

func mustDigest(t testing.TB, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

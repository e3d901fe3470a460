package images

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kind says why an image is not verified. The zero Kind means it is.
type Kind string

// Kinds of per-image findings: the image itself is the problem, the registry
// answered, and policy decides (an unverified image is denied, exit 1).
const (
	// KindMalformed: the reference does not parse.
	KindMalformed Kind = "malformed-reference"
	// KindNotFound: the tag (or repository) does not exist in the registry.
	KindNotFound Kind = "not-found"
	// KindPinMismatch: the reference carries both a tag and a digest and the
	// tag points elsewhere now.
	KindPinMismatch Kind = "pin-mismatch"
	// KindUnsigned: no signature exists for the digest.
	KindUnsigned Kind = "unsigned"
	// KindUntrusted: signatures exist, but none verifies with a trusted key.
	KindUntrusted Kind = "untrusted"
	// KindClaimMismatch: a signature by a trusted key exists but its payload
	// names another digest, as when a .sig manifest is copied from another
	// image.
	KindClaimMismatch Kind = "claim-mismatch"
)

// Kinds of outside failures: the facts could not be established at all. The
// CLI exits 3 on them rather than letting policy judge an image nobody could
// look at.
const (
	// KindUnreachable: connection refused, DNS failure, timeout, TLS
	// failure, a 5xx or 429 answer, or an unreadable mirror.
	KindUnreachable Kind = "unreachable"
	// KindDenied: the registry answered 401 or 403. The registry could not
	// be read, so this is an outside failure too: the fix is credentials,
	// not a new signature.
	KindDenied Kind = "access-denied"
	// KindOffline: Options.Offline is set and neither a mirror nor the cache
	// can answer.
	KindOffline Kind = "offline"
)

// Outside reports whether k is an outside failure (exit 3) rather than a
// finding about the image (policy, exit 1).
func (k Kind) Outside() bool {
	switch k {
	case KindUnreachable, KindDenied, KindOffline:
		return true
	}
	return false
}

// Failure is one outside failure.
type Failure struct {
	Ref    string
	Kind   Kind
	Reason string
}

// UnreachableError is returned by Verify, alongside complete results, when
// at least one image could not be looked at: a registry or mirror could not
// be read (network, DNS, timeout, 5xx, 401/403) or Offline mode had no
// answer. Detect it with IsUnreachable. Its message never carries
// credentials.
type UnreachableError struct {
	// Failures lists one entry per distinct reason, sorted.
	Failures []Failure
}

func (e *UnreachableError) Error() string {
	reasons := make([]string, 0, len(e.Failures))
	for _, f := range e.Failures {
		reasons = append(reasons, f.Reason)
	}
	if len(reasons) == 1 {
		return "images could not be verified: " + reasons[0]
	}
	return fmt.Sprintf("images could not be verified (%d problems): %s", len(reasons), strings.Join(reasons, "; "))
}

// IsUnreachable reports whether err (or an error it wraps) is an
// *UnreachableError: the CLI's exit 3.
func IsUnreachable(err error) bool {
	var ue *UnreachableError
	return errors.As(err, &ue)
}

// errOffline is what the routing transport answers for a network request in
// Offline mode; it is a safety net, the verifier does not issue such
// requests.
var errOffline = errors.New("offline: network access disabled")

// mirrorError is a mirror layout that cannot be read.
type mirrorError struct {
	host, dir string
	err       error
}

func (e *mirrorError) Error() string {
	return fmt.Sprintf("mirror of %s at %s cannot be read: %v", e.host, e.dir, e.err)
}

// outcome is a classified failure.
type outcome struct {
	kind   Kind
	reason string
	// network marks failures below HTTP (refused, DNS, timeout): the whole
	// registry is considered down for the rest of the run.
	network bool
}

// classify turns an error of a registry operation on host into a Kind and a
// sentence. notFound is the sentence used for a 404.
func classify(err error, host, notFound string) outcome {
	var me *mirrorError
	if errors.As(err, &me) {
		return outcome{kind: KindUnreachable, reason: me.Error(), network: true}
	}
	if errors.Is(err, errOffline) {
		return outcome{kind: KindOffline, reason: fmt.Sprintf("offline: registry %s may not be contacted", host)}
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return classifyStatus(te, host, notFound)
	}
	un := func(what string) outcome {
		return outcome{kind: KindUnreachable, reason: fmt.Sprintf("registry %s unreachable: %s", host, what), network: true}
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return un("timed out")
	case errors.Is(err, context.Canceled):
		return un("cancelled")
	case errors.As(err, &dnsErr):
		return un("cannot resolve host " + dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return un("connection refused")
	case errors.Is(err, syscall.ECONNRESET):
		return un("connection reset")
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return un("no route to host")
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return un("TLS certificate not trusted")
	case errors.As(err, &recordErr):
		return un("TLS handshake failed (does it speak plain HTTP?)")
	case errors.As(err, &netErr) && netErr.Timeout():
		return un("timed out")
	case errors.As(err, &netErr):
		return un(lastCause(err))
	}
	// Something else went wrong talking to the registry (a malformed
	// answer, say): the image could not be looked at, but the registry is
	// not known to be down.
	return outcome{kind: KindUnreachable, reason: fmt.Sprintf("registry %s could not be read: %s", host, lastCause(err))}
}

// classifyStatus handles an HTTP answer from a registry.
func classifyStatus(te *transport.Error, host, notFound string) outcome {
	status := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	codes := map[transport.ErrorCode]bool{}
	for _, d := range te.Errors {
		codes[d.Code] = true
	}
	switch {
	case te.StatusCode == http.StatusNotFound, codes[transport.ManifestUnknownErrorCode], codes[transport.NameUnknownErrorCode]:
		return outcome{kind: KindNotFound, reason: notFound}
	case te.StatusCode == http.StatusUnauthorized, te.StatusCode == http.StatusForbidden,
		codes[transport.UnauthorizedErrorCode], codes[transport.DeniedErrorCode]:
		return outcome{kind: KindDenied, reason: fmt.Sprintf(
			"registry %s denied access (%s): check the credentials configured for %s (docker login / DOCKER_CONFIG)", host, status, host)}
	case te.StatusCode == http.StatusTooManyRequests, te.StatusCode == http.StatusRequestTimeout, te.StatusCode >= 500:
		return outcome{kind: KindUnreachable, reason: fmt.Sprintf("registry %s unavailable: %s", host, status)}
	}
	return outcome{kind: KindUnreachable, reason: fmt.Sprintf("registry %s could not be read: unexpected answer %s", host, status)}
}

// lastCause is the innermost message of err's chain, which is the short
// cause of network errors ("connection refused", "i/o timeout").
func lastCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// userinfoRE matches the user-info part of a URL.
var userinfoRE = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@`)

// headerRE and schemeRE match HTTP authorization material.
var (
	headerRE = regexp.MustCompile(`(?i)(authorization:\s*)(?:(?:basic|bearer|token)\s+)?[^\s,;"]+`)
	schemeRE = regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}`)
)

// redactor strips credentials from messages: URL user-info, authorization
// material, and every secret the keychain holds for a registry this
// verifier touched.
type redactor struct {
	mu      sync.Mutex
	secrets []string // longest first
}

func (r *redactor) add(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range s {
		if len(x) >= 3 {
			r.secrets = append(r.secrets, x)
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) clean(msg string) string {
	msg = userinfoRE.ReplaceAllString(msg, "$1")
	msg = headerRE.ReplaceAllString(msg, "${1}[redacted]")
	msg = schemeRE.ReplaceAllString(msg, "$1 [redacted]")
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		msg = strings.ReplaceAll(msg, s, "[redacted]")
	}
	return msg
}

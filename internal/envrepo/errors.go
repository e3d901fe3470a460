package envrepo

import (
	"errors"
	"fmt"
	"strings"
)

// ErrRejected says the remote (or, for a local repository, the branch
// reference) kept moving: every attempt was built on a tip that another
// writer replaced before the update landed. It is wrapped in a
// *RemoteError whose Op is "push" (or "commit" for a local repository).
var ErrRejected = errors.New("update rejected: the branch moved on every attempt")

// RemoteError is a failure outside Palisade's control: the remote is
// unreachable, refused the credentials, rejected the push on every attempt,
// or (for a local repository) other writers kept moving the branch. The
// CLI maps it to exit status 3. URL never carries credentials, and Error
// scrubs any secret of the configured authentication from the message.
type RemoteError struct {
	// Op is what failed: "fetch", "push" or "commit".
	Op string
	// URL is the remote without credentials; empty for a local repository.
	URL string
	// Attempts is the number of attempts made, for rejections.
	Attempts int
	// Err is the underlying error: errors.Is works with ErrRejected,
	// transport.ErrAuthenticationRequired, transport.ErrAuthorizationFailed,
	// transport.ErrRepositoryNotFound, context errors and the like.
	Err error

	secrets []string
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	b.WriteString("envrepo: ")
	b.WriteString(e.Op)
	if e.URL != "" {
		b.WriteString(" ")
		b.WriteString(e.URL)
	}
	b.WriteString(": ")
	b.WriteString(scrub(e.Err.Error(), e.secrets))
	return b.String()
}

func (e *RemoteError) Unwrap() error { return e.Err }

// UsageError is a problem with what Palisade was asked to do: a malformed
// URL, a path that is a file or a directory that is not a repository, a
// work directory holding another remote's clone, invalid options, or
// files outside the owned prefixes.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return "envrepo: " + e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// DirtyError says the work tree of a local environment repository has
// changes in paths Palisade owns: modified, deleted or untracked files, or
// staged changes. Nothing was committed; the user has to commit, stash or
// discard them first.
type DirtyError struct {
	// Dir is the work tree.
	Dir string
	// Paths are the changed paths (slash-separated, relative to Dir),
	// sorted; at most a few dozen are listed.
	Paths []string
	// More counts further changed paths not listed.
	More int
}

func (e *DirtyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "envrepo: %s has local changes in paths Palisade owns; commit, stash or discard them first:", e.Dir)
	for _, p := range e.Paths {
		b.WriteString("\n\t")
		b.WriteString(p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n\t… and %d more", e.More)
	}
	return b.String()
}

// IsOutside reports whether err is a failure outside Palisade's control
// (a *RemoteError), which the CLI maps to exit status 3.
func IsOutside(err error) bool {
	var re *RemoteError
	return errors.As(err, &re)
}

// scrub replaces every secret in msg.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return stripUserinfo(msg)
}

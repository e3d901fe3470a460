package envrepo

import (
	"net/url"
	"regexp"
	"strings"
)

// location is where an environment repository lives.
type location struct {
	remote bool
	// clean is the URL without credentials (for remotes) or the path.
	clean string
	// user and password come from the URL's userinfo (http and https).
	user, password string
	hasPassword    bool
	// ssh says the transport is ssh (ssh:// or scp-like).
	ssh bool
}

var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@`)

// stripUserinfo removes the userinfo of any URL inside free text.
func stripUserinfo(s string) string {
	return userinfoRE.ReplaceAllString(s, "$1")
}

// isSCPLike follows git's rule: a colon before the first slash, and the
// string not an absolute or explicitly relative path.
func isSCPLike(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return false
	}
	colon := strings.Index(s, ":")
	if colon <= 0 {
		return false
	}
	slash := strings.Index(s, "/")
	return slash < 0 || colon < slash
}

// parseLocation tells a local path from a remote URL.
func parseLocation(s string) (location, error) {
	if s == "" {
		return location{}, usagef("no environment repository given")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return location{}, usagef("invalid repository URL %q", stripUserinfo(s))
		}
		l := location{remote: true}
		switch u.Scheme {
		case "http", "https":
			if u.Host == "" {
				return location{}, usagef("invalid repository URL %q: no host", stripUserinfo(s))
			}
			if u.User != nil {
				l.user = u.User.Username()
				l.password, l.hasPassword = u.User.Password()
			}
			u.User = nil
		case "ssh":
			if u.Host == "" {
				return location{}, usagef("invalid repository URL %q: no host", stripUserinfo(s))
			}
			l.ssh = true
			if u.User != nil {
				l.user = u.User.Username()
				u.User = url.User(l.user) // an ssh user name is no secret; a password is dropped
			}
		case "file":
			if u.Path == "" {
				return location{}, usagef("invalid repository URL %q: no path", s)
			}
			u.User = nil
		default:
			return location{}, usagef("unsupported repository URL scheme %q (use https, http, ssh, file, user@host:path or a local path)", u.Scheme)
		}
		l.clean = u.String()
		return l, nil
	}
	if isSCPLike(s) {
		l := location{remote: true, ssh: true, clean: s}
		if at := strings.Index(s, "@"); at >= 0 && at < strings.Index(s, ":") {
			l.user = s[:at]
		}
		if strings.HasSuffix(s, ":") {
			return location{}, usagef("invalid repository URL %q: no path", s)
		}
		return l, nil
	}
	return location{clean: s}, nil
}

// CleanURL returns a repository URL without credentials, for messages and
// logs. Local paths come back unchanged.
func CleanURL(s string) string {
	l, err := parseLocation(s)
	if err != nil {
		return stripUserinfo(s)
	}
	return l.clean
}

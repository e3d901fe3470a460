package envrepo

import (
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Environment variables AuthFromEnv reads.
const (
	EnvToken         = "PALISADE_GIT_TOKEN"
	EnvUsername      = "PALISADE_GIT_USERNAME"
	EnvPassword      = "PALISADE_GIT_PASSWORD"
	EnvSSHKey        = "PALISADE_GIT_SSH_KEY"
	EnvSSHPassphrase = "PALISADE_GIT_SSH_KEY_PASSPHRASE"
	EnvSSHKnownHosts = "PALISADE_GIT_SSH_KNOWN_HOSTS"
)

// AuthFromEnv chooses the credentials for the repository URL from the
// environment, read through getenv (os.Getenv in the CLI):
//
//   - http(s) URLs: PALISADE_GIT_TOKEN gives HTTP basic auth with the
//     token as password and PALISADE_GIT_USERNAME (default
//     "x-access-token") as user name; otherwise PALISADE_GIT_USERNAME and
//     PALISADE_GIT_PASSWORD give basic auth; otherwise the URL's own
//     userinfo, if any. A user name without a password or token is an
//     error.
//   - ssh URLs (ssh://… and user@host:path): PALISADE_GIT_SSH_KEY names a
//     private key file, decrypted with PALISADE_GIT_SSH_KEY_PASSPHRASE if
//     set; the user is the URL's (default "git"). Host keys are checked
//     against PALISADE_GIT_SSH_KNOWN_HOSTS if set, else against go-git's
//     defaults (SSH_KNOWN_HOSTS, ~/.ssh/known_hosts). Without a key, nil
//     is returned and go-git uses the ssh agent.
//   - file:// URLs and local paths: nil.
//
// Errors never contain a secret.
func AuthFromEnv(url string, getenv func(string) string) (transport.AuthMethod, error) {
	l, err := parseLocation(url)
	if err != nil {
		return nil, err
	}
	if !l.remote || l.clean == "" {
		return nil, nil
	}
	if l.ssh {
		key := getenv(EnvSSHKey)
		if key == "" {
			return nil, nil
		}
		user := l.user
		if user == "" {
			user = "git"
		}
		pk, err := gitssh.NewPublicKeysFromFile(user, key, getenv(EnvSSHPassphrase))
		if err != nil {
			// The error names the file, never the passphrase.
			return nil, usagef("loading the ssh key %s (%s): %v", key, EnvSSHKey, scrub(err.Error(), []string{getenv(EnvSSHPassphrase)}))
		}
		if kh := getenv(EnvSSHKnownHosts); kh != "" {
			cb, err := gitssh.NewKnownHostsCallback(kh)
			if err != nil {
				return nil, usagef("reading known hosts %s (%s): %v", kh, EnvSSHKnownHosts, err)
			}
			pk.HostKeyCallback = cb
		}
		return pk, nil
	}
	if !isHTTP(l.clean) {
		return nil, nil
	}
	user, pass, token := getenv(EnvUsername), getenv(EnvPassword), getenv(EnvToken)
	switch {
	case token != "":
		if user == "" {
			user = "x-access-token"
		}
		return &githttp.BasicAuth{Username: user, Password: token}, nil
	case pass != "":
		if user == "" {
			return nil, usagef("%s is set but %s is not", EnvPassword, EnvUsername)
		}
		return &githttp.BasicAuth{Username: user, Password: pass}, nil
	case user != "":
		return nil, usagef("%s is set but neither %s nor %s is", EnvUsername, EnvPassword, EnvToken)
	case l.user != "" || l.hasPassword:
		return &githttp.BasicAuth{Username: l.user, Password: l.password}, nil
	}
	return nil, nil
}

func isHTTP(u string) bool {
	return len(u) > 7 && (u[:7] == "http://" || (len(u) > 8 && u[:8] == "https://"))
}

// secretsOf lists the strings of an auth method that must never be shown.
func secretsOf(a transport.AuthMethod, l location) []string {
	var s []string
	switch a := a.(type) {
	case *githttp.BasicAuth:
		s = append(s, a.Password)
		if a.Password == "" {
			s = append(s, a.Username) // a token given as the user name
		}
	case *githttp.TokenAuth:
		s = append(s, a.Token)
	}
	if l.hasPassword {
		s = append(s, l.password)
	} else if l.user != "" && !l.ssh {
		s = append(s, l.user)
	}
	return s
}

package envrepo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/sys/unix"

	"github.com/palisade-gitops/palisade/internal/gitstore"
)

// DefaultBranch is the branch used when Options.Branch is empty.
const DefaultBranch = "main"

// DefaultMaxAttempts bounds the publish attempts when
// Options.MaxAttempts is zero.
const DefaultMaxAttempts = 5

// DefaultOwned are the top-level directories Palisade owns in an
// environment repository.
var DefaultOwned = []string{"clusters/", "bases/", ".palisade/"}

// Options configure Open.
type Options struct {
	// Branch is the environment branch; DefaultBranch if empty.
	Branch string
	// WorkDir is where a remote is cloned (bare) and reused by later runs.
	// Empty means <user cache dir>/palisade/envrepo/<name>-<hash of URL>.
	// Ignored for local paths.
	WorkDir string
	// Auth authenticates fetch and push; see AuthFromEnv. nil means the
	// credentials of an http(s) URL's userinfo if any, else none (for ssh:
	// the ssh agent).
	Auth transport.AuthMethod
	// Owned are the directory prefixes whose content Palisade replaces
	// ("clusters/"); everything else in the repository is kept.
	// DefaultOwned if empty.
	Owned []string
	// MaxAttempts bounds how often Publish builds and tries again after
	// another writer moved the branch; DefaultMaxAttempts if zero.
	MaxAttempts int
}

// Repo is an open environment repository.
type Repo struct {
	repo    *git.Repository
	loc     location
	branch  string
	dir     string // the repository or clone directory
	gitDir  string
	wtRoot  string // work tree kept in step with the branch; "" if none
	owned   ownership
	auth    transport.AuthMethod
	secrets []string
	max     int
	fresh   bool // fetched by Open or Fetch and not used by Publish yet

	// hook, for tests, is called at the points a run can be killed; an
	// error stops Publish there as a kill would.
	hook func(stage string) error
}

var branchRE = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._/-]*$`)

// Open opens the environment repository at location: a local path (a
// repository is initialised, non-bare with the branch as default branch,
// when the path does not exist or is an empty directory) or a URL
// (https://, http://, ssh://, file://, user@host:path), which is cloned
// bare into Options.WorkDir or, when a clone is there already, fetched.
// An empty remote, or one without the branch, is fine: the first Publish
// creates the branch.
func Open(ctx context.Context, location string, o Options) (*Repo, error) {
	l, err := parseLocation(location)
	if err != nil {
		return nil, err
	}
	r := &Repo{loc: l, branch: o.Branch, auth: o.Auth, max: o.MaxAttempts}
	if r.branch == "" {
		r.branch = DefaultBranch
	}
	if !branchRE.MatchString(r.branch) || strings.Contains(r.branch, "..") || strings.HasSuffix(r.branch, "/") ||
		strings.HasSuffix(r.branch, ".lock") || strings.Contains(r.branch, "//") || strings.Contains(r.branch, "/.") {
		return nil, usagef("invalid branch name %q", r.branch)
	}
	if r.max <= 0 {
		r.max = DefaultMaxAttempts
	}
	owned := o.Owned
	if len(owned) == 0 {
		owned = DefaultOwned
	}
	if r.owned, err = normaliseOwned(owned); err != nil {
		return nil, err
	}
	if r.auth == nil && !l.ssh && (l.user != "" || l.hasPassword) {
		// Credentials written into an http(s) URL; never stored or shown.
		r.auth = &githttp.BasicAuth{Username: l.user, Password: l.password}
	}
	r.secrets = secretsOf(r.auth, l)
	if l.remote {
		err = r.openRemote(ctx, o.WorkDir)
	} else {
		err = r.openLocal(l.clean)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Repo) branchRef() plumbing.ReferenceName { return plumbing.NewBranchReferenceName(r.branch) }

func (r *Repo) trackingRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName("origin", r.branch)
}

// Dir is the directory of the repository: the local path, or the clone of
// a remote.
func (r *Repo) Dir() string { return r.dir }

// GitDir is the repository's git directory: Dir's .git, or Dir itself for
// a bare repository. Palisade may keep files of its own there (they are
// never committed).
func (r *Repo) GitDir() string {
	if fi, err := os.Stat(filepath.Join(r.dir, ".git")); err == nil && fi.IsDir() {
		return filepath.Join(r.dir, ".git")
	}
	return r.dir
}

// Branch is the environment branch.
func (r *Repo) Branch() string { return r.branch }

// Remote is the remote URL without credentials, "" for a local repository.
func (r *Repo) Remote() string {
	if r.loc.remote {
		return r.loc.clean
	}
	return ""
}

// WorkTree is the work tree Publish keeps in step with the branch: the
// repository directory of a non-bare local repository whose HEAD is the
// branch, else "".
func (r *Repo) WorkTree() string { return r.wtRoot }

// initRepo creates a repository at dir atomically: it is initialised in a
// sibling directory and renamed into place, so a killed run leaves either
// nothing or a complete repository.
func initRepo(dir string, bare bool, branch plumbing.ReferenceName, remoteURL string) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".palisade-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	repo, err := git.PlainInitWithOptions(tmp, &git.PlainInitOptions{Bare: bare, InitOptions: git.InitOptions{DefaultBranch: branch}})
	if err != nil {
		return err
	}
	if remoteURL != "" {
		_, err := repo.CreateRemote(&config.RemoteConfig{
			Name:  "origin",
			URLs:  []string{remoteURL},
			Fetch: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
		})
		if err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	// rename(2), unlike os.Rename, replaces an empty directory.
	if err := unix.Rename(tmp, dir); err != nil {
		// Someone else made it first (or the directory filled up).
		if _, oerr := git.PlainOpen(dir); oerr == nil {
			return nil
		}
		return err
	}
	return nil
}

func isEmptyDir(dir string) bool {
	des, err := os.ReadDir(dir)
	return err == nil && len(des) == 0
}

func (r *Repo) openLocal(p string) error {
	abs, err := filepath.Abs(p)
	if err != nil {
		return usagef("invalid path %q: %v", p, err)
	}
	r.dir = abs
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := initRepo(abs, false, r.branchRef(), ""); err != nil {
			return fmt.Errorf("envrepo: initialising %s: %w", abs, err)
		}
	case err != nil:
		return fmt.Errorf("envrepo: %w", err)
	case !fi.IsDir():
		return usagef("%s is a file, not a repository", abs)
	}
	repo, err := gitstore.Open(abs, &git.PlainOpenOptions{DetectDotGit: false})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if !isEmptyDir(abs) {
			return usagef("%s exists and is not a git repository", abs)
		}
		if err := initRepo(abs, false, r.branchRef(), ""); err != nil {
			return fmt.Errorf("envrepo: initialising %s: %w", abs, err)
		}
		repo, err = gitstore.Open(abs, &git.PlainOpenOptions{DetectDotGit: false})
	}
	if err != nil {
		return fmt.Errorf("envrepo: opening %s: %w", abs, err)
	}
	if err := r.attach(repo); err != nil {
		return err
	}
	if _, err := repo.Worktree(); err == nil {
		head, err := repo.Storer.Reference(plumbing.HEAD)
		if err == nil && head.Type() == plumbing.SymbolicReference && head.Target() == r.branchRef() {
			r.wtRoot = abs
		}
	}
	return nil
}

func (r *Repo) attach(repo *git.Repository) error {
	// A storage over a directory (gitstore's looks for objects again
	// when another process repacked the repository meanwhile).
	st, ok := repo.Storer.(interface{ Filesystem() billy.Filesystem })
	if !ok {
		return fmt.Errorf("envrepo: %s: not a repository on disk", r.dir)
	}
	r.repo, r.gitDir = repo, st.Filesystem().Root()
	return nil
}

// defaultWorkDir is the cache directory for a remote.
func defaultWorkDir(clean string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", usagef("no work directory for the clone given and no user cache directory: %v", err)
	}
	sum := sha256.Sum256([]byte(clean))
	name := strings.TrimSuffix(path.Base(strings.ReplaceAll(clean, ":", "/")), ".git")
	name = regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(name, "_")
	if name == "" || name == "." || name == "_" {
		name = "repo"
	}
	return filepath.Join(base, "palisade", "envrepo", name+"-"+hex.EncodeToString(sum[:6])), nil
}

func (r *Repo) openRemote(ctx context.Context, workDir string) error {
	var err error
	if workDir == "" {
		if workDir, err = defaultWorkDir(r.loc.clean); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return usagef("invalid work directory %q: %v", workDir, err)
	}
	r.dir = abs
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && fi.IsDir() && isEmptyDir(abs)):
		if err := initRepo(abs, true, r.branchRef(), r.loc.clean); err != nil {
			return fmt.Errorf("envrepo: initialising the clone %s: %w", abs, err)
		}
	case err != nil:
		return fmt.Errorf("envrepo: %w", err)
	case !fi.IsDir():
		return usagef("work directory %s is a file", abs)
	}
	repo, err := gitstore.Open(abs, &git.PlainOpenOptions{})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return usagef("work directory %s exists and is not a clone", abs)
	}
	if err != nil {
		return fmt.Errorf("envrepo: opening the clone %s: %w", abs, err)
	}
	if err := r.attach(repo); err != nil {
		return err
	}
	rem, err := repo.Remote("origin")
	switch {
	case errors.Is(err, git.ErrRemoteNotFound):
		if _, err := repo.CreateRemote(&config.RemoteConfig{
			Name: "origin", URLs: []string{r.loc.clean},
			Fetch: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
		}); err != nil {
			return fmt.Errorf("envrepo: configuring the clone %s: %w", abs, err)
		}
	case err != nil:
		return fmt.Errorf("envrepo: reading the clone's remote: %w", err)
	default:
		if urls := rem.Config().URLs; len(urls) == 0 || CleanURL(urls[0]) != r.loc.clean {
			got := ""
			if len(urls) > 0 {
				got = CleanURL(urls[0])
			}
			return usagef("work directory %s holds a clone of %s, not %s", abs, got, r.loc.clean)
		}
	}
	unlock, err := repoLock(ctx, r.gitDir)
	if err != nil {
		return err
	}
	defer unlock()
	return r.fetch(ctx)
}

// Fetch brings the remote branch up to date (a no-op for a local
// repository), for Snapshot. Open fetches; Publish fetches before its
// first build unless nothing used the last fetch yet, and after every
// rejection.
func (r *Repo) Fetch(ctx context.Context) error {
	if !r.loc.remote {
		return nil
	}
	unlock, err := repoLock(ctx, r.gitDir)
	if err != nil {
		return err
	}
	defer unlock()
	return r.fetch(ctx)
}

func (r *Repo) remoteError(op string, err error) error {
	return &RemoteError{Op: op, URL: r.loc.clean, Err: err, secrets: r.secrets}
}

func (r *Repo) fetch(ctx context.Context) error {
	spec := config.RefSpec("+" + r.branchRef().String() + ":" + r.trackingRef().String())
	err := r.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{spec},
		Auth:       r.auth,
		Tags:       git.NoTags,
	})
	var noMatch git.NoMatchingRefSpecError
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
		r.fresh = true
		return nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository) || errors.As(err, &noMatch):
		// The branch does not exist (yet): forget a stale tracking ref.
		if err := r.repo.Storer.RemoveReference(r.trackingRef()); err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return fmt.Errorf("envrepo: %w", err)
		}
		r.fresh = true
		return nil
	}
	return r.remoteError("fetch", err)
}

// tip is the branch tip Publish builds on: the remote's branch as last
// fetched, or the local branch.
func (r *Repo) tip() (plumbing.Hash, error) {
	name := r.branchRef()
	if r.loc.remote {
		name = r.trackingRef()
	}
	ref, err := r.repo.Storer.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("envrepo: reading %s: %w", name, err)
	}
	return ref.Hash(), nil
}

// Snapshot returns the files of the branch tip (for a remote, as last
// fetched).
func (r *Repo) Snapshot() (*Snapshot, error) {
	tip, err := r.tip()
	if err != nil {
		return nil, err
	}
	return newSnapshot(r.repo.Storer, r.branch, tip)
}

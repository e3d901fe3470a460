// Package envrepo commits Palisade's rendered environment tree into the
// environment git repository that Argo CD or Flux apply.
//
// # Model
//
// An environment repository is a branch (default "main") of a local
// repository or of a remote. Open takes a local path (a repository is
// initialised, non-bare so people can look at the files, when the path does
// not exist or is an empty directory) or a URL (https://, http://, ssh://,
// file://, user@host:path), which is cloned bare into a work directory
// (Options.WorkDir, default under the user cache directory) and reused and
// fetched by later runs. An empty remote, or one without the branch, is
// fine: the first Publish creates the branch.
//
// Palisade owns some top-level prefixes of the tree (Options.Owned,
// default "clusters/", "bases/", ".palisade/"). Publish calls the caller's
// build function with a Snapshot of the branch tip — the baseline for
// change detection and freeze hold-back — and gets back the complete
// desired content of the owned prefixes. The new commit's tree is the
// tip's tree with the owned prefixes replaced by exactly that content:
// owned files missing from it are pruned, files outside the owned
// prefixes (a README, docs/) are kept. A tree equal to the tip's gives no
// commit (Outcome.Unchanged), so publishing is idempotent. The commit
// message, with its trailers as last paragraph, and author and committer
// with their times come from the caller; the package never reads the
// clock.
//
// For a remote, Publish fetches before it builds (unless Open or Fetch just
// did) and pushes the commit, sending only the objects that are new
// relative to the tip, so a push costs the same however long the history.
// When another renderer got there first (the push is rejected because the
// remote branch is no longer at the tip the commit was built on) the remote
// is fetched and build is called again with the new tip, so that no update
// is lost; after Options.MaxAttempts (default 5) builds Publish gives up
// with a *RemoteError wrapping ErrRejected and the remote branch holds
// nothing of this run (a rejected pack may leave unreferenced objects on
// the server, which its garbage collection removes). A local repository is committed to the same way, the branch moving
// by compare-and-swap; a branch moved by someone else meanwhile also means
// another build.
//
// # Atomicity and recovery
//
// Nothing is staged through the work tree. Blobs and trees are built in
// memory (only objects the store lacks, reusing unchanged subtrees of the
// tip), with the commit object, and then written into the object store
// together: as one pack when there are at least 100 of them (git's
// transfer.unpackLimit), else as loose objects, each written to a
// temporary file and renamed into place (a pack and its index are
// written under temporary names, synced to disk and renamed into place,
// the index first, so that neither go-git, which lists packs, nor git,
// which lists indexes, finds a pack without its index; a failure removes
// them, and what a killed run left is removed by the next). Then the
// branch moves with git's
// lock-file protocol: refs/heads/<branch>.lock is created exclusively, the
// branch is checked to still be at the tip the commit was built on, and the
// lock file is renamed over the reference. So:
//
//   - a failure before the branch moves (in build, invalid content, a full
//     disk, a rejected push) leaves branch, index and work tree as they
//     were; unreferenced objects of a killed run are harmless;
//   - Palisade runs on the same repository are serialised by an flock on
//     <gitdir>/palisade.lock, which the kernel releases when a process
//     dies; a ref.lock or index.lock file still there after two seconds
//     is taken to be left by a killed run and removed;
//   - for a non-bare local repository whose HEAD is the branch, the work
//     tree and index follow the branch after the commit: only the changed
//     files are written (each beside its place, then renamed), deleted ones
//     removed with directories left empty, and the index rewritten through
//     index.lock. Before anything is built, the owned paths must be clean:
//     modified, deleted or untracked (not ignored) files or staged changes
//     there are a *DirtyError and nothing is committed. Paths outside the
//     owned prefixes may have local changes; they are left alone;
//   - a run killed after moving the branch but before (or while) updating
//     the work tree leaves an index matching an earlier commit of the
//     branch; the next run recognises this and resets the owned paths that
//     differ to the tip, removing half-written temporary files, before it
//     does anything else.
//
// # Object upkeep
//
// After a commit, Publish does what git gc --auto does before it prunes
// anything: more than gc.auto loose objects (git's default 6,700,
// estimated as git does; 0 turns this off) are moved into a new pack, and
// more than gc.autoPackLimit packs (50) are merged into one. Objects are
// deleted only once a pack holding them is in place, and unreachable ones
// are kept, since another process may be about to refer to them; git gc
// prunes them after its grace period. These packs store objects as
// deltas against similar ones (pack.window, git's 10 by default; 0 for
// none): the loose objects of many small commits are mostly the large
// trees above each change, which differ by an entry or two: the 6,650
// loose objects of 350 one-tenant commits into a 1,000-tenant repository,
// 25.4 MB, pack into 1.4 MB in about 8 s (2.7 s without the search), once
// per some 350 such commits. A commit's
// own pack has none, for speed: on a first 1,000-tenant commit the search
// would save 0.4 of 1.1 MB for 0.3 s more; a later merge of the packs
// searches them. A failure here leaves the commit as it is (Outcome.MaintenanceErr). A run
// reading the repository meanwhile (an evidence export, a dry run) finds
// its objects all the same: its storage lists the packs again when an
// object is missing from those it knew (package gitstore).
//
// A remote's clone is bare (nobody looks at it), so publishing to a remote
// never touches a work tree.
//
// # Authentication
//
// AuthFromEnv builds Options.Auth from the environment:
//
//	PALISADE_GIT_TOKEN               HTTP basic auth, the token as password
//	PALISADE_GIT_USERNAME            user name for the token (default x-access-token)
//	                                 or, with PALISADE_GIT_PASSWORD, for basic auth
//	PALISADE_GIT_PASSWORD            HTTP basic auth password
//	PALISADE_GIT_SSH_KEY             path of a private key file, for ssh URLs
//	PALISADE_GIT_SSH_KEY_PASSPHRASE  its passphrase, if encrypted
//	PALISADE_GIT_SSH_KNOWN_HOSTS     known_hosts file to check host keys against
//
// Credentials in an http(s) URL's userinfo are used when no variable is
// set. They are never written to the clone's configuration, and neither
// they nor any other secret appear in errors: URLs in messages have their
// userinfo removed (CleanURL), and RemoteError scrubs the configured
// secrets from the underlying error's text.
//
// # Errors
//
//   - *RemoteError: a failure outside Palisade's control — the remote is
//     unreachable or missing, refused the credentials
//     (transport.ErrAuthenticationRequired, ErrAuthorizationFailed), or
//     rejected every attempt (ErrRejected; also for a local branch that kept
//     moving). The CLI exits 3 for these; IsOutside tells them.
//   - *UsageError: what Palisade was asked is wrong — a malformed or
//     unsupported URL, a path that is a file, a non-empty directory that is
//     not a repository, a work directory holding another remote's clone,
//     an invalid branch or owned prefix, files outside the owned prefixes,
//     an empty message or a signature without time.
//   - *DirtyError: local changes in owned paths of the work tree.
//   - errors of the build function come back as it returned them: they
//     are the caller's own, written for its user.
//   - anything else (I/O errors, a corrupt repository) is a plain error.
//
// Publish returns an error with a non-zero Outcome.Commit when the commit
// was made but the work tree could not be updated; the next run repairs
// the work tree.
package envrepo

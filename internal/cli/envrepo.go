package cli

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// RepoLocation says which environment repository and branch a command
// reads or commits into, and where a remote one is cloned.
type RepoLocation struct {
	Location string
	Branch   string
	WorkDir  string
	getenv   func(string) string
}

// addFlags registers --env-repo (described by what), --branch and
// --repo-cache on cmd.
func (o *RepoLocation) addFlags(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringVar(&o.Location, "env-repo", "", what)
	f.StringVar(&o.Branch, "branch", envrepo.DefaultBranch, "branch of the environment repository")
	f.StringVar(&o.WorkDir, "repo-cache", "", "where a --env-repo URL is cloned (default: under the user cache directory)")
}

func (o *RepoLocation) env(k string) string {
	if o.getenv != nil {
		return o.getenv(k)
	}
	return os.Getenv(k)
}

// EnvRepoOptions say where and how a render is committed.
type EnvRepoOptions struct {
	RepoLocation
	Push      bool
	Author    string
	RecordKey string
	CommitKey string
}

// AddFlags registers the environment repository flags on cmd.
func (o *EnvRepoOptions) AddFlags(cmd *cobra.Command) {
	o.addFlags(cmd, "environment repository to commit into: a local path (initialised when absent) or a URL (https://, ssh://, file://)")
	f := cmd.Flags()
	f.BoolVar(&o.Push, "push", false, "push the commit to the --env-repo URL (credentials: PALISADE_GIT_TOKEN, PALISADE_GIT_USERNAME/PASSWORD or PALISADE_GIT_SSH_KEY)")
	f.StringVar(&o.Author, "author", "", `commit author "Name <email>" (default: $PALISADE_GIT_AUTHOR_NAME and $PALISADE_GIT_AUTHOR_EMAIL, else "Palisade <palisade@localhost>")`)
	f.StringVar(&o.CommitKey, "commit-key", "", "sign each render commit with this ASCII-armored OpenPGP private key (passphrase: $PALISADE_COMMIT_KEY_PASSPHRASE), as git commit -S does; needed when the estate sets platform.gitops.commitSigning")
	f.StringVar(&o.RecordKey, "record-key", "", "sign each decision record with this cosign private key (password: $COSIGN_PASSWORD); the signature and an in-toto attestation (SLSA provenance) are committed beside the record")
}

// recordSigner loads --record-key, if given.
func (o *EnvRepoOptions) recordSigner() (signature.Signer, error) {
	if o.RecordKey == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(o.RecordKey)
	if err != nil {
		return nil, fmt.Errorf("--record-key: %w", err)
	}
	sv, err := cosign.LoadPrivateKey(pem, []byte(o.env("COSIGN_PASSWORD")), nil)
	if err != nil {
		return nil, fmt.Errorf("--record-key %s: not a cosign private key that $COSIGN_PASSWORD opens: %v", o.RecordKey, err)
	}
	return sv, nil
}

// commitKey loads --commit-key, if given, decrypted.
func (o *EnvRepoOptions) commitKey() (*openpgp.Entity, error) {
	if o.CommitKey == "" {
		return nil, nil
	}
	data, err := os.ReadFile(o.CommitKey)
	if err != nil {
		return nil, fmt.Errorf("--commit-key: %w", err)
	}
	e, err := estate.ReadCommitKey(data)
	if err != nil {
		return nil, fmt.Errorf("--commit-key %s: %v", o.CommitKey, err)
	}
	if e.PrivateKey == nil {
		return nil, fmt.Errorf("--commit-key %s: a public key: signing needs the private key (gpg --armor --export-secret-keys)", o.CommitKey)
	}
	if e.PrivateKey.Encrypted {
		pass := o.env("PALISADE_COMMIT_KEY_PASSPHRASE")
		if pass == "" {
			return nil, fmt.Errorf("--commit-key %s: the key is encrypted: give its passphrase in $PALISADE_COMMIT_KEY_PASSPHRASE", o.CommitKey)
		}
		if err := e.DecryptPrivateKeys([]byte(pass)); err != nil {
			return nil, fmt.Errorf("--commit-key %s: $PALISADE_COMMIT_KEY_PASSPHRASE does not open the key", o.CommitKey)
		}
	}
	return e, nil
}

// commitSigner is the signer of render commits: key, which must be the
// one the estate's GitOps controllers verify commits with, when the
// estate names one (platform.gitops.commitSigning).
func commitSigner(e *estate.Estate, key *openpgp.Entity, keyFile string, at time.Time) (func([]byte, time.Time) (string, error), error) {
	cs := e.Platform.GitOps.CommitSigning
	switch {
	case cs == nil && key == nil:
		return nil, nil
	case key == nil:
		return nil, fmt.Errorf("%s: platform.gitops.commitSigning: Argo CD and Flux apply only commits signed with key %s: pass its private half as --commit-key",
			e.Position("platform", "gitops", "commitSigning"), strings.Join(cs.KeyIDs(), " or "))
	case cs != nil && !slices.ContainsFunc(cs.Keys, func(k estate.CommitKey) bool { return k.Fingerprint == estate.Fingerprint(key) }):
		return nil, fmt.Errorf("--commit-key %s is key %s, but platform.gitops.commitSigning (%s) names key %s: Argo CD and Flux would refuse its commits",
			keyFile, estate.KeyID(key), e.Position("platform", "gitops", "commitSigning", "publicKeys"), strings.Join(cs.KeyIDs(), " or "))
	}
	sign := envrepo.OpenPGPSigner(key)
	// An expired or revoked key fails here, before anything is rendered
	// into the repository, rather than at the commit.
	if _, err := sign([]byte("palisade"), at); err != nil {
		return nil, fmt.Errorf("--commit-key %s cannot sign at %s (expired, revoked, or no signing key?): %v", keyFile, at.UTC().Format(time.RFC3339), err)
	}
	return sign, nil
}

// signature is the commit author at the render's instant.
func (o *EnvRepoOptions) signature(at time.Time) (object.Signature, error) {
	name, email := o.env("PALISADE_GIT_AUTHOR_NAME"), o.env("PALISADE_GIT_AUTHOR_EMAIL")
	if o.Author != "" {
		a, err := mail.ParseAddress(o.Author)
		if err != nil {
			return object.Signature{}, fmt.Errorf(`invalid --author %q: want "Name <email>"`, o.Author)
		}
		name, email = a.Name, a.Address
	}
	if name == "" {
		name = "Palisade"
	}
	if email == "" {
		email = "palisade@localhost"
	}
	return object.Signature{Name: name, Email: email, When: at}, nil
}

func runRenderRepo(ctx context.Context, out io.Writer, o *RenderOptions, po pipeline.Options) error {
	author, err := o.Repo.signature(po.At)
	if err != nil {
		return err
	}
	auth, err := envrepo.AuthFromEnv(o.Repo.Location, o.Repo.env)
	if err != nil {
		return err
	}
	signer, err := o.Repo.recordSigner()
	if err != nil {
		return err
	}
	commitKey, err := o.Repo.commitKey()
	if err != nil {
		return err
	}
	// An existing local environment repository's tip is read while the
	// estate loads; nothing is written to it before the estate is valid.
	var pf *pipeline.Prefetch
	if fi, err := os.Stat(o.Repo.Location); err == nil && fi.IsDir() && checkRemote(o.Repo) == nil && !o.Repo.Push && !o.DryRun {
		pf = pipeline.PrefetchTip(o.Repo.Location, o.Repo.Branch)
		defer pf.Wait()
	}
	src := pipeline.Source{Repo: o.Estate.Root}
	var previous pipeline.EstateLoader
	if sr, err := gitsrc.Open(o.Estate.Root); err == nil {
		prov, err := sr.Provenance()
		if err != nil {
			return err
		}
		src = pipeline.Source{Repo: prov.Repo, Commit: prov.Commit, Dirty: prov.Dirty}
		previous = sr.LoadEstateBeside
		// The estate the tip was rendered from loads beside this one,
		// from a repository of its own (go-git's is single-goroutine).
		if pf != nil {
			if own, err := gitsrc.Open(o.Estate.Root); err == nil {
				previous = pf.Previous(src.Clean(), own)
			}
		}
	}
	p, err := pipeline.Prepare(ctx, po)
	if err != nil {
		return err
	}
	// A tenant the estate lacks is the command line's mistake: said so
	// before the environment repository is opened.
	for _, n := range o.Tenants {
		if _, ok := p.Estate.Tenants[n]; !ok {
			return fmt.Errorf("--tenant: %w", p.Estate.UnknownTenant(n))
		}
	}
	if o.DryRun {
		return runRenderPlan(ctx, out, o, p, pipeline.Commit{Source: src, Version: Version().Version, Author: author, Full: o.Full, Previous: previous, AllowUnreadEstates: o.AllowUnreadEstates})
	}
	if err := checkRemote(o.Repo); err != nil {
		return err
	}
	commitSigner, err := commitSigner(p.Estate, commitKey, o.Repo.CommitKey, po.At)
	if err != nil {
		return err
	}
	repo, err := envrepo.Open(ctx, o.Repo.Location, envrepo.Options{Branch: o.Repo.Branch, WorkDir: o.Repo.WorkDir, Auth: auth})
	if err != nil {
		if envrepo.IsOutside(err) {
			return &pipeline.OutsideError{Op: "opening the environment repository", Err: err}
		}
		return err
	}
	c := pipeline.Commit{Source: src, Version: Version().Version, Author: author, Full: o.Full, Prefetched: pf, RecordSigner: signer, CommitSigner: commitSigner, Previous: previous, AllowUnreadEstates: o.AllowUnreadEstates}
	if commitKey != nil {
		c.CommitKeyID = estate.KeyID(commitKey)
	}
	// A development build keys the render state on its build too: the
	// state a build of other code left is not to be trusted.
	build, ok := stateBuild(c.Version)
	c.Build, c.Full = build, c.Full || !ok
	pub, err := p.Publish(ctx, repo, c)
	if err != nil {
		return err
	}
	return writePublished(out, o, pub, where(repo), false)
}

// runRenderPlan is render --dry-run: the render against the branch tip,
// read as evidence export reads it, and what it would commit.
func runRenderPlan(ctx context.Context, out io.Writer, o *RenderOptions, p *pipeline.Prepared, c pipeline.Commit) error {
	tip, name, err := openTip(ctx, &o.Repo.RepoLocation)
	if err != nil {
		return err
	}
	build, ok := stateBuild(c.Version)
	c.Build, c.Full = build, c.Full || !ok
	pub, err := p.Plan(ctx, tip, c)
	if err != nil {
		return err
	}
	return writePublished(out, o, pub, name, true)
}

// printPoliciesOnly says why a render that changed nothing of the tree
// commits: its record, the policies having changed.
func printPoliciesOnly(out io.Writer, rec *pipeline.Record) {
	if rec != nil && rec.PoliciesOnly {
		fmt.Fprintf(out, "the tree is unchanged, the policies are not (policy digest %s, was %s): the commit adds the decision record alone, with the rules in force and which each tenant passed\n",
			pipeline.ShortDigest(rec.PolicyDigest), pipeline.ShortDigest(rec.PreviousPolicyDigest))
	}
}

// writePublished prints a render into the environment repository (to
// where), or a dry run of one, and turns a denial into exit 1.
func writePublished(out io.Writer, o *RenderOptions, pub *pipeline.Published, where string, dryRun bool) error {
	rep, res := pub.Report, pub.Outcome
	if o.Output.Format == "json" {
		v := struct {
			*pipeline.Report
			DryRun bool `json:"dryRun,omitempty"`
			// Commit is the commit made, none for a dry run; Tip the
			// commit the render was built on.
			Commit    string `json:"commit,omitempty"`
			SignedBy  string `json:"signedBy,omitempty"`
			Tip       string `json:"tip,omitempty"`
			Unchanged bool   `json:"unchanged"`
			Pushed    bool   `json:"pushed"`
			Record    string `json:"record,omitempty"`
			// PoliciesOnly: the commit adds the record alone, the
			// policies having changed and the tree not.
			PoliciesOnly bool     `json:"policiesOnly,omitempty"`
			Added        []string `json:"added,omitempty"`
			Modified     []string `json:"modified,omitempty"`
			Deleted      []string `json:"deleted,omitempty"`
			// Maintenance is the upkeep of the repository's objects
			// after the commit, when it did something or failed.
			Maintenance *maintenanceJSON `json:"maintenance,omitempty"`
		}{
			Report: rep, DryRun: dryRun, Unchanged: res.Unchanged, Pushed: res.Pushed, Record: recordPath(pub),
			Added: res.Added, Modified: res.Modified, Deleted: res.Deleted,
			PoliciesOnly: pub.Record != nil && pub.Record.PoliciesOnly,
		}
		if !res.Parent.IsZero() {
			v.Tip = res.Parent.String()
		}
		if !dryRun {
			v.Commit, v.SignedBy = hashOrEmpty(pub), pub.SignedBy
			if m := res.Maintenance; m != (envrepo.Maintenance{}) || res.MaintenanceErr != nil {
				v.Maintenance = &maintenanceJSON{Packed: m.Packed, Consolidated: m.Consolidated}
				if res.MaintenanceErr != nil {
					v.Maintenance.Error = res.MaintenanceErr.Error()
				}
			}
		}
		if err := writeJSON(out, v); err != nil {
			return err
		}
	} else {
		printReport(out, rep)
		switch {
		case rep.Denied:
		case res.Unchanged && dryRun:
			fmt.Fprintf(out, "dry run: nothing would change; %s %s already holds this render\n", where, o.Repo.Branch)
		case res.Unchanged:
			fmt.Fprintf(out, "nothing changed: %s %s already holds this render; no commit\n", where, o.Repo.Branch)
		case dryRun:
			fmt.Fprintf(out, "dry run: would commit to %s %s: %d tenants rendered, %d changed, %d removed, %d held back; %d file(s) added, %d modified, %d deleted (record %s); nothing committed\n",
				where, o.Repo.Branch, len(rep.Rendered), len(rep.Changed), len(rep.Removed), len(rep.HeldBack), len(res.Added), len(res.Modified), len(res.Deleted), pub.Record.Path())
			printPoliciesOnly(out, pub.Record)
		default:
			fmt.Fprintf(out, "committed %s to %s %s: %d tenants rendered, %d changed, %d removed, %d held back; record %s\n",
				res.Commit.String()[:12], where, o.Repo.Branch, len(rep.Rendered), len(rep.Changed), len(rep.Removed), len(rep.HeldBack), pub.Record.Path())
			printPoliciesOnly(out, pub.Record)
			if pub.SignedBy != "" {
				fmt.Fprintf(out, "signed with OpenPGP key %s\n", pub.SignedBy)
			}
			if res.Pushed {
				fmt.Fprintf(out, "pushed to %s after %d attempt(s)\n", where, res.Attempts)
			}
			printMaintenance(out, res)
		}
	}
	switch {
	case rep.Denied && dryRun:
		return &exitError{code: ExitDenied, err: fmt.Errorf("policies denied the change; a render would commit nothing")}
	case rep.Denied:
		return &exitError{code: ExitDenied, err: fmt.Errorf("policies denied the change; nothing was committed")}
	}
	return nil
}

type maintenanceJSON struct {
	Packed       int    `json:"packed,omitempty"`
	Consolidated int    `json:"consolidated,omitempty"`
	Error        string `json:"error,omitempty"`
}

// printMaintenance says what the upkeep of the repository's objects after
// a commit did, as git gc --auto does; its failure is a warning: the
// commit stands and the objects stay where they were.
func printMaintenance(out io.Writer, res envrepo.Outcome) {
	m := res.Maintenance
	if m.Packed > 0 {
		fmt.Fprintf(out, "packed the repository's %d loose objects\n", m.Packed)
	}
	if m.Consolidated > 0 {
		fmt.Fprintf(out, "merged the repository's %d packs into one\n", m.Consolidated)
	}
	if res.MaintenanceErr != nil {
		fmt.Fprintf(out, "warning: packing the repository's objects failed; the commit stands, and git gc can pack them: %v\n", res.MaintenanceErr)
	}
}

// checkRemote pairs --push with URLs: a local path is committed to
// directly, a URL only reached by pushing.
func checkRemote(o EnvRepoOptions) error {
	url := strings.Contains(o.Location, "://") || strings.Contains(o.Location, "@")
	switch {
	case o.Push && !url:
		return fmt.Errorf("--push needs a URL --env-repo; %q is a local path, committed to directly", o.Location)
	case !o.Push && url:
		return fmt.Errorf("--env-repo %s is a URL: add --push to commit and push to it", gitsrc.CleanURL(o.Location))
	}
	return nil
}

func where(r *envrepo.Repo) string {
	if r.Remote() != "" {
		return r.Remote()
	}
	return r.Dir()
}

func hashOrEmpty(p *pipeline.Published) string {
	if p.Outcome.Unchanged || p.Report.Denied {
		return ""
	}
	return p.Outcome.Commit.String()
}

func recordPath(p *pipeline.Published) string {
	if p.Record == nil || p.Outcome.Unchanged {
		return ""
	}
	return p.Record.Path()
}

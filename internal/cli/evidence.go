package cli

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/evidence"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// EvidenceOptions are the options of `palisade evidence export`.
type EvidenceOptions struct {
	Repo      RepoLocation
	Since     string
	Until     string
	Tenants   []string
	Source    string
	RecordKey string
	CommitKey string
	Reproduce bool
	Policy    PolicyOptions
	Output    OutputOptions
	File      string
}

// AddFlags registers the command's flags.
func (o *EvidenceOptions) AddFlags(cmd *cobra.Command) {
	o.Repo.addFlags(cmd, "environment repository to read: a local path or a URL (https://, ssh://, file://), fetched into --repo-cache")
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "start of the period, inclusive: an RFC 3339 instant or a date (2026-10-01, midnight UTC)")
	f.StringVar(&o.Until, "until", "", "end of the period, exclusive: an RFC 3339 instant or a date (2027-01-01, midnight UTC)")
	f.StringSliceVar(&o.Tenants, "tenant", nil, "export only what concerns this tenant (repeatable; a tenant no render of the branch names is an error)")
	f.StringVar(&o.CommitKey, "commit-key", "", "the ASCII-armored OpenPGP public key(s) render commits are signed with (palisade render --commit-key; platform.gitops.commitSigning): every render commit of the period must carry a signature one of them verifies")
	f.StringVar(&o.RecordKey, "record-key", "", "the public key (PEM) of the key render jobs sign decision records with (palisade render --record-key): every record of the period must carry a signature it verifies, and its attestation, if any, must verify too")
	f.StringVar(&o.Source, "source", "", "the estate's git repository (a local clone with its history): add who wrote, committed and approved each rendered source commit")
	f.BoolVar(&o.Reproduce, "reproduce", false, "with --source: render each render commit's source commit again, as its record says it was rendered, and require the committed tree")
	o.Policy.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json", "csv", "html")
	f.StringVarP(&o.File, "output", "o", "", "write the export to this file rather than to standard output")
}

func newEvidenceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Export and verify the audit evidence an environment repository holds",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newEvidenceExportCommand())
	return cmd
}

func newEvidenceExportCommand() *cobra.Command {
	o := &EvidenceOptions{}
	cmd := &cobra.Command{
		Use:   "export --env-repo PATH|URL",
		Short: "Export the decision records of a period, each verified against its commit",
		Long: `Export reads the branch's history in the environment repository and
exports, for the period (--since, --until) and the tenants asked for
(--tenant), every render commit's decision record: the source commit
rendered, each tenant's change and policy verdict, the waivers that let a
denial through (approver, ticket, reason, expiry, break-glass), the changes
a change freeze held back, and the image digests with the keys that
verified their signatures. With --source (the estate's repository, with
its history), each source commit's author, committer, subject and review
trailers (Reviewed-by, Approved-by...) are added.

Each record is verified against its commit: the committed rendered tree
(bases/, clusters/) must hash to the record's render digest, the record's
content to the digest in its file name, and the commit's trailers must
agree with it. Records are never rewritten, and every commit that changes
the rendered tree carries one: a commit that edits a record, or changes
rendered files without one (an edit by hand), is a finding. So is a render
made from uncommitted changes or outside git; with --source, one whose
source commit the estate's repository does not hold; and with
--record-key, a record without a signature that key verifies (only the
render job, which holds the private key, writes records that pass).

With --reproduce (and --source), each render is done again: its source
commit, whose estate must hash to the record's estate digest, is rendered
at the record's instant with its target, layout, tenant selection and
image facts, against the tree the render was committed on, and must make
exactly the committed tree. That proves what runs is what the reviewed
source makes, not only what the policies judged: an edit by hand that a
later incremental render kept, or a render state edited to skip a tenant,
shows. A render by another Palisade version, or with user policies other
than --policy gives, is noted as not reproducible.

Formats: text (for a person), json (the whole bundle, findings included),
csv (one row per tenant per render commit), html (one self-contained page
for an auditor: the text form with every render's tenants, in tables).
Nothing is written to the repository.

Exit 0 when everything verifies; 1 when a finding stands (the export is
still written); 2 when an option or the repository path is wrong; 3 when
the remote cannot be fetched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvidenceExport(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// parsePeriodBound reads --since or --until: an RFC 3339 instant or a
// date, midnight UTC.
func parsePeriodBound(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid --%s %q: want an RFC 3339 instant (2026-10-01T00:00:00+02:00) or a date (2026-10-01)", flag, s)
}

func runEvidenceExport(ctx context.Context, stdout io.Writer, o *EvidenceOptions) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Repo.Location == "" {
		return fmt.Errorf("evidence export needs --env-repo: the environment repository to read")
	}
	since, err := parsePeriodBound("since", o.Since)
	if err != nil {
		return err
	}
	until, err := parsePeriodBound("until", o.Until)
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return fmt.Errorf("empty period: --since %s is not before --until %s", o.Since, o.Until)
	}
	for _, t := range o.Tenants {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("empty --tenant")
		}
	}
	var key signature.Verifier
	if o.RecordKey != "" {
		pem, err := os.ReadFile(o.RecordKey)
		if err != nil {
			return fmt.Errorf("--record-key: %w", err)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
		if err != nil {
			return fmt.Errorf("--record-key %s: not a PEM public key: %v", o.RecordKey, err)
		}
		if key, err = signature.LoadVerifier(pub, crypto.SHA256); err != nil {
			return fmt.Errorf("--record-key %s: %v", o.RecordKey, err)
		}
	}
	var keyring string
	if o.CommitKey != "" {
		data, err := os.ReadFile(o.CommitKey)
		if err != nil {
			return fmt.Errorf("--commit-key: %w", err)
		}
		ring, err := envrepo.ReadKeyRing(string(data))
		if err != nil {
			return fmt.Errorf("--commit-key %s: not ASCII-armored OpenPGP public keys (gpg --armor --export): %v", o.CommitKey, err)
		}
		for _, e := range ring {
			if e.PrivateKey != nil {
				return fmt.Errorf("--commit-key %s: holds a private key: verifying needs the public key only (gpg --armor --export)", o.CommitKey)
			}
		}
		keyring = string(data)
	}
	var src *gitsrc.Repo
	if o.Source != "" {
		if src, err = gitsrc.Open(o.Source); err != nil {
			return fmt.Errorf("--source: %w", err)
		}
	}
	var reproduce *evidence.Reproduction
	switch {
	case o.Reproduce && src == nil:
		return fmt.Errorf("--reproduce needs --source: the estate's repository holds the source commits to render again")
	case o.Reproduce:
		for _, d := range o.Policy.Dirs {
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				return fmt.Errorf("--policy %s: no such directory", d)
			}
		}
		reproduce = &evidence.Reproduction{Version: Version().Version, PolicyDirs: o.Policy.Dirs}
	case len(o.Policy.Dirs) > 0:
		return fmt.Errorf("--policy needs --reproduce: only a reproduction evaluates policies")
	}
	tip, name, err := openTip(ctx, &o.Repo)
	if err != nil {
		return err
	}
	b, err := evidence.Export(ctx, tip, name, evidence.Options{
		Since: since, Until: until, Tenants: o.Tenants, Source: src, RecordKey: key, CommitKeyring: keyring, Reproduce: reproduce,
	})
	if err != nil {
		return err
	}
	out := stdout
	var f *os.File
	if o.File != "" {
		if f, err = os.Create(o.File); err != nil {
			return err
		}
		out = f
	}
	switch o.Output.Format {
	case "json":
		err = b.WriteJSON(out)
	case "csv":
		err = b.WriteCSV(out)
	case "html":
		err = b.WriteHTML(out)
	default:
		err = b.WriteText(out)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if o.File != "" {
		fmt.Fprintf(stdout, "wrote the evidence of %d render commit(s), %d finding(s), to %s\n", b.Summary.Renders, b.Summary.Findings, o.File)
	}
	if !b.Verified {
		return &exitError{code: ExitDenied, err: fmt.Errorf("the evidence does not verify: %d finding(s)", b.Summary.Findings)}
	}
	return nil
}

// openTip reads the branch tip: strictly read-only for a local
// repository, through a clone kept in --repo-cache for a URL (fetched,
// never pushed to).
func openTip(ctx context.Context, o *RepoLocation) (*envrepo.Snapshot, string, error) {
	url := strings.Contains(o.Location, "://") || strings.Contains(o.Location, "@")
	if !url {
		dir, err := filepath.Abs(o.Location)
		if err != nil {
			return nil, "", err
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, "", fmt.Errorf("--env-repo %s: no such directory", o.Location)
		}
		tip, err := envrepo.ReadTip(dir, o.Branch)
		switch {
		case errors.Is(err, plumbing.ErrReferenceNotFound):
			return nil, "", fmt.Errorf("--env-repo %s has no branch %q", o.Location, o.Branch)
		case err != nil:
			return nil, "", fmt.Errorf("--env-repo %s is not a git repository: %v", o.Location, err)
		}
		return tip, o.Location, nil
	}
	auth, err := envrepo.AuthFromEnv(o.Location, o.env)
	if err != nil {
		return nil, "", err
	}
	repo, err := envrepo.Open(ctx, o.Location, envrepo.Options{Branch: o.Branch, WorkDir: o.WorkDir, Auth: auth})
	if err != nil {
		if envrepo.IsOutside(err) {
			return nil, "", &pipeline.OutsideError{Op: "reading the environment repository", Err: err}
		}
		return nil, "", err
	}
	tip, err := repo.Snapshot()
	if err != nil {
		return nil, "", err
	}
	if tip.Empty() {
		return nil, "", fmt.Errorf("--env-repo %s has no branch %q", gitsrc.CleanURL(o.Location), o.Branch)
	}
	return tip, gitsrc.CleanURL(o.Location), nil
}

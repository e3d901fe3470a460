package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/check"
	checkreport "github.com/palisade-gitops/palisade/internal/report"
)

// CheckOptions are the options of `palisade check`.
type CheckOptions struct {
	Estate  EstateOptions
	Policy  PolicyOptions
	At      AtOptions
	Output  OutputOptions
	Images  ImageOptions
	Base    string
	Head    string
	Tree    TreeOptions
	Reports []string
	Diffs   bool
}

// AddFlags registers the command's flags.
func (o *CheckOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.Policy.AddFlags(cmd)
	o.At.AddFlags(cmd)
	o.Output.AddFlags(cmd, checkreport.Formats()...)
	o.Images.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Base, "base", "", "base revision of the change, e.g. origin/main or a commit (required)")
	f.StringVar(&o.Head, "head", "HEAD", "head revision of the change")
	o.Tree.AddFlags(cmd)
	f.StringArrayVar(&o.Reports, "report", nil, "also write the report in FORMAT to PATH (FORMAT=PATH, repeatable; appends, for $GITHUB_STEP_SUMMARY)")
	f.BoolVar(&o.Diffs, "diff", false, "text format: print each changed object's diff")
}

// Validate checks the options before any work.
func (o *CheckOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Base == "" {
		return fmt.Errorf("--base is required: the revision the change is compared with")
	}
	if err := o.Tree.Validate(); err != nil {
		return err
	}
	for _, r := range o.Reports {
		f, p, ok := strings.Cut(r, "=")
		if !ok || p == "" || !slices.Contains(checkreport.Formats(), f) {
			return fmt.Errorf("invalid --report %q: want FORMAT=PATH with FORMAT one of %s", r, strings.Join(checkreport.Formats(), ", "))
		}
	}
	_, err := o.At.Time()
	return err
}

func newCheckCommand() *cobra.Command {
	o := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check --base REV [--head REV]",
		Short: "Check a change to the estate: blast radius, diff, policy verdict and freeze forecast",
		Long: `Check renders the estate at the base and head revisions of its git
repository and reports what merging the change would do: the tenants,
tiers and environments it reaches (computed from the renders), each
tenant's rendered objects' diff, the policy results on head, the tenants a
freeze window would hold back if it were merged now, and waivers used or
expiring within 7 days. It exits 1 when a denial stands — a freeze on a
touched tenant included, unless a break-glass waiver covers it.

A --policy directory inside the repository is read from each revision as
committed. When the change edits its policy files, head is also judged by
the base revision's policies: a denial they give and head's policies do
not is reported as relaxed, and fails the check when the change also
alters that tenant — a change may not relax the policies for itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runCheck(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runCheck(ctx context.Context, out io.Writer, o *CheckOptions) error {
	at, _ := o.At.Time()
	c, err := check.Run(ctx, check.Options{
		Root: o.Estate.Root, Base: o.Base, Head: o.Head, At: at, Target: o.Tree.Target, Layout: o.Tree.Layout,
		PolicyDirs: o.Policy.Dirs, Images: o.Images.Stage(),
	})
	if err != nil {
		return err
	}
	ro := checkreport.Options{Version: Version().Version, Diffs: o.Diffs}
	for _, r := range o.Reports {
		format, p, _ := strings.Cut(r, "=")
		var buf bytes.Buffer
		if err := checkreport.Write(&buf, c, format, ro); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(buf.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing the %s report: %w", format, err)
		}
	}
	if err := checkreport.Write(out, c, o.Output.Format, ro); err != nil {
		return err
	}
	if c.Verdict == checkreport.Fail {
		return &exitError{code: ExitDenied}
	}
	return nil
}

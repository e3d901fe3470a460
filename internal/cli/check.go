package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/check"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/policy"
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
touched tenant included, unless a break-glass waiver covers it. It exits 2
when head's estate or policies do not load; --format github then puts an
::error on each mistake's line, a markdown report lists them and a junit
report errs a test case per mistake.

--format junit (or --report junit=PATH) writes the verdict as JUnit XML,
for CI systems that show test reports beside a merge request and not
SARIF (GitLab's artifacts:reports:junit): a test suite per tenant, a
failed test case per denial that stands.

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
		// The head's estate or policies do not load: say where in the
		// formats read where standard error is not (the pull request's
		// annotations, the step summary), then fail as usual.
		if probs := loadProblems(err, o.Estate.Root); len(probs) > 0 {
			write := func(w io.Writer, format string) error { return checkreport.WriteProblems(w, format, probs) }
			if werr := writeCheckReports(out, o, write); werr != nil {
				return werr
			}
		}
		return err
	}
	ro := checkreport.Options{Version: Version().Version, Diffs: o.Diffs}
	write := func(w io.Writer, format string) error { return checkreport.Write(w, c, format, ro) }
	if err := writeCheckReports(out, o, write); err != nil {
		return err
	}
	if c.Verdict == checkreport.Fail {
		return &exitError{code: ExitDenied}
	}
	return nil
}

// writeCheckReports writes each --report file (appending: a step summary
// is shared) and then out in --format, with write.
func writeCheckReports(out io.Writer, o *CheckOptions, write func(io.Writer, string) error) error {
	for _, r := range o.Reports {
		format, p, _ := strings.Cut(r, "=")
		var buf bytes.Buffer
		if err := write(&buf, format); err != nil {
			return err
		}
		if buf.Len() == 0 {
			continue
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
	return write(out, o.Output.Format)
}

// loadProblems are the positioned mistakes err holds — the diagnostics of
// the head's estate, the problems of its policies — with estate files
// named from the repository's root, as a check's other positions are;
// nil when err holds none.
func loadProblems(err error, root string) []checkreport.Problem {
	var ie *estate.InputError
	var ce *policy.CompileError
	var probs []checkreport.Problem
	switch {
	case errors.As(err, &ie):
		sub := "."
		if r, oerr := gitsrc.Open(root); oerr == nil {
			sub = r.Sub
		}
		for _, d := range ie.Diagnostics {
			pos := d.Pos
			if pos.IsValid() {
				pos.File = path.Join(sub, pos.File)
			}
			d.Pos = estate.Position{}
			probs = append(probs, checkreport.Problem{Pos: pos, Message: d.String()})
		}
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			pos := estate.Position{File: p.File, Line: p.Line, Column: p.Column}
			p.File, p.Line, p.Column = "", 0, 0
			probs = append(probs, checkreport.Problem{Pos: pos, Message: p.String()})
		}
	}
	return probs
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// PolicyTestOptions are the options of `palisade policy test`.
type PolicyTestOptions struct {
	Policy PolicyOptions
	Output OutputOptions
}

// AddFlags registers the command's flags.
func (o *PolicyTestOptions) AddFlags(cmd *cobra.Command) {
	o.Policy.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
}

// Validate checks the options before any work.
func (o *PolicyTestOptions) Validate() error {
	return o.Output.Validate()
}

func newPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with the governance policies",
		Long: `The governance policies are Rego rules: the built-in ones, embedded in
palisade, and the user's, added with --policy DIR. See policies/README.md
for the input document the rules read and how to write one.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPolicyTestCommand(), newPolicyInputCommand(), newPolicySchemaCommand())
	return cmd
}

func newPolicySchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the input document",
		Long: `Schema prints the JSON Schema (draft 7) of the input document the rules
read. Palisade type-checks every rule against it: a rule that reads a
field the input does not have, or hands a field to a built-in function
that takes another type, fails to compile with its file, line and column
(exit 2) instead of never firing. Save it to a file and give that to
'opa check --schema FILE' (a single file is the input's schema) or to an
editor's Rego support, to check rules as you write them. The
environments' Kubernetes objects are open objects: any field of theirs
may be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(policy.InputSchema())
			return err
		},
	}
}

// PolicyInputOptions are the options of `palisade policy input`.
type PolicyInputOptions struct {
	Estate   EstateOptions
	At       AtOptions
	Images   ImageOptions
	Tree     TreeOptions
	Tenant   string
	Baseline string
}

// AddFlags registers the command's flags.
func (o *PolicyInputOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.At.AddFlags(cmd)
	o.Images.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Tenant, "tenant", "", "the tenant whose input to print (required)")
	f.StringVar(&o.Baseline, "baseline", "", "a previous render's output directory (as --out names it) to compute the change against; without it, the input of a first render")
	o.Tree.AddFlags(cmd)
}

func newPolicyInputCommand() *cobra.Command {
	o := &PolicyInputOptions{}
	cmd := &cobra.Command{
		Use:   "input --tenant NAME",
		Short: "Print the input document the policies evaluate for a tenant",
		Long: `Input renders one tenant as 'palisade render' would — its objects, the
platform objects serving it, its images as the image stage verified them,
the freeze windows at --at, and its change against --baseline — and prints
the input document exactly as the rules read it (input.*, JSON), to write
and try rules against: policies/README.md documents its fields.
Nothing is written. Exit 0, or 2 when the estate or an option is wrong,
3 when an image registry cannot be reached.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Tenant == "" {
				return fmt.Errorf("--tenant is required: the input is a tenant's")
			}
			if err := o.Tree.Validate(); err != nil {
				return err
			}
			at, err := o.At.Time()
			if err != nil {
				return err
			}
			p, err := pipeline.Prepare(cmd.Context(), pipeline.Options{
				Root: o.Estate.Root, Target: o.Tree.Target, Layout: o.Tree.Layout, At: at, Images: o.Images.Stage(),
			})
			if err != nil {
				return err
			}
			var base pipeline.Baseline = pipeline.NewMapBaseline(nil)
			if o.Baseline != "" {
				if st, err := os.Stat(o.Baseline); err != nil || !st.IsDir() {
					return fmt.Errorf("--baseline %s: not a directory a render wrote", o.Baseline)
				}
				base = pipeline.NewDirBaseline(o.Baseline)
			}
			in, err := p.TenantInput(o.Tenant, base)
			if err != nil {
				return err
			}
			doc, err := in.Document()
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(doc)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func newPolicyTestCommand() *cobra.Command {
	o := &PolicyTestOptions{}
	cmd := &cobra.Command{
		Use:   "test [--policy DIR ...]",
		Short: "Run the policies' unit tests with coverage",
		Long: `Test runs the unit tests (rules named test_* in *_test.rego files) of the
built-in policies and of every --policy directory, and reports each test,
the counts and the coverage of the rule modules. Exit 0 when every test
passes, 1 when one fails, 2 when a policy does not compile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runPolicyTest(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runPolicyTest(ctx context.Context, out io.Writer, o *PolicyTestOptions) error {
	engine, err := policy.New(ctx, o.Policy.Dirs)
	if err != nil {
		return err
	}
	rep, err := engine.Test(ctx)
	if err != nil {
		return err
	}
	if o.Output.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printTestReport(out, rep)
	}
	if !rep.OK() {
		return &exitError{code: ExitDenied}
	}
	return nil
}

// printTestReport prints one line per test, "PASS file:row: name", with a
// failing test's error, the expression that failed and its output indented
// under it, then the counts, the coverage and the lines of rule modules no
// test reached.
func printTestReport(w io.Writer, rep *policy.TestReport) {
	for _, t := range rep.Tests {
		status := "PASS"
		switch {
		case t.Skip:
			status = "SKIP"
		case !t.Pass:
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s %s:%d: %s\n", status, t.File, t.Row, t.Name)
		if t.Pass {
			continue
		}
		for _, s := range []string{t.Error, t.FailedAt, t.Output} {
			for line := range strings.Lines(strings.TrimRight(s, "\n")) {
				fmt.Fprintf(w, "     %s", line)
			}
			if s != "" {
				fmt.Fprintln(w)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed, coverage %.1f%% of the rule modules\n", rep.Passed, rep.Failed, rep.Coverage)
	for _, f := range rep.Files {
		if len(f.NotCovered) > 0 {
			fmt.Fprintf(w, "not covered: %s lines %s\n", f.File, lineList(f.NotCovered))
		}
	}
}

// lineList writes line numbers as ranges: "3-5, 9".
func lineList(rows []int) string {
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] <= rows[j]+1 {
			j++
		}
		if rows[i] == rows[j] {
			parts = append(parts, fmt.Sprint(rows[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", rows[i], rows[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
	checkreport "github.com/palisade-gitops/palisade/internal/report"
)

// PolicyTestOptions are the options of `palisade policy test`.
type PolicyTestOptions struct {
	Policy PolicyOptions
	Output OutputOptions
	// Run selects the tests to run by a regular expression on their full
	// names.
	Run string
	// Threshold is the coverage, in percent, below which the run fails.
	Threshold float64
}

// AddFlags registers the command's flags.
func (o *PolicyTestOptions) AddFlags(cmd *cobra.Command) {
	o.Policy.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json", "junit")
	cmd.Flags().StringVar(&o.Run, "run", "", "run only the tests whose full name (data.<package>.<rule>) matches this regular expression")
	cmd.Flags().Float64Var(&o.Threshold, "threshold", 0, "fail (exit 1) when the tests cover less than this percentage of the lines of the --policy directories' rule modules (of the built-in ones without --policy)")
}

// Validate checks the options before any work.
func (o *PolicyTestOptions) Validate() error {
	if o.Threshold < 0 || o.Threshold > 100 {
		return fmt.Errorf("--threshold %v is not a percentage between 0 and 100", o.Threshold)
	}
	if _, err := regexp.Compile(o.Run); err != nil {
		return fmt.Errorf("--run %q is not a regular expression: %w", o.Run, err)
	}
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
	cmd.AddCommand(newPolicyTestCommand(), newPolicyInputCommand(), newPolicySchemaCommand(), newPolicyListCommand())
	return cmd
}

// PolicyListOptions are the options of `palisade policy list`.
type PolicyListOptions struct {
	Policy PolicyOptions
	Output OutputOptions
}

// listedRule is a rule as `palisade policy list` shows it.
type listedRule struct {
	policy.Rule
	// BreakGlass is set for the rules only a break-glass waiver waives.
	BreakGlass bool `json:"breakGlass,omitempty"`
}

func newPolicyListCommand() *cobra.Command {
	o := &PolicyListOptions{}
	cmd := &cobra.Command{
		Use:   "list [--policy DIR ...]",
		Short: "List the rules in force: their ids, families and where each is defined",
		Long: `List prints every rule id the policies give — the built-in ones and those
of each --policy directory — with its family (the package's METADATA
title, or its name), where it is defined, and whether only a break-glass
waiver waives it: the ids a waiver's policy names, and the rules each
render records as in force. Ids a rule builds at run time are not listed.
Exit 0, or 2 when a policy does not compile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Output.Validate(); err != nil {
				return err
			}
			engine, err := policy.New(cmd.Context(), o.Policy.Dirs)
			if err != nil {
				return err
			}
			return writeRules(cmd.OutOrStdout(), engine.Rules(), o.Output.Format)
		},
	}
	o.Policy.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
	return cmd
}

func writeRules(w io.Writer, rules []policy.Rule, format string) error {
	listed := make([]listedRule, len(rules))
	user := 0
	for i, r := range rules {
		listed[i] = listedRule{Rule: r, BreakGlass: policy.NeedsBreakGlass(r.ID)}
		if r.User {
			user++
		}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(listed)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tFAMILY\tDEFINED AT\tWAIVER")
	for _, r := range listed {
		at := fmt.Sprintf("%s:%d", r.File, r.Line)
		if r.User {
			at += " (--policy)"
		}
		waiver := "any"
		if r.BreakGlass {
			waiver = "break-glass only"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Family(), at, waiver)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rules: %d built-in, %d from --policy\n", len(rules), len(rules)-user, user)
	return err
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
the counts and the coverage of the rule modules: all of them, and those of
the --policy directories alone. Exit 0 when every test passes, 1 when one
fails or the coverage is below --threshold, 2 when a policy does not
compile or --run selects no test.

--run selects tests as 'opa test --run' does, by their full names:
--run 'acme' runs the tests of every package whose name holds acme,
--run '\.test_brand_' the tests named test_brand_*. The coverage is then
that of the tests selected.

--format junit writes JUnit XML for a CI system's test report (GitLab's
artifacts:reports:junit, Jenkins, Azure Pipelines): a test suite per Rego
package, a test case per test, and a failing test's file and line, failed
expression and print output. Unlike text and json, it carries each
test's duration, so it differs from run to run.`,
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
	rep, err := engine.Test(ctx, policy.TestOptions{Run: o.Run})
	if err != nil {
		return err
	}
	switch o.Output.Format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	case "junit":
		if err := writeTestJUnit(out, rep); err != nil {
			return err
		}
	default:
		printTestReport(out, rep)
	}
	if !rep.OK() {
		return &exitError{code: ExitDenied}
	}
	coverage, of := rep.Coverage, "the rule modules"
	if rep.UserCoverage != nil {
		coverage, of = *rep.UserCoverage, "the --policy directories' rule modules"
	}
	if coverage < o.Threshold {
		return &exitError{code: ExitDenied, err: fmt.Errorf("the tests cover %.1f%% of %s, below --threshold %v%%", coverage, of, o.Threshold)}
	}
	return nil
}

// writeTestJUnit writes rep as JUnit XML: a test suite per Rego package,
// in the order of the package's first test, each test a test case of the
// package's class. A failure's message is where it failed; its text the
// failed expression with its values, and what the test printed.
func writeTestJUnit(w io.Writer, rep *policy.TestReport) error {
	suites := junit.Testsuites{Name: "palisade policy test"}
	var order []string
	byPkg := map[string]*junit.Testsuite{}
	var total time.Duration
	durations := map[string]time.Duration{}
	for _, t := range rep.Tests {
		s := byPkg[t.Package]
		if s == nil {
			s = &junit.Testsuite{Name: t.Package, File: t.File}
			byPkg[t.Package] = s
			order = append(order, t.Package)
		}
		at := fmt.Sprintf("%s:%d", t.File, t.Row)
		tc := junit.Testcase{Name: t.Name, Classname: t.Package, Time: seconds(t.Duration)}
		detail := strings.Join(slices.DeleteFunc([]string{t.FailedAt, t.Output}, func(s string) bool { return s == "" }), "\n")
		switch {
		case t.Skip:
			tc.Skipped = &junit.Result{Message: at + ": skipped"}
		case t.Error != "":
			tc.Error = &junit.Result{Message: at + ": " + t.Error, Data: detail}
		case !t.Pass:
			tc.Failure = &junit.Result{Message: at + ": " + t.Name + " failed", Data: detail}
		}
		if t.Output != "" {
			tc.SystemOut = &junit.Output{Data: t.Output}
		}
		s.AddTestcase(tc)
		durations[t.Package] += t.Duration
		total += t.Duration
	}
	for i, pkg := range order {
		s := byPkg[pkg]
		s.ID, s.Time = i, seconds(durations[pkg])
		suites.AddSuite(*s)
	}
	suites.Time = seconds(total)
	return checkreport.WriteJUnitXML(w, &suites)
}

// seconds writes d as JUnit does: seconds with three decimals.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// printTestReport prints one line per test, "PASS file:row: name", with a
// failing test's error, the expression that failed and its output indented
// under it, then the counts, the coverage and the lines of rule modules no
// test reached (with --run, of those the selected tests reached at all).
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
	fmt.Fprintf(w, "%d passed, %d failed, coverage %.1f%% of the rule modules", rep.Passed, rep.Failed, rep.Coverage)
	if rep.UserCoverage != nil {
		fmt.Fprintf(w, ", %.1f%% of the --policy ones", *rep.UserCoverage)
	}
	if rep.Run != "" {
		fmt.Fprintf(w, " (the tests --run '%s' selects)", rep.Run)
	}
	fmt.Fprintln(w)
	for _, f := range rep.Files {
		if rep.Run != "" && f.Coverage == 0 {
			continue // no test selected reaches it
		}
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

package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// Exit codes, the contract scripts and CI rely on.
const (
	ExitOK      = 0 // success
	ExitDenied  = 1 // a governance verdict denied the change
	ExitInput   = 2 // the input or the command line is wrong
	ExitOutside = 3 // an outside system (registry, git) failed; nothing was committed
)

// Main runs palisade with the process's standard streams and returns the
// exit code.
func Main(args []string) int {
	return Run(args, os.Stdout, os.Stderr)
}

// Run runs palisade with args (without the program name), writing to stdout
// and stderr, and returns the exit code. Each call builds a fresh command
// tree, so tests may call it repeatedly and concurrently.
func Run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	return report(stderr, err)
}

// report prints err once and maps it to an exit code.
func report(stderr io.Writer, err error) int {
	var ie *estate.InputError
	var ce *policy.CompileError
	var pe *policy.EvalError
	var ee *exitError
	var oe *pipeline.OutsideError
	switch {
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(stderr, "palisade: %v\n", ee.err)
		}
		return ee.code
	case errors.As(err, &oe):
		fmt.Fprintf(stderr, "palisade: %v\nnothing was written or committed\n", oe)
		return ExitOutside
	case errors.As(err, &ie):
		for _, d := range ie.Diagnostics {
			fmt.Fprintln(stderr, d.String())
		}
		return ExitInput
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			fmt.Fprintln(stderr, p.String())
		}
		return ExitInput
	case errors.As(err, &pe):
		// A rule that fails at run time or breaks the result contract is
		// a mistake in the (user's) policies.
		fmt.Fprintf(stderr, "palisade: %v\n", pe)
		return ExitInput
	default:
		// Command-line mistakes (unknown flag, bad argument count) and
		// input problems without a position.
		fmt.Fprintf(stderr, "palisade: %v\n", err)
		return ExitInput
	}
}

// exitError carries an exit code; err, if set, is printed first. An
// exitError with a nil err means the command already printed its report.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "palisade",
		Short: "Render and govern a multi-tenant Odoo estate for GitOps",
		Long: `Palisade validates tenant and service-tier definitions written in CUE,
checks them against governance policies, and renders them into Kustomize
manifests for an environment repository that Argo CD or Flux applies.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(
		newValidateCommand(),
		newRenderCommand(),
		newCheckCommand(),
		newCalendarCommand(),
		newPolicyCommand(),
		newEvidenceCommand(),
		newWaiverCommand(),
		newVersionCommand(),
	)
	return root
}

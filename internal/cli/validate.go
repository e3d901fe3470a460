package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// ValidateOptions are the options of `palisade validate`.
type ValidateOptions struct {
	Estate EstateOptions
	Output OutputOptions
}

// AddFlags registers the command's flags.
func (o *ValidateOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
}

func newValidateCommand() *cobra.Command {
	o := &ValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the estate against the schema and its own references",
		Long: `Validate loads the estate (platform, tiers/ and tenants/) with the embedded
schema and reports every problem as file:line:col: path: message.
Exit 0 when the estate is valid, 2 when it is not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Output.Validate(); err != nil {
				return err
			}
			return runValidate(cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runValidate(out io.Writer, o *ValidateOptions) error {
	e, err := estate.Load(o.Estate.Root)
	if o.Output.Format == "json" {
		return validateJSON(out, e, err)
	}
	if err != nil {
		return err
	}
	s := summarize(e)
	fmt.Fprintf(out, "estate is valid: %d tenants, %d tiers, %d clusters in %d regions\n\n",
		s.Tenants, len(s.Tiers), len(e.Platform.Clusters), len(e.Platform.Regions))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tISOLATION\tTENANTS\tPRODUCTION\tSTAGING\tDEVELOPMENT")
	for _, t := range s.Tiers {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", t.Name, t.Isolation, t.Tenants,
			t.Environments[estate.Production], t.Environments[estate.Staging], t.Environments[estate.Development])
	}
	return tw.Flush()
}

// Summary counts tenants and environments per tier.
type Summary struct {
	Valid   bool                `json:"valid"`
	Tenants int                 `json:"tenants,omitempty"`
	Tiers   []TierSummary       `json:"tiers,omitempty"`
	Errors  []estate.Diagnostic `json:"errors,omitempty"`
}

// TierSummary is one tier's line of the summary.
type TierSummary struct {
	Name         string         `json:"name"`
	Isolation    string         `json:"isolation"`
	Tenants      int            `json:"tenants"`
	Environments map[string]int `json:"environments"`
}

func summarize(e *estate.Estate) Summary {
	s := Summary{Valid: true, Tenants: len(e.Tenants)}
	for _, tn := range e.TierNames() {
		ts := TierSummary{Name: tn, Isolation: e.Tiers[tn].Isolation, Environments: map[string]int{}}
		for _, t := range e.Tenants {
			if t.Tier != tn {
				continue
			}
			ts.Tenants++
			for en := range t.Environments {
				ts.Environments[en]++
			}
		}
		s.Tiers = append(s.Tiers, ts)
	}
	return s
}

func validateJSON(out io.Writer, e *estate.Estate, err error) error {
	var s Summary
	var ie *estate.InputError
	switch {
	case err == nil:
		s = summarize(e)
	case errors.As(err, &ie):
		s.Errors = ie.Diagnostics
	default:
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	if !s.Valid {
		return &exitError{code: ExitInput}
	}
	return nil
}

package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// EstateOptions locate the estate to read.
type EstateOptions struct {
	Root string
}

// AddFlags registers the estate flags on cmd.
func (o *EstateOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Root, "root", ".", "estate directory (holding platform.cue, tiers/ and tenants/)")
}

// OutputOptions choose the report format.
type OutputOptions struct {
	Format  string
	formats []string
}

// AddFlags registers --format on cmd, accepting the given formats; the
// first is the default.
func (o *OutputOptions) AddFlags(cmd *cobra.Command, formats ...string) {
	o.formats = formats
	cmd.Flags().StringVar(&o.Format, "format", formats[0], "output format: "+strings.Join(formats, ", "))
}

// Validate rejects a format the command does not offer.
func (o *OutputOptions) Validate() error {
	if !slices.Contains(o.formats, o.Format) {
		return fmt.Errorf("unknown --format %q: want one of %s", o.Format, strings.Join(o.formats, ", "))
	}
	return nil
}

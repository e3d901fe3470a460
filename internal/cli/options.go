package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/render"
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

// AtOptions give the instant a command evaluates freezes, waivers and
// calendars at. Time is an input: tests and reproducible runs pass --at.
type AtOptions struct {
	At  string
	now func() time.Time
}

// AddFlags registers --at on cmd.
func (o *AtOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.At, "at", "", "the instant to evaluate at, RFC 3339 (default: now)")
}

// Time parses --at, or returns the current time when it is not given.
func (o *AtOptions) Time() (time.Time, error) {
	if o.At == "" {
		if o.now != nil {
			return o.now(), nil
		}
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, o.At)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid --at %q: want an RFC 3339 instant such as 2026-11-27T09:00:00+01:00", o.At)
	}
	return t, nil
}

// TreeOptions choose the GitOps controller the tree wires and its layout.
type TreeOptions struct {
	Target string
	Layout string
}

// AddFlags registers --target and --layout on cmd.
func (o *TreeOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Target, "target", render.TargetArgoCD, "GitOps controller to wire: argocd or flux")
	cmd.Flags().StringVar(&o.Layout, "layout", render.LayoutKustomize, "tree layout: kustomize (overlays over bases) or hydrated (manifest.yaml per directory)")
}

// Validate rejects a controller or layout palisade does not render.
func (o *TreeOptions) Validate() error {
	if o.Target != render.TargetArgoCD && o.Target != render.TargetFlux {
		return fmt.Errorf("unknown --target %q: want argocd or flux", o.Target)
	}
	if o.Layout != render.LayoutKustomize && o.Layout != render.LayoutHydrated {
		return fmt.Errorf("unknown --layout %q: want kustomize or hydrated", o.Layout)
	}
	return nil
}

// PolicyOptions add user policies to the built-in ones.
type PolicyOptions struct {
	Dirs []string
}

// AddFlags registers --policy on cmd.
func (o *PolicyOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&o.Dirs, "policy", nil, "directory of Rego policies and data to add to the built-in ones (repeatable)")
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

// RenderOptions are the options of `palisade render`.
type RenderOptions struct {
	Estate  EstateOptions
	At      AtOptions
	Output  OutputOptions
	Out     string
	Tenants []string
	Target  string
	Layout  string
}

// AddFlags registers the command's flags.
func (o *RenderOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.At.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "", "directory to write the environment tree into (required)")
	f.StringSliceVar(&o.Tenants, "tenant", nil, "render only this tenant (repeatable); others keep their current output")
	f.StringVar(&o.Target, "target", render.TargetArgoCD, "GitOps controller to wire: argocd or flux")
	f.StringVar(&o.Layout, "layout", render.LayoutKustomize, "tree layout: kustomize (overlays over bases) or hydrated (manifest.yaml per directory)")
}

// Validate checks the options before any work.
func (o *RenderOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Out == "" {
		return fmt.Errorf("--out is required: the directory to write the environment tree into")
	}
	if o.Target != render.TargetArgoCD && o.Target != render.TargetFlux {
		return fmt.Errorf("unknown --target %q: want argocd or flux", o.Target)
	}
	if o.Layout != render.LayoutKustomize && o.Layout != render.LayoutHydrated {
		return fmt.Errorf("unknown --layout %q: want kustomize or hydrated", o.Layout)
	}
	_, err := o.At.Time()
	return err
}

func newRenderCommand() *cobra.Command {
	o := &RenderOptions{}
	cmd := &cobra.Command{
		Use:   "render --out DIR",
		Short: "Render the estate into an environment tree for Argo CD or Flux",
		Long: `Render validates the estate and writes, for every tenant environment, a
Kustomize overlay over a generated base per tier (--layout kustomize) or the
built objects (--layout hydrated), plus each cluster's platform objects and
GitOps wiring. The write is atomic: a failed render leaves --out as it was.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runRender(cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// RenderSummary is what `palisade render` reports.
type RenderSummary struct {
	Out         string   `json:"out"`
	Layout      string   `json:"layout"`
	Target      string   `json:"target"`
	Tenants     []string `json:"tenants"`
	Directories int      `json:"directories"`
	Clusters    int      `json:"clusters"`
	Objects     int      `json:"objects"`
	Files       int      `json:"files"`
	Bytes       int64    `json:"bytes"`
}

func runRender(out io.Writer, o *RenderOptions) error {
	e, err := estate.Load(o.Estate.Root)
	if err != nil {
		return err
	}
	at, _ := o.At.Time()
	res, err := render.Render(e, render.Options{Target: o.Target, Tenants: o.Tenants, At: at,
		SkipManifests: o.Layout != render.LayoutHydrated})
	if err != nil {
		return err
	}
	files, err := res.Tree(o.Layout)
	if err != nil {
		return err
	}
	var keep []string
	if len(o.Tenants) > 0 {
		rendered := map[string]bool{}
		for _, u := range res.Units {
			rendered[u.Dir] = true
		}
		for _, d := range res.Dirs() {
			if !rendered[d] {
				keep = append(keep, d)
			}
		}
	}
	st, err := tree.Write(o.Out, files, tree.Options{Owned: []string{"bases", "clusters"}, Keep: keep})
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.Out, err)
	}
	s := RenderSummary{
		Out: o.Out, Layout: o.Layout, Target: o.Target, Tenants: res.Tenants(),
		Directories: len(res.Units), Clusters: len(res.Clusters), Objects: res.Objects(),
		Files: st.Files, Bytes: st.Bytes,
	}
	if o.Output.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	only := ""
	if len(o.Tenants) > 0 {
		only = " (only " + strings.Join(slices.Sorted(slices.Values(o.Tenants)), ", ") + ")"
	}
	fmt.Fprintf(out, "rendered %d tenants%s: %d directories on %d clusters, %d objects, %d files, %d bytes in %s (layout %s, target %s)\n",
		len(s.Tenants), only, s.Directories, s.Clusters, s.Objects, s.Files, s.Bytes, o.Out, o.Layout, o.Target)
	return nil
}

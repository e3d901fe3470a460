package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
	checkreport "github.com/palisade-gitops/palisade/internal/report"
)

// RenderOptions are the options of `palisade render`.
type RenderOptions struct {
	Estate  EstateOptions
	Policy  PolicyOptions
	At      AtOptions
	Output  OutputOptions
	Images  ImageOptions
	Repo    EnvRepoOptions
	Tree    TreeOptions
	Out     string
	Tenants []string
	// Full renders every tenant into the environment repository, ignoring
	// the state of the last render.
	Full bool
	// DryRun renders against the environment repository's tip and commits
	// nothing: what the next render would commit.
	DryRun bool
	// AllowUnreadEstates renders even when the estate's repository cannot
	// give an estate commit the render judges against (a shallow clone).
	AllowUnreadEstates bool
}

// AddFlags registers the command's flags.
func (o *RenderOptions) AddFlags(cmd *cobra.Command) {
	o.Estate.AddFlags(cmd)
	o.Policy.AddFlags(cmd)
	o.At.AddFlags(cmd)
	o.Output.AddFlags(cmd, "text", "json")
	o.Images.AddFlags(cmd)
	o.Repo.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "", "directory to write the environment tree into (required)")
	f.StringSliceVar(&o.Tenants, "tenant", nil, "render only this tenant (repeatable); others keep their current output")
	f.BoolVar(&o.Full, "full", false, "with --env-repo: render every tenant, ignoring the state of the last render (.palisade/state.json)")
	f.BoolVar(&o.DryRun, "dry-run", false, "with --env-repo: render against the branch tip and say what the render would commit, committing nothing (a URL is fetched, never pushed)")
	f.BoolVar(&o.AllowUnreadEstates, "allow-unread-estate", false, "with --env-repo: render even when the estate commit the tip was rendered from cannot be read (a shallow clone), judging calendar edits and removals without it; the decision record names it (default: fail, exit 3)")
	o.Tree.AddFlags(cmd)
}

// Validate checks the options before any work.
func (o *RenderOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if (o.Out == "") == (o.Repo.Location == "") {
		return fmt.Errorf("give either --out DIR (write a directory) or --env-repo PATH|URL (commit into an environment repository)")
	}
	if o.Repo.Push && o.Repo.Location == "" {
		return fmt.Errorf("--push needs --env-repo")
	}
	if o.AllowUnreadEstates && o.Repo.Location == "" {
		return fmt.Errorf("--allow-unread-estate needs --env-repo: a render into --out judges against no earlier estate commit")
	}
	if o.Full && o.Repo.Location == "" {
		return fmt.Errorf("--full needs --env-repo: a render into --out keeps no state of the last render, it always renders the tenants it is asked for")
	}
	if o.Repo.RecordKey != "" && o.Repo.Location == "" {
		return fmt.Errorf("--record-key needs --env-repo: a render into --out writes no decision record")
	}
	if o.Repo.CommitKey != "" && o.Repo.Location == "" {
		return fmt.Errorf("--commit-key needs --env-repo: a render into --out makes no commit")
	}
	switch {
	case o.DryRun && o.Repo.Location == "":
		return fmt.Errorf("--dry-run needs --env-repo: it says what a render would commit there (a render into --out is already atomic)")
	case o.DryRun && o.Repo.Push:
		return fmt.Errorf("--dry-run pushes nothing: drop --push")
	case o.DryRun && o.Repo.RecordKey != "":
		return fmt.Errorf("--dry-run writes no record to sign: drop --record-key")
	case o.DryRun && o.Repo.CommitKey != "":
		return fmt.Errorf("--dry-run makes no commit to sign: drop --commit-key")
	}
	if err := o.Tree.Validate(); err != nil {
		return err
	}
	_, err := o.At.Time()
	return err
}

func newRenderCommand() *cobra.Command {
	o := &RenderOptions{}
	cmd := &cobra.Command{
		Use:   "render (--out DIR | --env-repo PATH|URL [--push])",
		Short: "Render the estate into an environment tree for Argo CD or Flux",
		Long: `Render validates the estate and writes, for every tenant environment, a
Kustomize overlay over a generated base per tier (--layout kustomize) or the
built objects (--layout hydrated), plus each cluster's platform objects and
GitOps wiring. Policies are evaluated first: a denial writes nothing (exit
1), except a change freeze, which holds the frozen tenant's output back as
it was while the others proceed. The write is atomic: a failed render
leaves --out as it was.

With --env-repo, the tree is committed into the branch of an environment
repository instead (a local path that does not exist is initialised; a URL
is cloned into a cache directory and, with --push, pushed back), with a
decision record under .palisade/records/ and provenance trailers. A render
that changes nothing commits nothing. A rejected push is fetched, rendered
again against the new tip, and retried. Only the tenants whose inputs
changed since the last render commit (.palisade/state.json) are rendered
again, and those whose committed files were edited since; --full renders
every tenant. --record-key signs each decision record with a cosign key, for
'palisade evidence export --record-key' to verify. --dry-run renders
against the tip and prints what the render would commit (the tenants,
hold-backs and files) without committing: what lands when a freeze ends
(--at), say.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runRender(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runRender(ctx context.Context, out io.Writer, o *RenderOptions) error {
	at, _ := o.At.Time()
	po := pipeline.Options{
		Root: o.Estate.Root, Out: o.Out, Tenants: o.Tenants, KeepOthers: len(o.Tenants) > 0, Target: o.Tree.Target,
		Layout: o.Tree.Layout, At: at, PolicyDirs: o.Policy.Dirs, Images: o.Images.Stage(),
	}
	if o.Repo.Location != "" {
		return runRenderRepo(ctx, out, o, po)
	}
	rep, err := pipeline.Run(ctx, po)
	if err != nil {
		return err
	}
	if o.Output.Format == "json" {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printReport(out, rep)
		if !rep.Denied {
			only := ""
			if len(o.Tenants) > 0 {
				only = " (only " + strings.Join(slices.Sorted(slices.Values(o.Tenants)), ", ") + ")"
			}
			fmt.Fprintf(out, "rendered %d tenants%s: %d directories on %d clusters, %d objects, %d files, %d bytes in %s (layout %s, target %s)\n",
				len(rep.Rendered), only, rep.Directories, rep.Clusters, rep.Objects, rep.Files, rep.Bytes, o.Out, o.Tree.Layout, o.Tree.Target)
		}
	}
	if rep.Denied {
		return &exitError{code: ExitDenied, err: fmt.Errorf("policies denied the change; nothing was written to %s", o.Out)}
	}
	return nil
}

// describeWindows says which windows hold a tenant back and until when.
func describeWindows(ws []policy.Window) string {
	var parts []string
	for _, w := range ws {
		scope := w.Scope.Level
		if w.Scope.Name != "" {
			scope += " " + w.Scope.Name
		}
		parts = append(parts, fmt.Sprintf("%s window %q (%s) %s", w.Kind, w.Name, scope, w.Until()))
	}
	return strings.Join(parts, "; ")
}

// printImages summarises the image stage: how many images were pinned and
// verified, by which keys.
func printImages(out io.Writer, facts []pipeline.ImageFact) {
	if len(facts) == 0 {
		return
	}
	verified, byKey := 0, map[string]int{}
	for _, f := range facts {
		if len(f.Signers) > 0 {
			verified++
			for _, k := range f.Signers {
				byKey[k]++
			}
		}
	}
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		keys = append(keys, fmt.Sprintf("%s %d", k, byKey[k]))
	}
	fmt.Fprintf(out, "images: %d of %d pinned by digest and signature-verified (signed by %s)\n", verified, len(facts), strings.Join(keys, ", "))
}

// printReport prints a run's results, images and hold-backs.
func printReport(out io.Writer, rep *pipeline.Report) {
	printResults(out, rep.Estate, rep.Results)
	printImages(out, rep.Images)
	for _, n := range rep.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	for _, h := range rep.HeldBack {
		free := ""
		if n := len(h.Windows); h.Free != "" && n > 0 && h.Free != h.Windows[n-1].EndLocal {
			free = "; free from " + h.Free + ", as the windows that follow end"
		}
		what, change := h.Tenant, "its change"
		if h.Removal {
			what, change = "the removal of "+h.Tenant, "it"
		}
		switch {
		case len(h.Clusters) > 0:
			// Its directories there wait for the cluster's platform.
			if h.Free != "" {
				free = "; free from " + h.Free
			}
			fmt.Fprintf(out, "held back %s: %s alters its directories on %s, whose platform change is held back for %s, frozen by %s%s\n",
				what, change, checkreport.Names(h.Clusters, 5), checkreport.Names(h.Serving, 5), describeWindows(h.Windows), free)
		case len(h.Serving) > 0:
			// Its own change waits for frozen neighbours.
			if h.Free != "" {
				free = "; free from " + h.Free
			}
			fmt.Fprintf(out, "held back %s: %s alters platform objects serving %s, frozen by %s%s\n",
				what, change, checkreport.Names(h.Serving, 5), describeWindows(h.Windows), free)
		default:
			fmt.Fprintf(out, "held back %s: %s%s\n", what, describeWindows(h.Windows), free)
		}
		for _, d := range h.Pinned {
			fmt.Fprintf(out, "  %s keeps building on its previous tier base, copied into %s/%s: the tier changed\n", d, d, pipeline.FrozenBase)
		}
	}
	if len(rep.Suspended) > 0 {
		fmt.Fprintf(out, "suspended in Flux while a window applies: %s (their Kustomizations, until the first render after the window ends)\n", checkreport.Names(rep.Suspended, 8))
	}
	if rep.StateEdited {
		fmt.Fprintf(out, "the render state %s was edited since the last render commit: not trusted, every tenant rendered again\n", pipeline.StatePath)
	}
	for _, r := range rep.Repaired {
		fmt.Fprintf(out, "repaired %s: %s, edited since the last render commit, rendered again as the estate says\n",
			r.Tenant, checkreport.Names(r.Files, 3))
	}
	for _, ph := range rep.PlatformHeldBack {
		free := ""
		switch {
		case ph.Free != "" && len(ph.Serving) == 1:
			free = fmt.Sprintf("; it lands once %s is free (%s)", ph.Serving[0], ph.Free)
		case ph.Free != "":
			free = fmt.Sprintf("; it lands once the last of them is free (%s)", ph.Free)
		}
		fmt.Fprintf(out, "held back the platform change of cluster %s (%s): it reaches %s, frozen by %s%s\n",
			ph.Cluster, strings.Join(ph.Directories, ", "), checkreport.Names(ph.Serving, 5), describeWindows(ph.Windows), free)
	}
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

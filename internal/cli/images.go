package cli

import (
	"github.com/spf13/cobra"

	"github.com/palisade-gitops/palisade/internal/images"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// ImageOptions control how images are resolved and verified.
type ImageOptions struct {
	Offline  bool
	CacheDir string
}

// AddFlags registers the image flags on cmd.
func (o *ImageOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.Offline, "offline", false, "resolve tags from the platform's mirrors and the local cache only; never contact a registry")
	f.StringVar(&o.CacheDir, "cache-dir", "", "directory of cached signature verifications (default: the user cache directory's palisade/verify)")
}

// Stage is the image stage these options describe.
func (o *ImageOptions) Stage() pipeline.ImageStage {
	return pipeline.Registry{Options: images.Options{Offline: o.Offline, CacheDir: o.CacheDir}}
}

package render

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kustomization marshals a Kustomization file.
func kustomization(k types.Kustomization) ([]byte, error) {
	k.TypeMeta = types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind}
	return toYAML(k)
}

// builder builds Kustomize directories in memory. Each goroutine has its
// own; bases are written into its filesystem once and shared by every
// overlay it builds.
type builder struct {
	fs filesys.FileSystem
	k  *krusty.Kustomizer
}

// newBuilder makes a builder whose filesystem holds the given files (the
// tier bases).
func newBuilder(shared map[string][]byte) (*builder, error) {
	InitKustomize()
	fs := filesys.MakeFsInMemory()
	for p, data := range shared {
		if err := fs.WriteFile("/"+p, data); err != nil {
			return nil, err
		}
	}
	// The stock `kustomize build` (without --reorder) applies the legacy
	// ordering; krusty's default does not, so ask for it explicitly.
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	return &builder{fs: fs, k: krusty.MakeKustomizer(o)}, nil
}

// build writes a directory's files and builds it, returning the objects as
// `kustomize build` prints them.
func (b *builder) build(dir string, files map[string][]byte) ([]byte, error) {
	for name, data := range files {
		if err := b.fs.WriteFile("/"+path.Join(dir, name), data); err != nil {
			return nil, err
		}
	}
	m, err := b.k.Run(b.fs, "/"+dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return m.AsYaml()
}

// splitImage splits a reference into its name and its tag or digest.
func splitImage(ref string) (name, tag, digest string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], "", ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:], ""
	}
	return ref, "", ""
}

// pin is ref pinned by its verified digest, as an images: entry would
// rewrite it; ref itself when no digest is known.
func pin(ref string, digests map[string]string) string {
	d, ok := digests[ref]
	if !ok {
		return ref
	}
	name, _, _ := splitImage(ref)
	return name + "@" + d
}

// imageEntry pins one image for Kustomize's images transformer: by the
// digest when one is known (verified by the images stage), else by the
// tag the estate wrote.
func imageEntry(baseName, ref string, digests map[string]string) types.Image {
	name, tag, digest := splitImage(ref)
	if d, ok := digests[ref]; ok {
		digest = d
	}
	img := types.Image{Name: baseName}
	if baseName != name {
		img.NewName = name
	}
	if digest != "" {
		img.Digest = digest
	} else {
		img.NewTag = tag
	}
	return img
}

func sortedImages(imgs []types.Image) []types.Image {
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].Name < imgs[j].Name })
	return imgs
}

// relPath is the relative path from one tree directory to another.
func relPath(from, to string) string {
	up := strings.Repeat("../", strings.Count(from, "/")+1)
	return up + to
}

var initKustomize sync.Once

// InitKustomize loads Kustomize's built-in OpenAPI schema, once. Kustomize
// loads it lazily into package state, and one of its readers
// (openapi.IsNamespaceScoped) reads that state without the lock the
// loader holds: two first runs of krusty at the same time race. Call it
// before running krusty from several goroutines.
func InitKustomize() {
	initKustomize.Do(func() {
		openapi.SchemaForResourceType(yaml.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"})
	})
}

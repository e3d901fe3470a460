package render

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
)

// Tree lays the result out as an environment tree, by path:
//
//	bases/<tier>/<class>/                          (kustomize layout)
//	clusters/<cluster>/kustomization.yaml          every directory below
//	clusters/<cluster>/platform/                   shared PostgreSQL, Redis
//	clusters/<cluster>/gitops/                     AppProjects and Applications, or Flux Kustomizations
//	clusters/<cluster>/tenants/<tenant>/<env>/     overlay, or manifest.yaml
//
// In the kustomize layout each directory holds its kustomization.yaml and
// resource files; in the hydrated layout, manifest.yaml with exactly what
// `kustomize build` of the kustomize layout's directory prints.
func (r *Result) Tree(layout string) (map[string][]byte, error) {
	files := map[string][]byte{}
	switch layout {
	case LayoutKustomize, "":
		for p, data := range r.Bases {
			files[p] = data
		}
		for _, u := range r.Units {
			for name, data := range u.Files {
				files[path.Join(u.Dir, name)] = data
			}
		}
	case LayoutHydrated:
		for _, u := range r.Units {
			if u.Manifest == nil {
				return nil, fmt.Errorf("%s was rendered without its objects (Options.SkipManifests)", u.Dir)
			}
			files[path.Join(u.Dir, "manifest.yaml")] = u.Manifest
		}
	default:
		return nil, fmt.Errorf("unknown layout %q: want %s or %s", layout, LayoutKustomize, LayoutHydrated)
	}
	for _, c := range r.Clusters {
		base := "clusters/" + c + "/"
		dirs := []string{base + "gitops", base + "platform"}
		dirs = append(dirs, r.clusterDirs[c]...)
		var res []string
		for _, d := range dirs {
			rel := strings.TrimPrefix(d, base)
			if layout == LayoutHydrated {
				rel += "/manifest.yaml"
			}
			res = append(res, rel)
		}
		slices.Sort(res)
		k, err := kustomization(types.Kustomization{Resources: res})
		if err != nil {
			return nil, err
		}
		files[base+"kustomization.yaml"] = k
	}
	return files, nil
}

// Dirs lists every unit directory of the whole estate (also those of
// tenants not rendered under Options.Tenants), sorted.
func (r *Result) Dirs() []string {
	var out []string
	for _, c := range r.Clusters {
		out = append(out, "clusters/"+c+"/gitops", "clusters/"+c+"/platform")
		out = append(out, r.clusterDirs[c]...)
	}
	slices.Sort(out)
	return out
}

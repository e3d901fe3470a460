package render

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// overlay is a unit's Kustomize overlay: its files, and the objects and
// kustomization they hold, for the direct engine.
type overlay struct {
	files map[string][]byte
	// objects are the tenant's own objects, normalised; hydrate consumes
	// (mutates) them.
	objects []map[string]any
	k       types.Kustomization
}

// overlay builds the unit's overlay: the tenant's own objects and a
// kustomization.yaml that places the tier's base in the tenant's namespace,
// labels it, pins images, sets replicas and patches node placement and
// resources.
func (u *unit) overlay(digests map[string]string) (*overlay, error) {
	u.digests = digests
	ov := &overlay{files: map[string][]byte{}}
	files := ov.files
	res := []string{relPath(u.Dir(), baseName(u.t.Tier, u.class))}
	const name = "resources.yaml"
	for _, o := range u.tenantObjects() {
		n, err := normalize(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ov.objects = append(ov.objects, n)
	}
	data, err := marshalStream(ov.objects)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	files[name] = data
	res = append(res, name)
	k := types.Kustomization{
		Namespace: u.ns,
		Resources: res,
		Labels:    []types.Label{{Pairs: u.labels(), IncludeTemplates: true}},
	}
	imgs := []types.Image{imageEntry(odooImage, u.image(), digests)}
	pl := u.e.Platform.Images
	for _, ref := range []string{pl.Backup, pl.Postgres, pl.Redis, pl.RestoreTest} {
		if e := imageEntry(ref, ref, digests); e.Digest != "" {
			// Matched by name: the platform writes one tag per repository.
			n, _, _ := splitImage(ref)
			e.Name, e.NewName = n, ""
			imgs = append(imgs, e)
		}
	}
	k.Images = sortedImages(imgs)
	for _, w := range estate.WorkloadClasses {
		if n := u.replicas(w); n != u.tenv.Replicas[w].Default {
			k.Replicas = append(k.Replicas, types.Replica{Name: "odoo-" + w, Count: int64(n)})
		}
	}
	patches, err := u.patches()
	if err != nil {
		return nil, err
	}
	k.Patches = patches
	data, err = kustomization(k)
	if err != nil {
		return nil, err
	}
	files["kustomization.yaml"] = data
	ov.k = k
	return ov, nil
}

// hydrate is the direct engine's build of the overlay: what `kustomize
// build` prints for it.
func (u *unit) hydrate(ov *overlay, base []map[string]any) ([]byte, error) {
	return marshalStream(u.objects(ov, base))
}

// objects applies the overlay to copies of the base objects and the
// tenant's own, in Kustomize's output order.
func (u *unit) objects(ov *overlay, base []map[string]any) []map[string]any {
	objs := make([]map[string]any, 0, len(base)+len(ov.objects))
	for _, o := range base {
		objs = append(objs, deepCopy(o).(map[string]any))
	}
	objs = append(objs, ov.objects...)
	setNamespace(objs, ov.k.Namespace)
	for _, l := range ov.k.Labels {
		setLabels(objs, l.Pairs, l.IncludeTemplates)
	}
	setImages(objs, ov.k.Images)
	setReplicas(objs, ov.k.Replicas)
	if sel, tol := u.poolSelector(); len(sel) > 0 {
		var tols []any
		if len(tol) > 0 {
			n, err := normalize(map[string]any{"t": tol})
			if err != nil {
				panic(err) // typed tolerations always encode
			}
			tols = n["t"].([]any)
		}
		placePods(objs, sel, tols)
	}
	for _, w := range estate.WorkloadClasses {
		if o, ok := u.t.Odoo.Workloads[w]; ok && o.Resources != nil {
			n, err := normalize(resourceReq(*o.Resources))
			if err != nil {
				panic(err) // typed resources always encode
			}
			setContainerResources(objs, "odoo-"+w, "odoo", n)
		}
	}
	legacySort(objs)
	return objs
}

// patches move the tenant's pods onto its segment's or its own node pool
// and apply its resource overrides.
func (u *unit) patches() ([]types.Patch, error) {
	var out []types.Patch
	sel, tol := u.poolSelector()
	if len(sel) > 0 {
		podSpec := map[string]any{"nodeSelector": sel}
		if len(tol) > 0 {
			podSpec["tolerations"] = tol
		}
		for _, target := range []struct {
			kind, apiVersion string
			wrap             func(map[string]any) map[string]any
		}{
			{"Deployment", "apps/v1", templateSpec},
			{"StatefulSet", "apps/v1", templateSpec},
			{"CronJob", "batch/v1", func(s map[string]any) map[string]any {
				return map[string]any{"jobTemplate": map[string]any{"spec": templateSpec(s)}}
			}},
		} {
			p, err := yaml.Marshal(map[string]any{
				"apiVersion": target.apiVersion,
				"kind":       target.kind,
				"metadata":   map[string]any{"name": "any"},
				"spec":       target.wrap(podSpec),
			})
			if err != nil {
				return nil, err
			}
			out = append(out, types.Patch{Patch: string(p), Target: &types.Selector{ResId: resID(target.kind)}})
		}
	}
	for _, w := range estate.WorkloadClasses {
		o, ok := u.t.Odoo.Workloads[w]
		if !ok || o.Resources == nil {
			continue
		}
		p, err := yaml.Marshal(map[string]any{
			"apiVersion": "apps/v1",
			"kind":       "Deployment",
			"metadata":   map[string]any{"name": "odoo-" + w},
			"spec": templateSpec(map[string]any{"containers": []any{map[string]any{
				"name": "odoo", "resources": resourceReq(*o.Resources),
			}}}),
		})
		if err != nil {
			return nil, err
		}
		out = append(out, types.Patch{Patch: string(p)})
	}
	return out, nil
}

func templateSpec(podSpec map[string]any) map[string]any {
	return map[string]any{"template": map[string]any{"spec": podSpec}}
}

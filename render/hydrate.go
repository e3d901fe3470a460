package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"
)

// The direct engine produces, for each directory, exactly what `kustomize
// build` of its kustomize layout prints — without running Kustomize. It
// applies the few transformations Palisade's kustomizations use (namespace,
// labels with templates, images, replicas, and the node-placement and
// resource patches) to the same objects, orders them with Kustomize's
// legacy order, and serialises each the way Kustomize does (JSON to YAML
// through yaml.v2). Building every directory with krusty costs 25-50 ms
// per tenant environment; this costs a few. The krusty engine remains, and
// tests build every directory of the example estate and of synthetic
// estates both ways and require byte-identical output.

// normalize turns an object into the generic form Kustomize's serialiser
// sees: maps, slices, strings, bools and numbers (int64 or float64).
// Objects built as maps are converted directly; typed Kubernetes objects go
// through their JSON encoding.
func normalize(o any) (map[string]any, error) {
	if m, ok := o.(map[string]any); ok {
		if v, ok := plain(m); ok {
			return v.(map[string]any), nil
		}
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	fixNumbers(m)
	if st, ok := m["status"].(map[string]any); ok && len(st) == 0 {
		delete(m, "status")
	}
	return m, nil
}

// plain converts a tree of maps, slices and scalars built in Go into the
// normalised form; false when it meets a value it does not know (which
// then goes through JSON).
func plain(v any) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			y, ok := plain(x)
			if !ok {
				return nil, false
			}
			m[k] = y
		}
		return m, true
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = x
		}
		return m, true
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			y, ok := plain(x)
			if !ok {
				return nil, false
			}
			s[i] = y
		}
		return s, true
	case []string:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = x
		}
		return s, true
	case string, bool, int64, nil:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	}
	return nil, false
}

func fixNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = fixNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = fixNumbers(x)
		}
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	}
	return v
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// child returns m[k] as a map, creating it when create is set.
func child(m map[string]any, create bool, keys ...string) map[string]any {
	for _, k := range keys {
		c, ok := m[k].(map[string]any)
		if !ok {
			if !create {
				return nil
			}
			c = map[string]any{}
			m[k] = c
		}
		m = c
	}
	return m
}

func gvkOf(o map[string]any) resid.Gvk {
	av, _ := o["apiVersion"].(string)
	kind, _ := o["kind"].(string)
	g, v, ok := strings.Cut(av, "/")
	if !ok {
		g, v = "", av
	}
	return resid.Gvk{Group: g, Version: v, Kind: kind}
}

func nameOf(o map[string]any) (name, ns string) {
	md := child(o, false, "metadata")
	if md == nil {
		return "", ""
	}
	name, _ = md["name"].(string)
	ns, _ = md["namespace"].(string)
	return name, ns
}

// clusterScoped are the cluster-scoped kinds the renders contain.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "PersistentVolume": true, "StorageClass": true,
	"PriorityClass": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
}

func setNamespace(objs []map[string]any, ns string) {
	for _, o := range objs {
		if clusterScoped[gvkOf(o).Kind] {
			continue
		}
		child(o, true, "metadata")["namespace"] = ns
	}
}

// setLabels adds labels to metadata and, with templates, to the pod
// templates of workload kinds, as Kustomize's labels transformer does with
// includeTemplates.
func setLabels(objs []map[string]any, pairs map[string]string, templates bool) {
	add := func(m map[string]any) {
		for k, v := range pairs {
			m[k] = v
		}
	}
	for _, o := range objs {
		add(child(o, true, "metadata", "labels"))
		if !templates {
			continue
		}
		gvk := gvkOf(o)
		switch {
		case gvk.Kind == "Deployment" || gvk.Kind == "ReplicaSet" || gvk.Kind == "DaemonSet" ||
			(gvk.Kind == "ReplicationController" && gvk.Version == "v1") ||
			(gvk.Kind == "StatefulSet" && gvk.Group == "apps") ||
			(gvk.Kind == "Job" && gvk.Group == "batch"):
			add(child(o, true, "spec", "template", "metadata", "labels"))
		case gvk.Kind == "CronJob" && gvk.Group == "batch":
			add(child(o, true, "spec", "jobTemplate", "metadata", "labels"))
			add(child(o, true, "spec", "jobTemplate", "spec", "template", "metadata", "labels"))
		}
	}
}

// walkContainers calls fn with every container of the object: every item
// of a "containers" or "initContainers" list anywhere in it, as
// Kustomize's images transformer finds them.
func walkContainers(v any, fn func(c map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "containers" || k == "initContainers" {
				if list, ok := x.([]any); ok {
					for _, c := range list {
						if cm, ok := c.(map[string]any); ok {
							fn(cm)
						}
					}
				}
			}
			walkContainers(x, fn)
		}
	case []any:
		for _, x := range v {
			walkContainers(x, fn)
		}
	}
}

// setImages rewrites container images like Kustomize's images transformer.
func setImages(objs []map[string]any, images []types.Image) {
	for _, o := range objs {
		walkContainers(o, func(c map[string]any) {
			if img, ok := c["image"].(string); ok {
				c["image"] = rewriteImage(img, images)
			}
		})
	}
}

// ContainerImages lists, sorted and without repeats, the images of every
// container of the objects.
func ContainerImages(objs []map[string]any) []string {
	seen := map[string]bool{}
	for _, o := range objs {
		walkContainers(o, func(c map[string]any) {
			if img, ok := c["image"].(string); ok {
				seen[img] = true
			}
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

func rewriteImage(img string, images []types.Image) string {
	name, tag, digest := splitImage(img)
	for _, im := range images {
		if im.Name != name {
			continue
		}
		if im.NewName != "" {
			name = im.NewName
		}
		switch {
		case im.Digest != "":
			return name + "@" + im.Digest
		case im.NewTag != "":
			return name + ":" + im.NewTag
		case digest != "":
			return name + "@" + digest
		case tag != "":
			return name + ":" + tag
		}
		return name
	}
	return img
}

func setReplicas(objs []map[string]any, replicas []types.Replica) {
	for _, r := range replicas {
		for _, o := range objs {
			switch gvkOf(o).Kind {
			case "Deployment", "ReplicationController", "ReplicaSet", "StatefulSet":
			default:
				continue
			}
			if n, _ := nameOf(o); n == r.Name {
				child(o, true, "spec")["replicas"] = r.Count
			}
		}
	}
}

// podSpecOf is the pod spec of a workload kind.
func podSpecOf(o map[string]any) map[string]any {
	switch gvkOf(o).Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return child(o, false, "spec", "template", "spec")
	case "CronJob":
		return child(o, false, "spec", "jobTemplate", "spec", "template", "spec")
	}
	return nil
}

// placePods merges the node selector and replaces the tolerations of every
// workload's pods, as the overlay's strategic-merge patches do.
func placePods(objs []map[string]any, selector map[string]string, tolerations []any) {
	for _, o := range objs {
		ps := podSpecOf(o)
		if ps == nil {
			continue
		}
		ns := child(ps, true, "nodeSelector")
		for k, v := range selector {
			ns[k] = v
		}
		if tolerations != nil {
			ps["tolerations"] = deepCopy(tolerations)
		}
	}
}

// setContainerResources replaces the resources of a deployment's container.
func setContainerResources(objs []map[string]any, deployment, container string, resources map[string]any) {
	for _, o := range objs {
		if gvkOf(o).Kind != "Deployment" {
			continue
		}
		if n, _ := nameOf(o); n != deployment {
			continue
		}
		ps := podSpecOf(o)
		list, _ := ps["containers"].([]any)
		for _, c := range list {
			if cm, ok := c.(map[string]any); ok && cm["name"] == container {
				cur := child(cm, true, "resources")
				for k, v := range resources {
					sub := child(cur, true, k)
					for q, x := range v.(map[string]any) {
						sub[q] = x
					}
				}
			}
		}
	}
}

// legacySort orders objects as `kustomize build` does without --reorder.
func legacySort(objs []map[string]any) {
	type keyed struct {
		gvk resid.Gvk
		id  string
		o   map[string]any
	}
	ks := make([]keyed, len(objs))
	for i, o := range objs {
		g := gvkOf(o)
		name, ns := nameOf(o)
		if ns == "" {
			ns = "~X"
		}
		if name == "" {
			name = "~N"
		}
		ks[i] = keyed{gvk: g, id: g.String() + "|" + ns + "|" + name, o: o}
	}
	sort.SliceStable(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if !a.gvk.Equals(b.gvk) {
			return gvkLess(a.gvk, b.gvk)
		}
		return a.id < b.id
	})
	for i := range ks {
		objs[i] = ks[i].o
	}
}

var legacyOrderFirst = []string{
	"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
	"ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
	"ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
	"LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
	"Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
}

var legacyOrderLast = []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}

var legacyTypeOrders = func() map[string]int {
	m := map[string]int{}
	for i, n := range legacyOrderFirst {
		m[n] = -len(legacyOrderFirst) + i
	}
	for i, n := range legacyOrderLast {
		m[n] = 1 + i
	}
	return m
}()

func gvkLess(a, b resid.Gvk) bool {
	ia, ib := legacyTypeOrders[a.Kind], legacyTypeOrders[b.Kind]
	if ia != ib {
		return ia < ib
	}
	if a.Kind == "Namespace" && b.Kind == "Namespace" && (a.Group == "" || b.Group == "") {
		return gvkSortString(a) > gvkSortString(b)
	}
	return gvkSortString(a) < gvkSortString(b)
}

func gvkSortString(x resid.Gvk) string {
	g, v, k := x.Group, x.Version, x.Kind
	if g == "" {
		g = "~G"
	}
	if v == "" {
		v = "~V"
	}
	if k == "" {
		k = "~K"
	}
	return g + "_" + v + "_" + k
}

// marshalStream serialises objects as Kustomize does: each through yaml.v2,
// documents separated by "---".
func marshalStream(objs []map[string]any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := encodeYAML(o)
		if err != nil {
			name, _ := nameOf(o)
			return nil, fmt.Errorf("marshalling %s %q: %w", gvkOf(o).Kind, name, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// parseStream parses a multi-document YAML stream into normalised objects.
func parseStream(data []byte) ([]map[string]any, error) {
	var out []map[string]any
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		n, err := normalize(m)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

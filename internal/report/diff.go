package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"sigs.k8s.io/yaml"
)

// objectKey identifies an object across revisions: its API group (not
// version, so apps/v1beta1 → apps/v1 is a change, not a replacement), kind,
// namespace and name.
type objectKey struct {
	group, kind, namespace, name string
}

type keyed struct {
	apiVersion string
	obj        map[string]any
}

// ObjectDiffs compares the objects a tenant renders to before and after a
// change and returns the unified diff of each object that was added,
// removed or changed, sorted by kind, namespace and name. Objects are
// matched by API group, kind, namespace and name, and serialised as YAML
// with sorted keys. The values of a Secret's data and stringData are
// never shown: each is replaced by "(redacted)", or "(redacted, changed)"
// on the after side when it changed. Each diff carries the review flags
// its change raises.
func ObjectDiffs(before, after []map[string]any) ([]ObjectDiff, error) {
	b, err := index(before, "before")
	if err != nil {
		return nil, err
	}
	a, err := index(after, "after")
	if err != nil {
		return nil, err
	}
	keys := slices.Collect(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y objectKey) int {
		return strings.Compare(
			x.kind+"\x00"+x.namespace+"\x00"+x.name+"\x00"+x.group,
			y.kind+"\x00"+y.namespace+"\x00"+y.name+"\x00"+y.group)
	})
	var out []ObjectDiff
	for _, k := range keys {
		old, hadOld := b[k]
		cur, hasCur := a[k]
		d := ObjectDiff{Kind: k.kind, Namespace: k.namespace, Name: k.name}
		var oldObj, curObj map[string]any
		switch {
		case !hadOld:
			d.Change, d.APIVersion, curObj = Added, cur.apiVersion, cur.obj
		case !hasCur:
			d.Change, d.APIVersion, oldObj = Removed, old.apiVersion, old.obj
		default:
			d.Change, d.APIVersion, oldObj, curObj = Changed, cur.apiVersion, old.obj, cur.obj
		}
		d.Flags = flagsOf(k.group, k.kind, oldObj, curObj)
		if k.group == "" && k.kind == "Secret" {
			oldObj, curObj = redactSecret(oldObj, curObj)
		}
		oldYAML, err := toYAML(oldObj)
		if err != nil {
			return nil, fmt.Errorf("serialising %s before: %w", label(k), err)
		}
		curYAML, err := toYAML(curObj)
		if err != nil {
			return nil, fmt.Errorf("serialising %s after: %w", label(k), err)
		}
		if oldYAML == curYAML {
			continue
		}
		from, to := "a/"+label(k), "b/"+label(k)
		switch d.Change {
		case Added:
			from = "/dev/null"
		case Removed:
			to = "/dev/null"
		}
		d.Unified, err = udiff.ToUnified(from, to, oldYAML, udiff.Lines(oldYAML, curYAML), udiff.DefaultContextLines)
		if err != nil {
			return nil, fmt.Errorf("diffing %s: %w", label(k), err)
		}
		out = append(out, d)
	}
	return out, nil
}

// label is an object's name in diff headers: Kind/namespace/name, or
// Kind/name for a cluster-scoped object.
func label(k objectKey) string {
	if k.namespace == "" {
		return k.kind + "/" + k.name
	}
	return k.kind + "/" + k.namespace + "/" + k.name
}

func index(objs []map[string]any, side string) (map[objectKey]keyed, error) {
	m := make(map[objectKey]keyed, len(objs))
	for i, o := range objs {
		apiVersion, _ := o["apiVersion"].(string)
		kind, _ := o["kind"].(string)
		meta, _ := o["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		if kind == "" || name == "" {
			return nil, fmt.Errorf("object %d %s the change has no kind or metadata.name", i, side)
		}
		group := ""
		if g, _, ok := strings.Cut(apiVersion, "/"); ok {
			group = g
		}
		k := objectKey{group: group, kind: kind, namespace: ns, name: name}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("object %s appears twice %s the change", label(k), side)
		}
		m[k] = keyed{apiVersion: apiVersion, obj: o}
	}
	return m, nil
}

// toYAML serialises an object through JSON, so map keys are sorted; nil
// gives the empty string.
func toYAML(o map[string]any) (string, error) {
	if o == nil {
		return "", nil
	}
	y, err := yaml.Marshal(o)
	if err != nil {
		return "", err
	}
	return string(y), nil
}

// redactSecret returns copies of a Secret before and after with the values
// of data and stringData replaced.
func redactSecret(before, after map[string]any) (map[string]any, map[string]any) {
	redact := func(o, other map[string]any, changedNote bool) map[string]any {
		if o == nil {
			return nil
		}
		c := maps.Clone(o)
		for _, field := range []string{"data", "stringData"} {
			vals, ok := o[field].(map[string]any)
			if !ok {
				if _, present := o[field]; present {
					c[field] = "(redacted)"
				}
				continue
			}
			otherVals, _ := other[field].(map[string]any)
			r := make(map[string]any, len(vals))
			for k, v := range vals {
				r[k] = "(redacted)"
				if ov, ok := otherVals[k]; changedNote && ok && fmt.Sprint(ov) != fmt.Sprint(v) {
					r[k] = "(redacted, changed)"
				}
			}
			c[field] = r
		}
		return c
	}
	return redact(before, after, false), redact(after, before, true)
}

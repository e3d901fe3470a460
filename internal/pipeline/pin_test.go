package pipeline

import (
	"bytes"
	"maps"
	"testing"
)

// TestPinBase: a held-back overlay keeps building on the base it built
// on: pinned when the new tree's base differs or is gone, left alone when
// the base is the same, when it is pinned already, or when the baseline
// has no base to pin to.
func TestPinBase(t *testing.T) {
	const dir = "clusters/c1/tenants/t1/production"
	overlay := []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: t1-production\nresources:\n- ../../../../../bases/gold/production\n- resources.yaml\n")
	oldBase := map[string][]byte{
		"bases/gold/production/kustomization.yaml": []byte("resources:\n- resources.yaml\n"),
		"bases/gold/production/resources.yaml":     []byte("quota: 64\n"),
	}
	baseline := map[string][]byte{
		dir + "/kustomization.yaml": overlay,
		dir + "/resources.yaml":     []byte("tenant: t1\n"),
	}
	maps.Copy(baseline, oldBase)
	b := NewMapBaseline(baseline)

	newTree := func(quota string) map[string][]byte {
		files := map[string][]byte{dir + "/kustomization.yaml": overlay, dir + "/resources.yaml": []byte("tenant: t1, changed\n")}
		if quota != "" {
			files["bases/gold/production/kustomization.yaml"] = oldBase["bases/gold/production/kustomization.yaml"]
			files["bases/gold/production/resources.yaml"] = []byte("quota: " + quota + "\n")
		}
		return files
	}

	if pin, err := pinBase(b, dir, newTree("64")); err != nil || pin != nil {
		t.Errorf("same base: pinned %v (%v)", pin, err)
	}
	for _, quota := range []string{"72", ""} {
		pin, err := pinBase(b, dir, newTree(quota))
		if err != nil || pin == nil {
			t.Fatalf("base %q: not pinned (%v)", quota, err)
		}
		want := map[string][]byte{
			dir + "/resources.yaml":                 baseline[dir+"/resources.yaml"],
			dir + "/frozen-base/kustomization.yaml": oldBase["bases/gold/production/kustomization.yaml"],
			dir + "/frozen-base/resources.yaml":     oldBase["bases/gold/production/resources.yaml"],
			dir + "/kustomization.yaml":             bytes.Replace(overlay, []byte("- ../../../../../bases/gold/production\n"), []byte("- frozen-base\n"), 1),
		}
		if !maps.EqualFunc(pin, want, bytes.Equal) {
			t.Errorf("base %q: pinned files\n%q\nwant\n%q", quota, pin, want)
		}
	}

	pinned := NewMapBaseline(map[string][]byte{
		dir + "/kustomization.yaml":            bytes.Replace(overlay, []byte("- ../../../../../bases/gold/production\n"), []byte("- frozen-base\n"), 1),
		dir + "/frozen-base/resources.yaml":    []byte("quota: 64\n"),
		"bases/gold/production/resources.yaml": []byte("quota: 72\n"),
	})
	if pin, err := pinBase(pinned, dir, newTree("80")); err != nil || pin != nil {
		t.Errorf("pinned already: pinned again %v (%v)", pin, err)
	}
	noBase := NewMapBaseline(map[string][]byte{dir + "/kustomization.yaml": overlay})
	if pin, err := pinBase(noBase, dir, newTree("72")); err != nil || pin != nil {
		t.Errorf("no base in the baseline: pinned %v (%v)", pin, err)
	}
}

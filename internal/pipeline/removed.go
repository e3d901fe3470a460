package pipeline

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// removedInput is the policy input of tenant t, which the baseline has and
// the estate no longer: what the previous render recorded of it.
func removedInput(e *estate.Estate, base Baseline, t string, at time.Time) (policy.Input, error) {
	r, err := removedFacts(base, t)
	if err != nil {
		return policy.Input{}, err
	}
	in, err := policy.RemovedInput(e, r, at)
	if err != nil {
		return policy.Input{}, fmt.Errorf("removed tenant %q: %w", t, err)
	}
	return in, nil
}

// removedFacts reads what the previous render recorded of tenant t from
// the Namespaces of its environment directories: its tier and segment
// (labels) and time zone (annotation; a tree rendered before the
// annotation existed has none, and the platform's zone is used).
func removedFacts(base Baseline, t string) (policy.Removed, error) {
	r := policy.Removed{Name: t}
	for _, dir := range base.TenantDirs(t) {
		r.Environments = append(r.Environments, path.Base(dir))
		files, err := base.DirFiles(dir)
		if err != nil {
			return r, err
		}
		for _, p := range slices.Sorted(maps.Keys(files)) {
			if !strings.HasSuffix(p, ".yaml") || !bytes.Contains(files[p], []byte("kind: Namespace")) {
				continue
			}
			ns, err := namespaces(files[p])
			if err != nil {
				return r, fmt.Errorf("reading the previous render's %s: %w", p, err)
			}
			for _, n := range ns {
				if n.Metadata.Labels[render.LabelTenant] != t {
					continue
				}
				r.Tier = cmp.Or(r.Tier, n.Metadata.Labels[render.LabelTier])
				r.Segment = cmp.Or(r.Segment, n.Metadata.Labels[render.LabelSegment])
				r.TimeZone = cmp.Or(r.TimeZone, n.Metadata.Annotations[render.AnnotationTimeZone])
			}
		}
	}
	if pb, ok := base.(previousBaseline); ok {
		if prev := pb.tenants[t]; prev.t != nil {
			r.Calendar = prev.t.Calendar
		}
	}
	return r, nil
}

// WithPrevious is base together with prev, the estate it was rendered
// from (nil when unknown: base alone). A tenant the change removes is then
// judged by its own calendar as prev had it, besides the platform's and
// its tier's: removing a tenant's file does not lift the freeze that
// protects it.
func WithPrevious(base Baseline, prev *estate.Estate) Baseline {
	if prev == nil {
		return base
	}
	pb := previousBaseline{Baseline: base, tenants: map[string]previousTenant{}, est: prev}
	for name, t := range prev.Tenants {
		pb.tenants[name] = previousTenant{t: t}
	}
	return pb
}

// previousBaseline is a baseline with the tenants' previous definitions.
type previousBaseline struct {
	Baseline
	tenants map[string]previousTenant
	// est is the estate the baseline was rendered from, when known.
	est *estate.Estate
}

// lifted lists the windows that the calendars of the estate base was
// rendered from (when known) have apply to tenant name at at, and that e
// ends early for it (freeze.window-lifted).
func lifted(base Baseline, e *estate.Estate, name string, at time.Time) ([]policy.LiftedWindow, error) {
	pb, ok := base.(previousBaseline)
	if !ok || pb.est == nil || pb.est == e {
		return nil, nil
	}
	// A tenant whose removal the last render held back was judged by
	// the definition the held removal names.
	was := cmp.Or(pb.tenants[name].t, pb.est.Tenants[name])
	if was == nil {
		return nil, nil
	}
	ls, err := calendar.Lifts(pb.est, was, e, e.Tenants[name], at)
	if err != nil {
		return nil, fmt.Errorf("the freeze calendar the baseline was rendered with: %w", err)
	}
	return policy.LiftedWindows(ls, was)
}

// previousTenant is a tenant as an estate commit defined it.
type previousTenant struct {
	t      *estate.Tenant
	commit string
}

// calendarFrom is the estate commit base has tenant t's previous
// definition from; empty when unknown.
func calendarFrom(base Baseline, t string) string {
	if pb, ok := base.(previousBaseline); ok {
		return pb.tenants[t].commit
	}
	return ""
}

type namespaceDoc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// namespaces are the Namespace objects of a YAML stream.
func namespaces(data []byte) ([]namespaceDoc, error) {
	docs, err := yamlDocs(data)
	if err != nil {
		return nil, err
	}
	var out []namespaceDoc
	for _, doc := range docs {
		if !bytes.Contains(doc, []byte("kind: Namespace")) {
			continue // most of a tenant's objects: not worth decoding
		}
		var n namespaceDoc
		if err := yaml.Unmarshal(doc, &n); err != nil {
			return nil, err
		}
		if n.Kind == "Namespace" {
			out = append(out, n)
		}
	}
	return out, nil
}

// yamlDocs splits a YAML stream into its documents.
func yamlDocs(data []byte) ([][]byte, error) {
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out [][]byte
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
}

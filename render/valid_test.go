package render

import (
	"testing"

	"github.com/palisade-gitops/palisade/internal/k8svalidate"
)

// TestObjectsValid validates every object of synthetic renders against the
// Kubernetes API types and the upstream CRDs (CloudNativePG, KEDA, External
// Secrets, Prometheus Operator, Traefik, Argo CD, Flux).
func TestObjectsValid(t *testing.T) {
	v := k8svalidate.ForTest(t)
	for _, se := range syntheticEstates(t) {
		e := se.e
		argo := mustRender(t, e, Options{Target: TargetArgoCD})
		flux := mustRender(t, e, Options{Target: TargetFlux})
		for _, target := range []string{TargetArgoCD, TargetFlux} {
			t.Run(se.name+"/"+target, func(t *testing.T) {
				r, other := argo, flux
				if target == TargetFlux {
					r, other = flux, argo
				}
				kinds := map[string]bool{}
				for i, u := range r.Units {
					// Only the GitOps wiring depends on the target: validate
					// the rest once, after checking it is the same.
					if target == TargetFlux && u.Kind != KindGitOps {
						if o := other.Units[i]; o.Dir != u.Dir || string(o.Manifest) != string(u.Manifest) {
							t.Errorf("%s: differs between Argo CD and Flux renders", u.Dir)
						} else {
							continue
						}
					}
					for _, err := range v.Validate(u.Manifest) {
						t.Errorf("%s: %v", u.Dir, err)
					}
					for _, o := range decodeObjects(t, u.Manifest) {
						kinds[str(o, "apiVersion")+"/"+str(o, "kind")] = true
					}
				}
				// The validator must have seen the custom resources, not only
				// built-in kinds.
				want := []string{
					"postgresql.cnpg.io/v1/Cluster", "postgresql.cnpg.io/v1/Database", "postgresql.cnpg.io/v1/Pooler",
					"keda.sh/v1alpha1/ScaledObject", "external-secrets.io/v1/ExternalSecret",
					"monitoring.coreos.com/v1/PrometheusRule", "traefik.io/v1alpha1/IngressRoute",
					"argoproj.io/v1alpha1/AppProject", "argoproj.io/v1alpha1/Application",
				}
				if target == TargetFlux {
					want = []string{"kustomize.toolkit.fluxcd.io/v1/Kustomization", "source.toolkit.fluxcd.io/v1/GitRepository"}
				}
				for _, k := range want {
					if !kinds[k] {
						t.Errorf("render has no %s", k)
					}
				}
			})
		}
	}
}

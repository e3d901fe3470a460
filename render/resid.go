package render

import "sigs.k8s.io/kustomize/kyaml/resid"

// resID selects every object of a kind.
func resID(kind string) resid.ResId { return resid.ResId{Gvk: resid.Gvk{Kind: kind}} }

// Package k8svalidate is the entry point for checking that rendered
// Kubernetes manifests are valid objects.
//
// A [Validator] checks every document of a multi-document YAML stream:
//
//   - Built-in objects of core/v1, apps/v1, batch/v1, networking.k8s.io/v1,
//     policy/v1, autoscaling/v2 and rbac.authorization.k8s.io/v1 are decoded
//     strictly into their k8s.io/api types, so unknown fields, duplicate fields
//     and wrongly typed values are reported with their field path. Any other
//     built-in group/version/kind is rejected.
//   - Custom resources are checked against the openAPIV3Schema of their
//     CustomResourceDefinition with the same code the API server uses
//     (k8s.io/apiextensions-apiserver): unknown fields (as with
//     fieldValidation=Strict), the OpenAPI schema, list-type invariants,
//     embedded ObjectMeta and the CEL rules in x-kubernetes-validations.
//   - Anything else is an error ("no schema for <apiVersion>/<kind>").
//
// The CRDs are not stored in this repository. [LoadCRDs] reads them from the
// Go module cache of the upstream releases listed in [Upstream], fetching the
// modules with `go mod download -json` (checksum-verified, go.mod untouched).
// Tests use [ForTest], which loads [Upstream] once per process.
//
// The checks are structural: the semantic validation of built-in objects lives
// in k8s.io/kubernetes and is not applied here. Object metadata (name, labels,
// annotations, namespace format) is validated for every object.
package k8svalidate

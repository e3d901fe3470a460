// Package render is the entry point for turning an estate into Kubernetes
// objects. For every tenant environment it generates a Kustomize overlay
// over a base per tier and environment class, builds it in-process with
// krusty over an in-memory filesystem (with the stock `kustomize build`
// ordering), and returns both the Kustomize tree and the hydrated objects;
// per cluster it adds the platform objects tenants depend on (shared and
// segment PostgreSQL clusters, shared Redis) and the GitOps wiring (Argo CD
// AppProjects and Applications, or Flux Kustomizations).
//
// Rendering is a pure function of the estate and the options: it never
// touches git, a registry or the network (a test enforces the imports), and
// the same inputs give byte-identical output.
package render

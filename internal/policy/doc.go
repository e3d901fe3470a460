// Package policy is the entry point for governance decisions: it builds the
// input document the Rego rules read (Input, NewInput), compiles the
// embedded policies with the user's (New), evaluates them for many tenants
// at once (Evaluate), applies the tenants' waivers, and runs the policies'
// own unit tests with coverage (Test).
//
// The rules live in the policies/ directory of the module; their input
// document and the violations contract are documented in
// policies/README.md.
package policy

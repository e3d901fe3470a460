// Package policies holds Palisade's built-in governance rules, written in
// Rego v1, with their unit tests. They ship inside the binary and are
// compiled under stable names (policies/<file>.rego) so that positions in
// them read the same on every machine. README.md documents the input
// document the rules read and the violations they produce.
package policies

import "embed"

// FS holds the rules (*.rego) and their tests (*_test.rego).
//
//go:embed *.rego
var FS embed.FS

// Package schema holds the CUE definitions that every estate is validated
// against: #Platform, #Tier, #Tenant, #Window and #Waiver. They ship inside
// the binary and are compiled under stable names (schema/<file>.cue) so that
// error positions in them read the same on every machine.
package schema

import "embed"

// FS holds the schema's CUE files.
//
//go:embed *.cue
var FS embed.FS

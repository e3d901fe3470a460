// Package estate is the entry point for reading an estate: it unifies the
// user's CUE (platform, tiers/, tenants/) with the embedded schema, validates
// it, and returns the typed model every later stage uses. Every problem with
// the input comes back as a Diagnostic with the file, line and column where
// it was written and the CUE path it concerns.
package estate

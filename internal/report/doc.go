// Package report is the entry point for presenting the outcome of a
// pull-request check: one model (Check) holding the blast radius, the
// rendered diffs (ObjectDiffs builds them), the policy results with their
// CUE source positions, the freeze forecast and the waiver notes, and the
// writers that turn it into text, markdown (a GitHub comment or step
// summary, size-bounded), json, sarif (code scanning) and github (workflow
// command annotations): Write.
//
// The package never reads the clock, the environment or the disk: the
// check command gathers the facts, calls Finalize and hands the Check to
// Write once per requested format.
package report

package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// printResults writes policy results as text: every denial and waiver
// event in full, with the estate position it concerns; other warnings
// counted by policy id (--format json lists them all).
func printResults(w io.Writer, e *estate.Estate, results []policy.Result) {
	warnings := map[string]int{}
	for _, r := range results {
		full := r.Severity == policy.SeverityDeny || strings.HasPrefix(r.PolicyID, "waiver.")
		if !full {
			warnings[r.PolicyID]++
			continue
		}
		sev := "DENY"
		switch {
		case r.Severity == policy.SeverityWarn:
			sev = "WARN"
		case r.Waived:
			sev = "WAIVED"
		}
		where := r.Tenant
		if where == "" {
			where = "platform" // the platform's own waivers
		}
		if r.Environment != "" {
			where += "/" + r.Environment
		}
		if !r.Object.IsZero() {
			where += " " + r.Object.Kind + "/" + r.Object.Name
		}
		pos := ""
		if e != nil {
			if p := position(e, r); p.IsValid() {
				pos = p.String() + ": "
			}
		}
		fmt.Fprintf(w, "%s%s %s %s: %s\n", pos, sev, r.PolicyID, where, r.Message)
		if r.Remediation != "" && sev == "DENY" {
			fmt.Fprintf(w, "    fix: %s\n", r.Remediation)
		}
	}
	if len(warnings) > 0 {
		ids := make([]string, 0, len(warnings))
		for id := range warnings {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("%s ×%d", id, warnings[id])
		}
		fmt.Fprintf(w, "warnings: %s (--format json lists them)\n", strings.Join(parts, ", "))
	}
}

// position is where in the estate a result points: its CUE path, else the
// tenant's file.
func position(e *estate.Estate, r policy.Result) estate.Position {
	if len(r.Path) > 0 {
		return e.Position(r.Path...)
	}
	if t, ok := e.Tenants[r.Tenant]; ok {
		return e.Position("tenants", t.Name)
	}
	return estate.Position{}
}

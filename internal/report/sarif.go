package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// fingerprintKey names the partial fingerprint palisade gives each SARIF
// result, so code scanning tracks one alert across runs even when lines
// move.
const fingerprintKey = "palisadeFinding/v1"

// writeSARIF writes a SARIF 2.1.0 log with one run: one rule per policy id
// (its help is the remediation), one result per policy result, level error
// for a denial and warning for a warning. A waived denial keeps its level
// and carries an accepted in-source suppression naming the waiver, so code
// scanning shows it as dismissed. A result points at its CUE source
// position, relative to the repository root; without one, at its tenant's
// file; without that, at the platform file; without that, nowhere (no
// locations, which the SARIF specification allows but GitHub code scanning
// refuses).
func writeSARIF(w io.Writer, c *Check, opts Options) error {
	rep := buildSARIF(c, opts)
	if err := rep.PrettyWrite(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func buildSARIF(c *Check, opts Options) *sarif.Report {
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI("palisade", InformationURI)
	if opts.Version != "" {
		run.Tool.Driver.WithVersion(opts.Version)
	}
	run.WithProperties(sarif.NewPropertyBag().
		Add("base", c.Base.Commit).
		Add("head", c.Head.Commit).
		Add("at", c.At.UTC().Format("2006-01-02T15:04:05Z")).
		Add("verdict", c.Verdict))

	// Rules first, in policy-id order, so result rule indexes are stable.
	type rule struct{ help, level string }
	rules := map[string]*rule{}
	var ids []string
	for _, f := range c.Results {
		r, ok := rules[f.PolicyID]
		if !ok {
			r = &rule{level: sarif.LevelWarning}
			rules[f.PolicyID] = r
			ids = append(ids, f.PolicyID)
		}
		if r.help == "" && f.Remediation != "" {
			r.help = f.Remediation
		}
		if f.Severity == policy.SeverityDeny {
			r.level = sarif.LevelError
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := rules[id]
		d := run.AddRule(id).
			WithName(ruleName(id)).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText("palisade policy " + id)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(r.level))
		if r.help != "" {
			d.WithHelp(sarif.NewMultiformatMessageString().WithText(r.help))
		}
	}

	files := c.tenantFiles()
	for _, f := range c.Results {
		level := sarif.LevelWarning
		if f.Severity == policy.SeverityDeny {
			level = sarif.LevelError
		}
		text := where(f.Result) + ": " + f.Message
		if f.Remediation != "" {
			text += "\nFix: " + f.Remediation
		}
		res := run.CreateResultForRule(f.PolicyID).
			WithLevel(level).
			WithMessage(sarif.NewTextMessage(text)).
			WithPartialFingerprints(map[string]string{fingerprintKey: fingerprint(f.Result)})
		props := sarif.NewPropertyBag().Add("tenant", f.Tenant).Add("severity", f.Severity)
		if f.Environment != "" {
			props.Add("environment", f.Environment)
		}
		if !f.Object.IsZero() {
			props.Add("object", f.Object.String())
		}
		if len(f.Path) > 0 {
			props.Add("path", strings.Join(f.Path, "."))
		}
		res.WithProperties(props)
		if loc := c.repoPos(c.anchor(f, files)); loc.IsValid() {
			region := sarif.NewRegion()
			if loc.Line > 0 {
				region.WithStartLine(loc.Line)
				if loc.Column > 0 {
					region.WithStartColumn(loc.Column)
				}
			}
			phys := sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(loc.File).WithURIBaseID("%SRCROOT%"))
			if loc.Line > 0 {
				phys.WithRegion(region)
			}
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(phys))
		}
		if f.Severity == policy.SeverityDeny && f.Waived {
			res.AddSuppression(sarif.NewSuppression().
				WithKind("inSource").
				WithStatus("accepted").
				WithJustification("waiver " + f.WaiverID))
		}
	}
	rep.AddRun(run)
	return rep
}

// ruleName turns a policy id such as "replicas.min-production" into a
// SARIF rule name (an identifier-like string): "ReplicasMinProduction".
func ruleName(id string) string {
	var b strings.Builder
	upper := true
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if upper && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	return b.String()
}

// fingerprint identifies a finding across runs by what it is about, not
// where or how it is worded.
func fingerprint(r policy.Result) string {
	h := sha256.Sum256([]byte(strings.Join([]string{
		r.PolicyID, r.Tenant, r.Environment, r.Object.String(), r.Image, r.Window, r.WaiverID,
	}, "\x00")))
	return hex.EncodeToString(h[:16])
}

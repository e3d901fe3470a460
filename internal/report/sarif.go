package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// fingerprintKey names the partial fingerprint palisade gives each SARIF
// result, so code scanning tracks one alert across runs even when lines
// move.
const fingerprintKey = "palisadeFinding/v1"

// Rule ids of the review items a check reports beside the policy results.
const (
	// RuleRelaxed is a denial the base revision's policies give on head
	// and the change to the policies lets through.
	RuleRelaxed = "check.policy-relaxed"
	// RuleWindowEndedEarly is a freeze window active at the check's
	// instant that the change removes, reschedules or shortens.
	RuleWindowEndedEarly = "check.window-ended-early"
)

// writeSARIF writes a SARIF 2.1.0 log with one run: one rule per policy id
// (its help is the remediation), one result per policy result, level error
// for a denial and warning for a warning. A waived denial keeps its level
// and carries an accepted in-source suppression naming the waiver, so code
// scanning shows it as dismissed. A result points at its CUE source
// position, relative to the repository root; without one, at its tenant's
// file; without that, at the platform file; without that, nowhere (no
// locations, which the SARIF specification allows but GitHub code scanning
// refuses).
//
// The review items follow, under rules of their own: each denial a change
// to the policies relaxes (RuleRelaxed: an error when the change also
// alters the tenant, as the check then fails, else a warning), and each
// freeze window the change ends early (RuleWindowEndedEarly, a warning at
// the window's definition).
func writeSARIF(w io.Writer, c *Check, opts Options) error {
	rep := buildSARIF(c, opts)
	if err := rep.PrettyWrite(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// sarifRule is a rule of the run, as its results make it: the help is the
// first remediation given, the level the highest.
type sarifRule struct{ short, help, level string }

// sarifResult is a result before it is added to the run. The JUnit
// format reads the same results: tenant is whom it is about (empty for
// a calendar change), subject what, as a test case names it.
type sarifResult struct {
	rule, level, text, fingerprint string
	props                          *sarif.PropertyBag
	at                             Position
	waiver                         string
	tenant, subject                string
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

	rules, results := c.sarifResults()
	// Rules in id order, so result rule indexes are stable.
	for _, id := range slices.Sorted(maps.Keys(rules)) {
		r := rules[id]
		d := run.AddRule(id).
			WithName(ruleName(id)).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(r.short)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(r.level))
		if r.help != "" {
			d.WithHelp(sarif.NewMultiformatMessageString().WithText(r.help))
		}
	}
	for _, r := range results {
		res := run.CreateResultForRule(r.rule).
			WithLevel(r.level).
			WithMessage(sarif.NewTextMessage(r.text)).
			WithPartialFingerprints(map[string]string{fingerprintKey: r.fingerprint}).
			WithProperties(r.props)
		if loc := c.repoPos(r.at); loc.IsValid() {
			res.AddLocation(sarifLocation(loc))
		}
		if r.waiver != "" {
			res.AddSuppression(sarif.NewSuppression().
				WithKind("inSource").
				WithStatus("accepted").
				WithJustification("waiver " + r.waiver))
		}
	}
	rep.AddRun(run)
	return rep
}

// sarifResults are the results of a check, in the order the check lists
// them, and the rules they fall under: the policy results, then the
// denials a change to the policies relaxes, then the freeze windows the
// change ends early.
func (c *Check) sarifResults() (map[string]*sarifRule, []sarifResult) {
	files := c.tenantFiles()
	rules := map[string]*sarifRule{}
	var results []sarifResult
	add := func(r sarifResult, short, help string) {
		d, ok := rules[r.rule]
		if !ok {
			d = &sarifRule{short: short, level: sarif.LevelWarning}
			rules[r.rule] = d
		}
		if d.help == "" {
			d.help = help
		}
		if r.level == sarif.LevelError {
			d.level = sarif.LevelError
		}
		results = append(results, r)
	}
	for _, f := range c.Results {
		level := sarif.LevelWarning
		if f.Severity == policy.SeverityDeny {
			level = sarif.LevelError
		}
		text := where(f.Result) + ": " + f.Message
		if f.Remediation != "" {
			text += "\nFix: " + f.Remediation
		}
		r := sarifResult{rule: f.PolicyID, level: level, text: text, fingerprint: fingerprint(f.Result),
			props: findingProps(f), at: c.anchor(f, files), tenant: f.Tenant, subject: where(f.Result)}
		if f.Severity == policy.SeverityDeny && f.Waived {
			r.waiver = f.WaiverID
		}
		add(r, "palisade policy "+f.PolicyID, f.Remediation)
	}
	if c.Policies != nil {
		for _, f := range c.Policies.Relaxed {
			level, why := sarif.LevelWarning, "review the policy change"
			if f.InputsChanged {
				level, why = sarif.LevelError, "the change also alters the tenant, so it may not relax its own policies"
			}
			text := fmt.Sprintf("%s: the base revision's policies deny it (%s: %s); this change's policy files (%s) let it through: %s",
				where(f.Result), f.PolicyID, f.Message, strings.Join(c.Policies.Files, ", "), why)
			add(sarifResult{rule: RuleRelaxed, level: level, text: text, fingerprint: fingerprint(f.Result),
				props: findingProps(f.Finding).Add("inputsChanged", f.InputsChanged), at: c.anchor(f.Finding, files),
				tenant: f.Tenant, subject: f.PolicyID + " " + where(f.Result)},
				"a denial a change to the policies lets through",
				"keep the policy change and the tenant change in separate pull requests, reviewed by the policies' owners")
		}
	}
	for _, cc := range c.Calendar {
		h := sha256.Sum256([]byte(strings.Join([]string{RuleWindowEndedEarly, cc.Calendar, cc.Owner, cc.Window}, "\x00")))
		props := sarif.NewPropertyBag().Add("window", cc.Window).Add("calendar", cc.Calendar).
			Add("change", cc.Change).Add("tenants", cc.Tenants)
		if cc.Owner != "" {
			props.Add("owner", cc.Owner)
		}
		at := cc.Position
		if !at.IsValid() {
			at = Position{File: c.PlatformFile}
		}
		add(sarifResult{rule: RuleWindowEndedEarly, level: sarif.LevelWarning, fingerprint: hex.EncodeToString(h[:16]),
			text: cc.describe() + "\nReview: editing the calendar is how a change gets through a freeze.", props: props, at: at,
			subject: "window " + cc.Window},
			"a freeze window active now that the change ends early",
			"confirm with the window's owner that the freeze may end early")
	}
	return rules, results
}

// findingProps are the properties of a result about a policy finding.
func findingProps(f Finding) *sarif.PropertyBag {
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
	return props
}

// sarifLocation is a location in the repository: a file, and a region when
// the line is known.
func sarifLocation(loc Position) *sarif.Location {
	phys := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(loc.File).WithURIBaseID("%SRCROOT%"))
	if loc.Line > 0 {
		region := sarif.NewRegion().WithStartLine(loc.Line)
		if loc.Column > 0 {
			region.WithStartColumn(loc.Column)
		}
		phys.WithRegion(region)
	}
	return sarif.NewLocationWithPhysicalLocation(phys)
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

package report

import (
	"encoding/xml"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// writeJUnit writes the check as JUnit XML, for CI systems that show test
// reports beside a merge request (GitLab's artifacts:reports:junit,
// Jenkins, Azure Pipelines) and not SARIF. It lists what the SARIF format
// does, grouped by tenant: a test suite per tenant the change affects or a
// result concerns, in name order, holding a test case per result (named
// by its rule and subject, "isolation.quota acme/production"). A denial
// that stands, or a policy relaxation the check fails on, is a failure
// whose message is the result and whose text its place in the repository
// and fix; a waived denial, a warning or a review item passes, with its
// text as the case's output. A tenant without results has one passing
// case, "policies". The freeze windows the change ends early are the
// suite "calendar". Tests take no time here: every time is 0.
func writeJUnit(w io.Writer, c *Check, _ Options) error {
	_, results := c.sarifResults()
	byTenant := map[string][]sarifResult{}
	for _, t := range c.Blast.Tenants {
		byTenant[t.Tenant] = nil
	}
	for _, r := range results {
		byTenant[r.tenant] = append(byTenant[r.tenant], r)
	}
	files := c.tenantFiles()
	suites := junit.Testsuites{Name: "palisade check"}
	names := slices.Sorted(maps.Keys(byTenant))
	// The calendar's suite, without a tenant, comes last.
	if len(names) > 0 && names[0] == "" {
		names = append(names[1:], "")
	}
	for id, tenant := range names {
		s := junit.Testsuite{Name: tenant, ID: id, Time: "0", File: c.repoPath(files[tenant])}
		if tenant == "" {
			s.Name, s.File = "calendar", ""
		}
		if len(byTenant[tenant]) == 0 {
			s.AddTestcase(junit.Testcase{Name: "policies", Classname: s.Name, Time: "0"})
		}
		for _, r := range byTenant[tenant] {
			tc := junit.Testcase{Name: r.rule + " " + r.subject, Classname: s.Name, Time: "0"}
			message, _, _ := strings.Cut(r.text, "\n")
			detail := r.text
			if at := c.repoPos(r.at); at.IsValid() {
				detail = "at " + at.String() + "\n" + detail
			}
			switch {
			case r.level == sarif.LevelError && r.waiver == "":
				tc.Failure = &junit.Result{Message: message, Type: r.rule, Data: detail}
			case r.waiver != "":
				tc.SystemOut = &junit.Output{Data: "waived by " + r.waiver + "\n" + detail}
			default:
				tc.SystemOut = &junit.Output{Data: detail}
			}
			s.AddTestcase(tc)
		}
		suites.AddSuite(s)
	}
	return WriteJUnitXML(w, &suites)
}

// WriteJUnitXML writes suites as a JUnit XML document: the XML
// declaration, which the library's WriteXML leaves out and some readers
// require, then the suites.
func WriteJUnitXML(w io.Writer, suites *junit.Testsuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	return suites.WriteXML(w)
}

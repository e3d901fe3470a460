package cli

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// The JUnit report of `policy test` reads back as what a CI system's test
// report sees: a suite per Rego package with its counts, and the failing
// test's place, failed expression and values.
func TestPolicyTestJUnit(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run([]string{"policy", "test", "--format", "junit",
		"--policy", "../policy/testdata/failing-test", "--policy", "../policy/testdata/user-rule"}, &out, &errb)
	if code != ExitDenied || errb.Len() > 0 {
		t.Fatalf("exit %d, stderr %q; want %d and nothing", code, errb.String(), ExitDenied)
	}
	if !strings.HasPrefix(out.String(), xml.Header) {
		t.Errorf("no XML declaration: %.80q", out.String())
	}
	var got junit.Testsuites
	if err := xml.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Failures != 1 || got.Errors != 0 || got.Tests < 100 {
		t.Errorf("testsuites: %d tests, %d failures, %d errors; want 100 or more, 1, 0", got.Tests, got.Failures, got.Errors)
	}
	suites := map[string]junit.Testsuite{}
	total := 0
	for _, s := range got.Suites {
		suites[s.Name] = s
		total += len(s.Testcases)
		if s.Tests != len(s.Testcases) {
			t.Errorf("suite %s counts %d tests, holds %d", s.Name, s.Tests, len(s.Testcases))
		}
		for _, tc := range s.Testcases {
			if tc.Classname != s.Name || tc.Time == "" {
				t.Errorf("suite %s: test case %+v", s.Name, tc)
			}
		}
	}
	if total != got.Tests {
		t.Errorf("%d test cases in the suites, %d counted", total, got.Tests)
	}
	failing := suites["data.palisade.rules.always_test"]
	if failing.File != "../policy/testdata/failing-test/always_test.rego" || failing.Tests != 2 || failing.Failures != 1 {
		t.Fatalf("the failing suite: %+v", failing)
	}
	for _, tc := range failing.Testcases {
		switch tc.Name {
		case "test_passes":
			if tc.Failure != nil || tc.Error != nil || tc.Skipped != nil {
				t.Errorf("test_passes: %+v", tc)
			}
		case "test_fails":
			want := "../policy/testdata/failing-test/always_test.rego:9:\n  x == 3\n  |\n  2"
			if tc.Failure == nil || tc.Failure.Message != "../policy/testdata/failing-test/always_test.rego:7: test_fails failed" || tc.Failure.Data != want {
				t.Errorf("test_fails: failure %+v, want its place and\n%s", tc.Failure, want)
			}
		default:
			t.Errorf("unexpected test case %q", tc.Name)
		}
	}
	if s := suites["data.palisade.tests.capacity"]; s.File != "policies/capacity_test.rego" || s.Failures != 0 || s.Tests < 2 {
		t.Errorf("a built-in suite: %+v", s)
	}
}

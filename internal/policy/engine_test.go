package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

func newTestEngine(t testing.TB, dirs ...string) *Engine {
	t.Helper()
	e, err := New(context.Background(), dirs)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

func evaluate(t *testing.T, e *Engine, ins ...Input) []Result {
	t.Helper()
	res, err := e.Evaluate(context.Background(), ins)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return res
}

// ids lists "severity policy environment object" of each result.
func ids(res []Result) []string {
	var out []string
	for _, r := range res {
		s := r.Severity + " " + r.PolicyID + " " + r.Environment
		if !r.Object.IsZero() {
			s += " " + r.Object.Kind + "/" + r.Object.Name
		}
		if r.Waived {
			s += " waived by " + r.WaiverID
		}
		out = append(out, s)
	}
	return out
}

func TestValidInputsPass(t *testing.T) {
	e := newTestEngine(t)
	for _, iso := range []string{"dedicated", "shared"} {
		if res := evaluate(t, e, testInput("acme", iso)); len(res) != 0 {
			t.Errorf("%s tenant: want no results, got\n%s", iso, strings.Join(ids(res), "\n"))
		}
	}
}

// TestRulesFire breaks valid inputs one way at a time and checks the
// expected rule reports it: the Go inputs (ints, nested Go maps) reach the
// Rego rules intact.
func TestRulesFire(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name    string
		iso     string
		breakIt func(in *Input)
		want    []string
	}{{
		name: "web replicas below the tier minimum",
		iso:  "dedicated",
		breakIt: func(in *Input) {
			find(in, 0, "Deployment", "odoo-web")["spec"].(obj)["replicas"] = 1
		},
		want: []string{"deny resilience.replicas production Deployment/odoo-web"},
	}, {
		name: "plaintext secret",
		iso:  "shared",
		breakIt: func(in *Input) {
			in.Environments[1].Objects = append(in.Environments[1].Objects, obj{
				"apiVersion": "v1", "kind": "Secret", "metadata": obj{"name": "admin", "namespace": "acme-staging"}})
		},
		want: []string{"deny security.plaintext-secret staging Secret/admin"},
	}, {
		name: "unverified image warns before the image stage enforces",
		iso:  "shared",
		breakIt: func(in *Input) {
			in.SupplyChain.Enforced = false
			in.Images[0].Verified, in.Images[0].Reason = false, "no signatures found"
		},
		want: []string{"warn supply-chain.signature production", "warn supply-chain.signature staging"},
	}, {
		name: "quota too small",
		iso:  "dedicated",
		breakIt: func(in *Input) {
			find(in, 2, "ResourceQuota", "tenant-quota")["spec"].(obj)["hard"].(obj)["requests.memory"] = "4Gi"
		},
		want: []string{"deny capacity.quota staging ResourceQuota/tenant-quota"},
	}, {
		name: "freeze",
		iso:  "dedicated",
		breakIt: func(in *Input) {
			in.Change = Change{Changed: true, Environments: []string{"production"}}
			in.Windows = []Window{blackFriday}
		},
		want: []string{"deny freeze.window-active production"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput("acme", tt.iso)
			tt.breakIt(&in)
			if got := ids(evaluate(t, e, in)); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

var blackFriday = Window{
	Name: "black-friday-2026", Kind: "promotion", Calendar: "tenant",
	Scope: WindowScope{Level: "tenant", Name: "acme"}, Zone: "Europe/Paris",
	Start: "2026-11-26T23:00:00Z", End: "2026-12-01T23:00:00Z", EndLocal: "2026-12-02 00:00 Europe/Paris",
}

func TestFreezeMessage(t *testing.T) {
	e := newTestEngine(t)
	in := testInput("maison-laurent", "dedicated")
	in.Change = Change{Changed: true, Environments: []string{}}
	in.Windows = []Window{blackFriday}
	res := evaluate(t, e, in)
	if len(res) != 1 {
		t.Fatalf("want one result, got %v", ids(res))
	}
	want := `change to "maison-laurent" is frozen by promotion window "black-friday-2026" (tenant scope) until 2026-12-02 00:00 Europe/Paris`
	if r := res[0]; r.Message != want || r.Window != "black-friday-2026" || !slices.Equal(r.Path, []string{"tenants", "maison-laurent", "calendar", "black-friday-2026"}) {
		t.Errorf("got %+v\nwant message %q", r, want)
	}
	if !Denied(res) || DeniedBeyondFreeze(res) || !slices.Equal(Frozen(res), []string{"maison-laurent"}) {
		t.Errorf("Denied %v, DeniedBeyondFreeze %v, Frozen %v", Denied(res), DeniedBeyondFreeze(res), Frozen(res))
	}
}

func TestResultsSortedAcrossTenants(t *testing.T) {
	e := newTestEngine(t)
	var ins []Input
	for _, name := range []string{"zeta", "alpha", "mu"} {
		in := testInput(name, "shared")
		in.SupplyChain.Enforced = false
		in.Images = nil
		ins = append(ins, in)
	}
	res := evaluate(t, e, ins...)
	if !slices.IsSortedFunc(res, CompareResults) {
		t.Errorf("results not sorted: %v", ids(res))
	}
	if res[0].Tenant != "alpha" || res[len(res)-1].Tenant != "zeta" {
		t.Errorf("first %q, last %q", res[0].Tenant, res[len(res)-1].Tenant)
	}
	if Denied(res) {
		t.Errorf("warnings only, yet Denied")
	}
}

func TestUserPolicyAddsRule(t *testing.T) {
	e := newTestEngine(t, "testdata/user-rule")
	res := evaluate(t, e, testInput("acme", "shared"))
	var got []string
	for _, r := range res {
		got = append(got, r.Severity+" "+r.PolicyID+" "+r.Environment+" "+r.Object.String()+": "+r.Message)
	}
	want := []string{
		"warn acme.owner-label production acme-prod/Deployment/odoo-cron: Deployment/odoo-cron has no acme.example/owner label",
		"warn acme.owner-label production acme-prod/Deployment/odoo-longpolling: Deployment/odoo-longpolling has no acme.example/owner label",
		"warn acme.owner-label production acme-prod/Deployment/odoo-web: Deployment/odoo-web has no acme.example/owner label",
		"warn acme.owner-label production acme-prod/Deployment/odoo-worker: Deployment/odoo-worker has no acme.example/owner label",
	}
	got = slices.DeleteFunc(got, func(s string) bool { return strings.Contains(s, " staging ") })
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUserPolicyErrors(t *testing.T) {
	tests := []struct {
		dir  string
		want string
	}{
		{"testdata/syntax-error", "testdata/syntax-error/broken.rego:4:28: rego_parse_error: unexpected string token: non-terminated object"},
		{"testdata/type-error", "testdata/type-error/typo.rego:5:58: rego_type_error: undefined function sprintf_typo"},
		// Rules are type-checked against InputSchema.
		{"testdata/input-typo", "testdata/input-typo/typo.rego:6:2: rego_type_error: undefined ref: input.tenant.nmae; input.tenant has brand, file, name, segment, tier, timeZone (did you mean name?)"},
		{"testdata/input-tier", "testdata/input-tier/bounds.rego:6:2: rego_type_error: undefined ref: input.tier.environments[env.class].replicas.web.minimum; input.tier.environments[env.class].replicas.web has default, max, min"},
		{"testdata/input-type", "testdata/input-type/wrongtype.rego:5:2: rego_type_error: startswith: invalid argument(s); have: (array[string], string), want: (search: string, base: string, result: boolean)"},
		// Rules that look like policies but that the engine never reads.
		{"testdata/unread-package", "testdata/unread-package/guard.rego:4:1: palisade_unread_rule: rule violations of package acme.guard is never evaluated: only packages under palisade.rules contribute violations (package palisade.rules.guard, say)"},
		{"testdata/unread-deny", "testdata/unread-deny/ported.rego:4:1: palisade_unread_rule: rule deny is never evaluated: Palisade reads the violations of each palisade.rules package, which palisade.rules.ported does not define; contribute to violations (policies/README.md)"},
		{"testdata/unread-deny-beside", "testdata/unread-deny-beside/ported.rego:11:1: palisade_unread_rule: rule deny is never evaluated: Palisade reads the violations of palisade.rules.ported, and no rule refers to deny; contribute to violations, or use deny in the violations rule"},
		// A rule in a built-in package would amend the built-in rules.
		{"testdata/builtin-package", "testdata/builtin-package/quota.rego:3:1: palisade_builtin_package: package palisade.rules.isolation is a built-in policy package: rules declared here would join its rules of the same name and could change what the built-in policies decide; put your rules in a package of your own (package palisade.rules.acme, say)"},
		{"testdata/unread-nested", "testdata/unread-nested/pci.rego:4:1: palisade_unread_rule: rule violations of package palisade.rules.acme.pci is never evaluated: Palisade reads the violations of each package directly under palisade.rules, not of those nested deeper (package palisade.rules.acme_pci, say)"},
		{"testdata/unread-nested-head", "testdata/unread-nested-head/pci.rego:4:1: palisade_unread_rule: rule pci.violations of package palisade.rules.acme is never evaluated: Palisade reads the violations of each package directly under palisade.rules, not of those nested deeper (package palisade.rules.acme_pci, say)"},
		{"testdata/builtin-id", "testdata/builtin-id/quota.rego:7:2: palisade_builtin_id: policy id \"isolation.quota\" is a built-in rule's: your violations would be reported, waived and counted as its; give them an id of your own (acme.quota, say)"},
		// References under data to nothing: no data, package or rule.
		{"testdata/data-typo", "testdata/data-typo/typo.rego:11:26: palisade_undefined_data: data.acme.ownerLable is in no policy data file: data.acme holds costCentres, ownerLabel (did you mean ownerLabel?); reading it is undefined for every tenant, so a rule that needs it never fires; for a key that may be absent, use object.get(data.acme, \"ownerLable\", default)"},
		{"testdata/data-root-typo", "testdata/data-root-typo/typo.rego:9:26: palisade_undefined_data: data.acmee is neither a policy package nor in a policy data file: data holds acme, palisade (did you mean acme?); reading it is undefined for every tenant, so a rule that needs it never fires"},
		{"testdata/helper-typo", "testdata/helper-typo/host.rego:8:20: palisade_undefined_data: data.palisade.lib.pod is not a rule of package palisade.lib (did you mean pods?); reading it is undefined for every tenant, so a rule that needs it never fires"},
		{"testdata/no-such-dir", "testdata/no-such-dir: policy directory does not exist or cannot be read"},
		{"testdata/user-rule/owner.rego", "testdata/user-rule/owner.rego: not a directory: --policy takes a directory of Rego and data files"},
	}
	for _, tt := range tests {
		t.Run(path.Base(tt.dir), func(t *testing.T) {
			_, err := New(context.Background(), []string{tt.dir})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *CompileError, got %T: %v", err, err)
			}
			if len(ce.Problems) != 1 || ce.Problems[0].String() != tt.want {
				t.Errorf("got\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// User rules that break the contract at run time fail the evaluation: a
// violation whose severity is neither deny nor warn, and a built-in rule's
// id built at run time, where builtinIDReuse cannot read it (reported at
// its package's violations rule, once however many violations it gave).
func TestEvalErrors(t *testing.T) {
	for _, tt := range []struct {
		dir, isolation, want string
	}{
		{"testdata/bad-severity", "shared", `evaluating policies for tenant "acme": violation "loud.rule" has severity "error": want deny or warn`},
		{"testdata/builtin-id-runtime", "dedicated", `evaluating policies for tenant "acme": testdata/builtin-id-runtime/quota.rego:9:1: palisade_builtin_id: package palisade.rules.acme gave a violation with id "isolation.quota", a built-in rule's: it would be reported, waived and counted as that rule's; give it an id of your own (acme.quota, say)`},
	} {
		t.Run(path.Base(tt.dir), func(t *testing.T) {
			e := newTestEngine(t, tt.dir)
			_, err := e.Evaluate(context.Background(), []Input{testInput("acme", tt.isolation)})
			var ee *EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("want an *EvalError, got %T: %v", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("got %q\nwant %q", err, tt.want)
			}
		})
	}
}

func TestBuiltinTests(t *testing.T) {
	e := newTestEngine(t)
	rep, err := e.Test(context.Background(), TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range rep.Tests {
		if !tr.Pass {
			t.Errorf("%s:%d: %s failed %s", tr.File, tr.Row, tr.Name, tr.Error)
		}
	}
	if rep.Passed < 100 || rep.Failed != 0 {
		t.Errorf("passed %d, failed %d", rep.Passed, rep.Failed)
	}
	if rep.Coverage < 90 {
		t.Errorf("coverage %.1f%%, want at least 90%%; not covered: %+v", rep.Coverage, rep.Files)
	}
	for _, f := range rep.Files {
		if strings.HasSuffix(f.File, "_test.rego") || !strings.HasPrefix(f.File, "policies/") {
			t.Errorf("coverage reports %q, want only the rule modules", f.File)
		}
	}
	t.Logf("%s", rep)
}

func TestUserTests(t *testing.T) {
	e := newTestEngine(t, "testdata/user-rule", "testdata/failing-test")
	rep, err := e.Test(context.Background(), TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var failed, user []string
	for _, tr := range rep.Tests {
		if strings.HasPrefix(tr.File, "testdata/") {
			user = append(user, fmt.Sprintf("%s:%d %s %v", tr.File, tr.Row, tr.Name, tr.Pass))
		}
		if !tr.Pass {
			failed = append(failed, tr.Name)
		}
	}
	want := []string{
		"testdata/failing-test/always_test.rego:3 test_passes true",
		"testdata/failing-test/always_test.rego:7 test_fails false",
		"testdata/user-rule/owner_test.rego:5 test_unlabelled_deployment_warns true",
		"testdata/user-rule/owner_test.rego:10 test_labelled_deployment_passes true",
	}
	if !slices.Equal(user, want) {
		t.Errorf("user tests\n%s\nwant\n%s", strings.Join(user, "\n"), strings.Join(want, "\n"))
	}
	if rep.OK() || rep.Failed != 1 || !slices.Equal(failed, []string{"test_fails"}) {
		t.Errorf("failed %d %v, want test_fails only", rep.Failed, failed)
	}
	// A failure says which expression failed, and with what values.
	for _, tr := range rep.Tests {
		want := ""
		if tr.Name == "test_fails" {
			want = "testdata/failing-test/always_test.rego:9:\n  x == 3\n  |\n  2"
		}
		if tr.FailedAt != want {
			t.Errorf("%s: FailedAt\n%s\nwant\n%s", tr.Name, tr.FailedAt, want)
		}
	}
}

func TestUserTestCompileError(t *testing.T) {
	// A test module that does not compile is an input error too; it is
	// only compiled by Test, as evaluation skips test modules.
	dir := t.TempDir()
	writeFile(t, dir+"/x_test.rego", "package x_test\n\ntest_x if {\n\tundefined_fn(1)\n}\n")
	e := newTestEngine(t, dir)
	// Also when the tests selected are none of that module's.
	for _, run := range []string{"", `\.test_quota_ok$`} {
		_, err := e.Test(context.Background(), TestOptions{Run: run})
		var ce *CompileError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "x_test.rego:4:") {
			t.Fatalf("run %q: want a *CompileError at x_test.rego:4, got %T: %v", run, err, err)
		}
	}
}

// TestDirsFromFS loads user policies from a file system other than the
// disk, beside a directory on disk: files are named by their path in it,
// and the data documents of both are merged.
func TestDirsFromFS(t *testing.T) {
	owner, err := os.ReadFile("testdata/user-rule/owner.rego")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"rev/guard/owner.rego": {Data: owner},
		"rev/guard/data.yaml":  {Data: []byte("acme:\n  ownerLabel: acme.example/owner\n")},
		"rev/other/data.json":  {Data: []byte(`{"acme": {"costCentre": "retail"}}`)},
		"rev/broken/bad.rego":  {Data: []byte("package palisade.rules.bad\n\nviolations contains x if {\n\tx :=\n}\n")},
	}
	e, err := NewFrom(context.Background(), []Dir{{FS: fsys, Path: "rev/guard"}, {Path: "testdata/user-rule-data"}})
	if err == nil || !strings.Contains(err.Error(), "testdata/user-rule-data: policy directory does not exist") {
		t.Fatalf("a missing disk directory: got %v", err)
	}
	e, err = NewFrom(context.Background(), []Dir{{FS: fsys, Path: "rev/guard"}, {FS: fsys, Path: "rev/other"}})
	if err != nil {
		t.Fatal(err)
	}
	res := evaluate(t, e, testInput("acme", "shared"))
	if !slices.ContainsFunc(res, func(r Result) bool { return r.PolicyID == "acme.owner-label" }) {
		t.Errorf("the rule read from the file system does not fire: %+v", res)
	}
	if _, ok := e.data["acme"].(map[string]any)["costCentre"]; !ok {
		t.Errorf("data not merged: %v", e.data)
	}

	_, err = NewFrom(context.Background(), []Dir{{FS: fsys, Path: "rev/broken"}})
	if want := "rev/broken/bad.rego:5:1: rego_parse_error"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want an error at %s", err, want)
	}

	// The same data document from the disk and from another file system.
	_, err = NewFrom(context.Background(), []Dir{{Path: "testdata/user-rule"}, {FS: fsys, Path: "rev/guard"}})
	if err == nil || !strings.Contains(err.Error(), "data document data.acme.ownerLabel is defined by two policy directories") {
		t.Errorf("a data conflict: got %v", err)
	}
}

// TestUnreadRulesUntyped: the untyped engine takes the policies as OPA
// does, so a check can still judge head by a base revision that had such
// a rule.
func TestUnreadRulesUntyped(t *testing.T) {
	if _, err := NewFromUntyped(context.Background(), []Dir{{Path: "testdata/unread-package"}}); err != nil {
		t.Fatal(err)
	}
}

// A deny rule beside violations is unread unless a policy rule refers to
// it: by name in its package, by a data reference, or by an import.
func TestDenyBesideViolations(t *testing.T) {
	if _, err := New(context.Background(), []string{"testdata/deny-helper"}); err != nil {
		t.Fatalf("deny read by violations: %v", err)
	}
	const ported = `package palisade.rules.ported

violations contains {"id": "ported.x", "severity": "warn", "message": "m", "remediation": "r"} if false

deny contains "no" if false
`
	tests := []struct {
		name   string
		other  string // a second module, "" for none
		unread bool
	}{
		{"alone", "", true},
		{"by data reference", "package palisade.rules.other\n\nx := count(data.palisade.rules.ported.deny)\n", false},
		{"by a reference through a variable", "package palisade.rules.other\n\nx := [d | some p; d := data.palisade.rules[p].deny]\n", false},
		{"by the whole package", "package palisade.rules.other\n\nx := data.palisade.rules.ported\n", false},
		{"by an import", "package palisade.rules.other\n\nimport data.palisade.rules.ported.deny\n", false},
		{"only by a test", "package palisade.rules.ported_test\n\ntest_deny if count(data.palisade.rules.ported.deny) == 0\n", true},
		{"another package's deny", "package palisade.rules.other\n\nx := count(data.palisade.rules.other.deny)\n\ndeny contains 1 if false\n\nviolations contains 1 if false\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods := map[string]*ast.Module{"ported.rego": ast.MustParseModuleWithOpts(ported, ast.ParserOptions{RegoVersion: ast.RegoV1})}
			user := []string{"ported.rego"}
			if tt.other != "" {
				file := "other.rego"
				if strings.Contains(tt.other, "_test") {
					file = "other_test.rego"
				}
				mods[file] = ast.MustParseModuleWithOpts(tt.other, ast.ParserOptions{RegoVersion: ast.RegoV1})
			}
			var got []string
			for _, p := range unreadRules(mods, user) {
				if p.File == "ported.rego" {
					got = append(got, p.Message)
				}
			}
			if unread := len(got) > 0; unread != tt.unread {
				t.Errorf("unread %v, want %v: %q", unread, tt.unread, got)
			}
		})
	}
}

// Identical violations from two packages are one entry of Query's set,
// and one result.
func TestSameViolationFromTwoPackages(t *testing.T) {
	e := newTestEngine(t, "testdata/twin")
	res, err := e.Evaluate(context.Background(), []Input{testInput("acme", "shared")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].PolicyID != "acme.twin" {
		t.Errorf("got %+v, want one acme.twin", res)
	}
}

// A user's module is covered by the user's tests alone: the built-in
// tests evaluate every package through the entry point, and would
// otherwise cover a user rule that no test of the user's exercises.
func TestUserCoverageIsTheUsersTests(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/owner.rego", `package palisade.rules.acme_owner

violations contains {"id": "acme.owner", "severity": "warn", "message": "no owner"} if {
	some env in input.environments
	some obj in env.objects
	obj.kind == "Deployment"
	not obj.metadata.labels.owner
}
`)
	e := newTestEngine(t, dir, "testdata/user-rule")
	rep, err := e.Test(context.Background(), TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]FileCoverage{}
	for _, f := range rep.Files {
		byFile[f.File] = f
	}
	untested := byFile[filepath.ToSlash(dir)+"/owner.rego"]
	if !untested.User || untested.Coverage != 0 || len(untested.NotCovered) == 0 {
		t.Errorf("the untested user module: %+v, want user, 0%% and its lines not covered", untested)
	}
	if tested := byFile["testdata/user-rule/owner.rego"]; !tested.User || tested.Coverage != 100 {
		t.Errorf("the tested user module: %+v, want user and 100%%", tested)
	}
	if lib := byFile["policies/lib.rego"]; lib.User || lib.Coverage != 100 {
		t.Errorf("a built-in module: %+v, want 100%% by the built-in tests", lib)
	}
	if rep.UserCoverage == nil || *rep.UserCoverage <= 0 || *rep.UserCoverage >= 100 {
		t.Errorf("user coverage %v, want between 0 and 100", rep.UserCoverage)
	}
	if rep.Failed != 0 {
		t.Errorf("%d failed", rep.Failed)
	}
}

// A user's test that has the full name of another test, built-in or
// the user's (the same package and rule name: OPA renames the second
// one it meets "name#01", in no set order), runs and is reported as its
// own, under its own name: not hidden behind, nor standing in for, the
// other one.
func TestDuplicateTestNames(t *testing.T) {
	dir := t.TempDir()
	// The built-in package and name of policies/security_test.rego's first test.
	writeFile(t, dir+"/security_test.rego", "package palisade.tests.security\n\ntest_security_ok if {\n\tcount(container) == 0\n}\n")
	writeFile(t, dir+"/one_test.rego", "package acme_test\n\ntest_twice if {\n\ttrue\n}\n")
	writeFile(t, dir+"/two_test.rego", "package acme_test\n\ntest_twice if {\n\t1 == 2\n}\n")
	d := filepath.ToSlash(dir)
	e := newTestEngine(t, dir)
	// OPA's renaming follows map order: several runs meet both orders.
	for range 4 {
		rep, err := e.Test(context.Background(), TestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range rep.Tests {
			if strings.HasPrefix(tr.File, d) || tr.Name == "test_security_ok" {
				at, _, _ := strings.Cut(strings.ReplaceAll(tr.FailedAt, d, "dir"), "\n")
				got = append(got, fmt.Sprintf("%s:%d %s %v %s", strings.Replace(tr.File, d, "dir", 1), tr.Row, tr.Name, tr.Pass, at))
			}
		}
		want := []string{
			"dir/one_test.rego:3 test_twice true ",
			"dir/security_test.rego:3 test_security_ok false dir/security_test.rego:4:",
			"dir/two_test.rego:3 test_twice false dir/two_test.rego:4:",
			"policies/security_test.rego:9 test_security_ok true ",
		}
		if !slices.Equal(got, want) || rep.Failed != 2 {
			t.Fatalf("%d failed; tests\n%s\nwant 2 failed,\n%s", rep.Failed, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestOptions.Run selects tests by their full names, on both sides; a
// selection that matches nothing is an error, not a pass.
func TestTestRun(t *testing.T) {
	e := newTestEngine(t, "testdata/user-rule")
	for _, tt := range []struct {
		run  string
		want []string
		err  string
	}{
		{run: `\.test_quota_(ok|missing_denied)$`, want: []string{"test_quota_ok", "test_quota_missing_denied"}},
		{run: `acme_test\.test_labelled`, want: []string{"test_labelled_deployment_passes"}},
		{run: `^data\.palisade\.tests\.lib\.test_images$|unlabelled`, want: []string{"test_images", "test_unlabelled_deployment_warns"}},
		{run: `acme_tset`, err: "no test's name matches 'acme_tset'"},
		{run: `(`, err: "is not a regular expression"},
	} {
		t.Run(tt.run, func(t *testing.T) {
			rep, err := e.Test(context.Background(), TestOptions{Run: tt.run})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range rep.Tests {
				got = append(got, tr.Name)
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) || rep.Run != tt.run {
				t.Errorf("ran %q (Run %q), want %q", got, rep.Run, tt.want)
			}
		})
	}
}

// A failing expression that does not begin its line is shown from its
// first column, as one that does.
func TestFailedAtInline(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/x_test.rego", "package x_test\n\ntest_inline if { n := count([1, 2]); n == 3 }\n")
	e := newTestEngine(t, dir)
	rep, err := e.Test(context.Background(), TestOptions{Run: `x_test\.`})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.ToSlash(dir) + "/x_test.rego:3:\n  n == 3\n  |\n  2"
	if len(rep.Tests) != 1 || rep.Tests[0].FailedAt != want {
		t.Fatalf("got %+v\nwant FailedAt\n%s", rep.Tests, want)
	}
}

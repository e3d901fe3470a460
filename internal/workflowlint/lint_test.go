package workflowlint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var serial = Options{Serial: []string{"render.yml"}}

// repoRoot is the module root: the nearest directory above with go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func TestRepository(t *testing.T) {
	res, err := Check(repoRoot(t), serial)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	for _, want := range []string{
		".github/actions/palisade/action.yml",
		".github/workflows/ci.yml",
		".github/workflows/evidence.yml",
		".github/workflows/pr-check.yml",
		".github/workflows/render.yml",
	} {
		if !slices.Contains(res.Files, want) {
			t.Errorf("%s was not checked; checked %q", want, res.Files)
		}
	}
}

// Each mistake, made in a copy of the repository's .github, is caught.
func TestCatchesMistakes(t *testing.T) {
	root := repoRoot(t)
	for _, tc := range []struct {
		name, file, old, new string
		kind, message        string // of the expected problem
	}{
		{
			name: "typo in a job key", file: "workflows/pr-check.yml",
			old: "    runs-on: ubuntu-latest", new: "    runs-onn: ubuntu-latest",
			kind: "syntax-check", message: `unexpected key "runs-onn"`,
		},
		{
			name: "typo in a step key of the action", file: "actions/palisade/action.yml",
			old: "    - id: build\n      shell: bash", new: "    - id: build\n      shel: bash",
			kind: "action", message: `unknown field "shel"`,
		},
		{
			name: "typo in an expression of the action", file: "actions/palisade/action.yml",
			old: "PALISADE_ARGS: ${{ inputs.args }}", new: "PALISADE_ARGS: ${{ inputs.argz }}",
			kind: "expression", message: `property "argz" is not defined`,
		},
		{
			name: "unknown input of the local action", file: "workflows/pr-check.yml",
			old: "          args: >-", new: "          argz: >-",
			kind: "action", message: `input "argz" is not defined in action "palisade"`,
		},
		{
			name: "action pinned by tag", file: "workflows/render.yml",
			old: "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8", new: "actions/checkout@v5",
			kind: "pin", message: "actions/checkout@v5 is not pinned by a full commit SHA",
		},
		{
			name: "action pinned by a short SHA", file: "actions/palisade/action.yml",
			old: "actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5", new: "actions/setup-go@d35c59a",
			kind: "pin", message: "actions/setup-go@d35c59a is not pinned",
		},
		{
			name: "no top-level permissions", file: "workflows/pr-check.yml",
			old: "permissions:\n  contents: read\n  pull-requests: read\n  security-events: write # upload the SARIF report to code scanning\n", new: "",
			kind: "permissions", message: "no top-level permissions",
		},
		{
			name: "render without a concurrency group", file: "workflows/render.yml",
			old: "concurrency:\n  group: palisade-render\n  cancel-in-progress: false\n", new: "",
			kind: "concurrency", message: "no top-level concurrency group",
		},
		{
			name: "render runs cancelled", file: "workflows/render.yml",
			old: "  cancel-in-progress: false", new: "  cancel-in-progress: true",
			kind: "concurrency", message: "must set cancel-in-progress: false",
		},
		{
			name: "event data in a script", file: "workflows/render.yml",
			old: `"$PALISADE" render`, new: `echo "${{ github.event.head_commit.message }}"; "$PALISADE" render`,
			kind: "script-injection", message: "${{ }} in a run script",
		},
		{
			name: "checkout keeps the token", file: "workflows/pr-check.yml",
			old: "          persist-credentials: false\n", new: "",
			kind: "credentials", message: "persist-credentials: false",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, filepath.Join(root, ".github"), filepath.Join(dir, ".github"))
			path := filepath.Join(dir, ".github", filepath.FromSlash(tc.file))
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.old) {
				t.Fatalf("%s no longer contains %q: update the test", tc.file, tc.old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Check(dir, serial)
			if err != nil {
				t.Fatal(err)
			}
			found := slices.ContainsFunc(res.Problems, func(p Problem) bool {
				return p.Kind == tc.kind && strings.Contains(p.Message, tc.message)
			})
			if !found {
				t.Errorf("no [%s] problem mentioning %q; got:", tc.kind, tc.message)
				for _, p := range res.Problems {
					t.Log(p)
				}
			}
		})
	}
}

func TestMissingSerialWorkflow(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(repoRoot(t), ".github"), filepath.Join(dir, ".github"))
	res, err := Check(dir, Options{Serial: []string{"nightly.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Message != "workflow does not exist" {
		t.Errorf("problems %v", res.Problems)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

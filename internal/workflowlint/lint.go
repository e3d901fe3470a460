package workflowlint

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
	"sigs.k8s.io/yaml"
)

// Options say what Check expects beyond the general rules.
type Options struct {
	// Serial names workflow files (base names, such as "render.yml") that
	// must run one at a time: a top-level concurrency group with
	// cancel-in-progress false.
	Serial []string
}

// Result is what Check found.
type Result struct {
	// Files are the files checked, relative to the root, sorted.
	Files    []string
	Problems []Problem
}

// Problem is one finding in one file.
type Problem struct {
	// File is relative to the root, with forward slashes.
	File string
	// Line and Column are 1-based, zero when unknown.
	Line, Column int
	// Kind is the actionlint rule, or one of "pin", "permissions",
	// "concurrency", "script-injection", "credentials", "action".
	Kind    string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: [%s] %s", p.File, p.Line, p.Column, p.Kind, p.Message)
}

// pinned is a remote action or reusable workflow reference pinned by a
// full commit SHA.
var pinned = regexp.MustCompile(`^[^@\s]+@[0-9a-f]{40}$`)

// pinnedImage is a docker:// reference pinned by digest.
var pinnedImage = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)

// Check lints the GitHub Actions files of the repository at root.
func Check(root string, opts Options) (*Result, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		return nil, fmt.Errorf("reading actionlint configuration: %w", err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		LogWriter:  io.Discard,
		WorkingDir: root,
		// Shellcheck and Pyflakes empty: those linters are not run.
	})
	if err != nil {
		return nil, err
	}
	workflows, err := globs(root, ".github/workflows/*.yml", ".github/workflows/*.yaml")
	if err != nil {
		return nil, err
	}
	actions, err := globs(root, ".github/actions/*/action.yml", ".github/actions/*/action.yaml")
	if err != nil {
		return nil, err
	}
	res := &Result{}
	c := &checker{root: root, project: project, linter: linter, res: res}
	for _, rel := range workflows {
		if err := c.workflow(rel, slices.Contains(opts.Serial, filepath.Base(rel))); err != nil {
			return nil, err
		}
	}
	for _, rel := range actions {
		if err := c.action(rel); err != nil {
			return nil, err
		}
	}
	for _, s := range opts.Serial {
		if !slices.ContainsFunc(workflows, func(rel string) bool { return filepath.Base(rel) == s }) {
			res.Problems = append(res.Problems, Problem{File: ".github/workflows/" + s, Kind: "concurrency", Message: "workflow does not exist"})
		}
	}
	res.Files = append(workflows, actions...)
	slices.Sort(res.Files)
	slices.SortFunc(res.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
	return res, nil
}

func globs(root string, patterns ...string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				return nil, err
			}
			out = append(out, filepath.ToSlash(rel))
		}
	}
	slices.Sort(out)
	return out, nil
}

type checker struct {
	root    string
	project *actionlint.Project
	linter  *actionlint.Linter
	res     *Result
}

func (c *checker) add(file string, pos *actionlint.Pos, kind, format string, args ...any) {
	p := Problem{File: file, Kind: kind, Message: fmt.Sprintf(format, args...)}
	if pos != nil {
		p.Line, p.Column = pos.Line, pos.Col
	}
	c.res.Problems = append(c.res.Problems, p)
}

// lint runs actionlint on content, reporting its errors against file;
// with a prefix, content is not the file's and positions are dropped.
func (c *checker) lint(file string, content []byte, prefix string) error {
	errs, err := c.linter.Lint(filepath.Join(c.root, filepath.FromSlash(file)), content, c.project)
	if err != nil {
		return fmt.Errorf("linting %s: %w", file, err)
	}
	for _, e := range errs {
		p := Problem{File: file, Line: e.Line, Column: e.Column, Kind: e.Kind, Message: e.Message}
		if prefix != "" {
			p.Line, p.Column, p.Message = 0, 0, prefix+e.Message
		}
		c.res.Problems = append(c.res.Problems, p)
	}
	return nil
}

func (c *checker) workflow(file string, serial bool) error {
	content, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	if err := c.lint(file, content, ""); err != nil {
		return err
	}
	w, errs := actionlint.Parse(content)
	if w == nil || len(errs) > 0 {
		return nil // actionlint reported the syntax errors
	}
	if w.Permissions == nil {
		c.add(file, &actionlint.Pos{Line: 1, Col: 1}, "permissions", "no top-level permissions: declare the least the jobs need, e.g. permissions: {contents: read}")
	}
	if serial {
		switch cc := w.Concurrency; {
		case cc == nil || cc.Group == nil || strings.TrimSpace(cc.Group.Value) == "":
			c.add(file, &actionlint.Pos{Line: 1, Col: 1}, "concurrency", "no top-level concurrency group: runs of this workflow must not overlap")
		case cc.CancelInProgress == nil || cc.CancelInProgress.Value || cc.CancelInProgress.Expression != nil:
			c.add(file, cc.Pos, "concurrency", "concurrency group %q must set cancel-in-progress: false, so no run is cut short", cc.Group.Value)
		}
	}
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		job := w.Jobs[id]
		if job.WorkflowCall != nil && job.WorkflowCall.Uses != nil {
			c.uses(file, job.WorkflowCall.Uses.Value, job.WorkflowCall.Uses.Pos)
		}
		for _, s := range job.Steps {
			c.step(file, s)
		}
	}
	return nil
}

func (c *checker) step(file string, s *actionlint.Step) {
	switch e := s.Exec.(type) {
	case *actionlint.ExecAction:
		if e.Uses == nil {
			return
		}
		c.uses(file, e.Uses.Value, e.Uses.Pos)
		if strings.HasPrefix(e.Uses.Value, "actions/checkout@") {
			in := e.Inputs["persist-credentials"]
			if in == nil || in.Value == nil || in.Value.Value != "false" {
				c.add(file, e.Uses.Pos, "credentials", "actions/checkout without persist-credentials: false leaves the token in .git/config for every later step")
			}
		}
	case *actionlint.ExecRun:
		if e.Run != nil && strings.Contains(e.Run.Value, "${{") {
			c.add(file, e.Run.Pos, "script-injection", "${{ }} in a run script: pass the value through env: and use \"$VAR\"")
		}
	}
}

func (c *checker) uses(file, ref string, pos *actionlint.Pos) {
	switch {
	case strings.HasPrefix(ref, "./"):
	case strings.HasPrefix(ref, "docker://"):
		if !pinnedImage.MatchString(ref) {
			c.add(file, pos, "pin", "%s is not pinned by digest (docker://IMAGE@sha256:…)", ref)
		}
	case !pinned.MatchString(ref):
		c.add(file, pos, "pin", "%s is not pinned by a full commit SHA (owner/repo@<40 hex> # vX.Y.Z)", ref)
	}
}

// actionFile is action metadata (action.yml), strictly: an unknown key is
// an error.
type actionFile struct {
	Name        string                  `json:"name"`
	Author      string                  `json:"author,omitempty"`
	Description string                  `json:"description"`
	Inputs      map[string]actionInput  `json:"inputs,omitempty"`
	Outputs     map[string]actionOutput `json:"outputs,omitempty"`
	Runs        actionRuns              `json:"runs"`
	Branding    *struct {
		Icon  string `json:"icon,omitempty"`
		Color string `json:"color,omitempty"`
	} `json:"branding,omitempty"`
}

type actionInput struct {
	Description        string `json:"description"`
	Required           *bool  `json:"required,omitempty"`
	Default            any    `json:"default,omitempty"`
	DeprecationMessage string `json:"deprecationMessage,omitempty"`
}

type actionOutput struct {
	Description string `json:"description"`
	Value       string `json:"value,omitempty"`
}

type actionRuns struct {
	Using string       `json:"using"`
	Steps []actionStep `json:"steps,omitempty"`
	// JavaScript and Docker actions.
	Main           string            `json:"main,omitempty"`
	Pre            string            `json:"pre,omitempty"`
	PreIf          string            `json:"pre-if,omitempty"`
	Post           string            `json:"post,omitempty"`
	PostIf         string            `json:"post-if,omitempty"`
	Image          string            `json:"image,omitempty"`
	Entrypoint     string            `json:"entrypoint,omitempty"`
	PreEntrypoint  string            `json:"pre-entrypoint,omitempty"`
	PostEntrypoint string            `json:"post-entrypoint,omitempty"`
	Args           []string          `json:"args,omitempty"`
	Env            map[string]string `json:"env,omitempty"`
}

type actionStep struct {
	ID               string         `json:"id,omitempty"`
	If               any            `json:"if,omitempty"`
	Name             string         `json:"name,omitempty"`
	Uses             string         `json:"uses,omitempty"`
	Run              string         `json:"run,omitempty"`
	Shell            string         `json:"shell,omitempty"`
	With             map[string]any `json:"with,omitempty"`
	Env              map[string]any `json:"env,omitempty"`
	WorkingDirectory string         `json:"working-directory,omitempty"`
	ContinueOnError  any            `json:"continue-on-error,omitempty"`
}

func (c *checker) action(file string) error {
	content, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	var a actionFile
	if err := yaml.UnmarshalStrict(content, &a); err != nil {
		c.add(file, nil, "action", "invalid action metadata: %v", err)
		return nil
	}
	if a.Name == "" {
		c.add(file, nil, "action", "no name")
	}
	if a.Description == "" {
		c.add(file, nil, "action", "no description")
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			c.add(file, nil, "action", "input %q has no description", name)
		}
	}
	switch a.Runs.Using {
	case "composite":
	case "node20", "node24", "docker":
		return nil
	default:
		c.add(file, nil, "action", "runs.using is %q: want composite, node20, node24 or docker", a.Runs.Using)
		return nil
	}
	if len(a.Runs.Steps) == 0 {
		c.add(file, nil, "action", "a composite action has no steps")
	}
	for i, s := range a.Runs.Steps {
		step := fmt.Sprintf("step %d", i+1)
		if s.ID != "" {
			step += fmt.Sprintf(" (id %s)", s.ID)
		}
		switch {
		case (s.Uses == "") == (s.Run == ""):
			c.add(file, nil, "action", "%s needs exactly one of uses and run", step)
		case s.Uses != "":
			c.uses(file, s.Uses, nil)
		case s.Shell == "":
			c.add(file, nil, "action", "%s runs a script without shell: composite actions require it", step)
		}
		if strings.Contains(s.Run, "${{") {
			c.add(file, nil, "script-injection", "%s: ${{ }} in a run script: pass the value through env: and use \"$VAR\"", step)
		}
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			if v, ok := s.With["persist-credentials"]; !ok || fmt.Sprint(v) != "false" {
				c.add(file, nil, "credentials", "%s: actions/checkout without persist-credentials: false", step)
			}
		}
	}
	return c.lintSteps(file, content, a)
}

// lintSteps lints a composite action's steps with actionlint, as the steps
// of a workflow whose workflow_dispatch inputs are the action's inputs, so
// expressions, contexts and step keys are checked too.
func (c *checker) lintSteps(file string, content []byte, a actionFile) error {
	var raw struct {
		Runs struct {
			Steps []any `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(content, &raw); err != nil {
		return err
	}
	inputs := map[string]any{}
	for name := range a.Inputs {
		inputs[name] = map[string]any{"type": "string", "required": false}
	}
	on := map[string]any{"workflow_dispatch": nil}
	if len(inputs) > 0 {
		on["workflow_dispatch"] = map[string]any{"inputs": inputs}
	}
	wf, err := yaml.Marshal(map[string]any{
		"on":          on,
		"permissions": map[string]any{},
		"jobs": map[string]any{"composite": map[string]any{
			"runs-on": "ubuntu-latest",
			"steps":   raw.Runs.Steps,
		}},
	})
	if err != nil {
		return err
	}
	return c.lint(file, wf, "in the composite steps (linted as a workflow): ")
}

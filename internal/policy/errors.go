package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/palisade-gitops/palisade/internal/suggest"
)

// Problem is one thing wrong with a policy: where, and what.
type Problem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as "file:line:col: code: message".
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0 && p.Column > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Column)
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		b.WriteString(p.File + ": ")
	}
	if p.Code != "" {
		b.WriteString(p.Code + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// CompileError is returned when the policies (the built-in ones or the
// user's) do not load, parse or compile: a mistake in the input, exit 2.
type CompileError struct {
	Problems []Problem
}

func (e *CompileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// compileError turns what OPA returns into a *CompileError. OPA reports
// parse errors as a list of errors (rego.Errors or loader.Errors) holding
// *ast.Error values, and compile and type errors as ast.Errors, possibly
// wrapped: both shapes are taken apart here.
func compileError(err error) *CompileError {
	var ce *CompileError
	if errors.As(err, &ce) {
		return ce
	}
	ce = &CompileError{}
	collect(err, &ce.Problems)
	sort.SliceStable(ce.Problems, func(i, j int) bool {
		a, b := ce.Problems[i], ce.Problems[j]
		if (a.File == "") != (b.File == "") {
			return b.File == "" // OPA's "error limit reached" last
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return ce
}

func collect(err error, out *[]Problem) {
	var astErrs ast.Errors
	var astErr *ast.Error
	var regoErrs rego.Errors
	var loadErrs loader.Errors
	var evalErr *topdown.Error
	switch {
	case errors.As(err, &regoErrs):
		for _, e := range regoErrs {
			collect(e, out)
		}
	case errors.As(err, &loadErrs):
		for _, e := range loadErrs {
			collect(e, out)
		}
	case errors.As(err, &astErrs):
		for _, e := range astErrs {
			*out = append(*out, problemOf(e))
		}
	case errors.As(err, &astErr):
		*out = append(*out, problemOf(astErr))
	case errors.As(err, &evalErr):
		p := Problem{Code: evalErr.Code, Message: evalErr.Message}
		if evalErr.Location != nil {
			p.File, p.Line, p.Column = evalErr.Location.File, evalErr.Location.Row, evalErr.Location.Col
		}
		*out = append(*out, p)
	default:
		*out = append(*out, Problem{Message: err.Error()})
	}
}

func problemOf(e *ast.Error) Problem {
	p := Problem{Code: e.Code, Message: e.Message + detailHint(e.Details)}
	if e.Location != nil {
		p.File, p.Line, p.Column = e.Location.File, e.Location.Row, e.Location.Col
	}
	return p
}

// detailHint is what OPA's details of a type error add to its message,
// on the same line: for a reference to a field the input (or a document)
// does not have, which fields the object there has and the one most
// likely meant ("; input.tenant has brand, file, name, segment, tier,
// timeZone (did you mean name?)"); for a built-in function's arguments,
// the types given and those it takes.
func detailHint(d ast.ErrorDetails) string {
	if arg, ok := d.(*ast.ArgErrDetail); ok {
		return "; " + strings.Join(arg.Lines(), ", ")
	}
	ref, ok := d.(*ast.RefErrInvalidDetail)
	if !ok || len(ref.OneOf) == 0 || ref.Pos <= 0 || ref.Pos >= len(ref.Ref) {
		return ""
	}
	have := ""
	if s, ok := ref.Ref[ref.Pos].Value.(ast.String); ok {
		have = string(s)
	}
	keys := make([]string, len(ref.OneOf))
	for i, v := range ref.OneOf {
		keys[i] = v.String()
		if s, ok := v.(ast.String); ok {
			keys[i] = string(s)
		}
	}
	sort.Strings(keys)
	hint := fmt.Sprintf("; %s has %s", ref.Ref[:ref.Pos], strings.Join(keys, ", "))
	return hint + suggest.Hint(have, keys)
}

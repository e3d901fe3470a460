package estate

import (
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Position is a place in an estate file. File is relative to the estate
// root, with forward slashes; Line and Column are 1-based and zero when
// unknown.
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// IsValid reports whether the position names a file.
func (p Position) IsValid() bool { return p.File != "" }

// String formats the position as file:line:col, or less when unknown.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

func positionOf(p token.Pos) Position {
	if !p.IsValid() {
		return Position{}
	}
	return Position{File: p.Filename(), Line: p.Line(), Column: p.Column()}
}

// Diagnostic is one problem with an estate: where it is, which CUE path it
// concerns and what is wrong.
type Diagnostic struct {
	Pos     Position `json:"pos"`
	Path    string   `json:"path,omitempty"`
	Message string   `json:"message"`
	// Related are other places involved: the schema constraint that was
	// violated, or the other claimant of a duplicate.
	Related []Position `json:"related,omitempty"`
}

// String formats the diagnostic as "file:line:col: path: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if s := d.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// InputError is the error Load returns when the estate is invalid. It holds
// every problem found, sorted by position.
type InputError struct {
	Diagnostics []Diagnostic
}

func (e *InputError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// diagnostics collects problems while loading.
type diagnostics struct {
	list []Diagnostic
}

func (ds *diagnostics) add(pos Position, path, format string, args ...any) {
	ds.list = append(ds.list, Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ds *diagnostics) addRelated(pos Position, related Position, path, format string, args ...any) {
	d := Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)}
	if related.IsValid() {
		d.Related = []Position{related}
	}
	ds.list = append(ds.list, d)
}

// addCUE converts a CUE error list into diagnostics. The primary position is
// the first one in the user's files (not the embedded schema), so an error
// points at the line the user wrote; the schema's positions become related.
// Errors without any position are the headers CUE adds for disjunctions
// ("2 errors in empty disjunction") and are dropped, as are exact repeats.
func (ds *diagnostics) addCUE(err error) {
	var found []cueDiag
	for _, e := range cueerrors.Errors(err) {
		var primary Position
		var related []Position
		for _, p := range cueerrors.Positions(e) {
			pos := positionOf(p)
			if !pos.IsValid() {
				continue
			}
			if !primary.IsValid() && !isSchemaFile(pos.File) {
				primary = pos
				continue
			}
			related = append(related, pos)
		}
		if !primary.IsValid() && len(related) > 0 {
			primary, related = related[0], related[1:]
		}
		if !primary.IsValid() {
			continue
		}
		format, args := e.Msg()
		found = append(found, cueDiag{
			Diagnostic: Diagnostic{
				Pos:     primary,
				Path:    formatPath(e.Path()),
				Message: fmt.Sprintf(format, args...),
				Related: related,
			},
			format: format,
			args:   args,
		})
	}
	ds.list = append(ds.list, mergeDisjunctions(found)...)
}

// cueDiag is a diagnostic with CUE's message format and arguments kept, so
// disjunction errors can be recognised.
type cueDiag struct {
	Diagnostic
	format string
	args   []any
}

const conflicting = "conflicting values %s and %s"

// mergeDisjunctions turns the one-error-per-alternative output of a failed
// disjunction into one error. At one position and path: when every error is
// "conflicting values A and X" with a common X, they become "X is not
// allowed: want one of A, B, ..."; when some errors are about something else
// (a bound, say), the conflicts with default alternatives are dropped.
func mergeDisjunctions(list []cueDiag) []Diagnostic {
	type key struct {
		pos  Position
		path string
	}
	groups := map[key][]int{}
	var order []key
	for i, d := range list {
		k := key{d.Pos, d.Path}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var out []Diagnostic
	for _, k := range order {
		idx := groups[k]
		if len(idx) == 1 {
			out = append(out, list[idx[0]].Diagnostic)
			continue
		}
		var conflicts, others []cueDiag
		for _, i := range idx {
			if list[i].format == conflicting && len(list[i].args) == 2 {
				conflicts = append(conflicts, list[i])
			} else {
				others = append(others, list[i])
			}
		}
		if len(others) > 0 {
			for _, d := range others {
				out = append(out, d.Diagnostic)
			}
			continue
		}
		value, alts, ok := commonOperand(conflicts)
		if !ok {
			for _, d := range conflicts {
				out = append(out, d.Diagnostic)
			}
			continue
		}
		d := conflicts[0].Diagnostic
		d.Message = fmt.Sprintf("%s is not allowed: want one of %s", value, strings.Join(alts, ", "))
		d.Related = nil
		for _, c := range conflicts {
			d.Related = append(d.Related, c.Related...)
		}
		out = append(out, d)
	}
	return out
}

// commonOperand finds the operand shared by every "conflicting values" error
// (the user's value) and the others (the allowed alternatives).
func commonOperand(list []cueDiag) (string, []string, bool) {
	str := func(a any) string { return fmt.Sprint(a) }
	for _, cand := range []string{str(list[0].args[0]), str(list[0].args[1])} {
		var alts []string
		ok := true
		for _, d := range list {
			a, b := str(d.args[0]), str(d.args[1])
			switch cand {
			case a:
				alts = append(alts, b)
			case b:
				alts = append(alts, a)
			default:
				ok = false
			}
		}
		if ok {
			sort.Strings(alts)
			return cand, alts, true
		}
	}
	return "", nil, false
}

func (ds *diagnostics) err() error {
	if len(ds.list) == 0 {
		return nil
	}
	list := ds.list
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column < b.Pos.Column
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	out := list[:0]
	for i, d := range list {
		if i > 0 && d.String() == list[i-1].String() {
			continue
		}
		out = append(out, d)
	}
	return &InputError{Diagnostics: out}
}

func isSchemaFile(name string) bool { return strings.HasPrefix(name, schemaPrefix) }

// formatPath joins CUE path elements, quoting those that are not
// identifiers, the way CUE prints paths: tenants."maison-laurent".tier.
func formatPath(elems []string) string {
	var b strings.Builder
	for i, e := range elems {
		if i > 0 {
			b.WriteByte('.')
		}
		if isIndex(e) || ast.IsValidIdent(e) || strings.HasPrefix(e, "\"") {
			b.WriteString(e)
		} else {
			b.WriteString(ast.NewString(e).Value)
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// pathOf formats a path given as labels.
func pathOf(labels ...string) string { return formatPath(labels) }

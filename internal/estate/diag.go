package estate

import (
	"fmt"
	"regexp"
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
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
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
	// locate finds where a path is written in the user's files, for CUE
	// errors that carry only schema positions.
	locate func(path []string) Position
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
		if len(cueerrors.Positions(e)) == 0 {
			continue // "N errors in empty disjunction" and similar headers
		}
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
		if !primary.IsValid() && ds.locate != nil {
			primary = ds.locate(e.Path())
		}
		if !primary.IsValid() && len(related) > 0 {
			primary, related = related[0], related[1:]
		}
		if !primary.IsValid() {
			continue
		}
		format, args := e.Msg()
		if format == "field not allowed" && len(e.Path()) > 0 {
			format, args = "unknown field %q: the schema has no such field here", []any{e.Path()[len(e.Path())-1]}
		}
		found = append(found, cueDiag{
			Diagnostic: Diagnostic{
				Pos:     primary,
				Path:    formatPath(e.Path()),
				Message: humanize(fmt.Sprintf(format, args...)),
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

// PathOf formats a path given as labels, as diagnostics name paths.
func PathOf(labels ...string) string { return formatPath(labels) }

// patterns describes the schema's regular expressions in words, so an error
// says what is wanted rather than quoting a pattern. Keys are the patterns as
// CUE prints them in messages.
var patterns = map[string]string{
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`:                                 "a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit",
	`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]([-a-z0-9]*[a-z0-9])?$`: "a lower-case DNS name such as shop.example.com",
	`^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$`:                                  "an e-mail address",
	`^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`:                    "a Kubernetes quantity such as 500m, 2 or 1Gi",
	`^[0-9]+(m|h|d)$`:                                                 "a duration in minutes, hours or days, such as 15m, 4h or 30d",
	`^(\\S+\\s+){4}\\S+$`:                                             "a five-field cron schedule such as \"0 2 * * *\"",
	`^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$`:                                 "an IANA time zone such as Europe/Paris",
	`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`:                                    "a date, YYYY-MM-DD",
	`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$`:   "a date (YYYY-MM-DD) or a local date-time (YYYY-MM-DDTHH:MM)",
	`^[0-9]{2}-[0-9]{2}$`:                                             "a month and day, MM-DD",
	`^([01][0-9]|2[0-3]):[0-5][0-9]$`:                                 "a time of day, HH:MM",
	`^https://`:                                                       "an https:// URL",
}

var (
	reBound    = regexp.MustCompile(`^invalid value (.*) \(out of bound =~"(.*)"\)$`)
	reMaxRunes = regexp.MustCompile(`^invalid value (.*) \(does not satisfy strings\.MaxRunes\(([0-9]+)\)\)$`)
	reMinRunes = regexp.MustCompile(`^invalid value (.*) \(does not satisfy strings\.MinRunes\(([0-9]+)\)\)$`)
	reTime     = regexp.MustCompile(`^invalid value (.*) \(does not satisfy time\.Time\)$`)
)

// humanize rewrites CUE messages about the schema's patterns and string
// validators into what the field wants.
func humanize(msg string) string {
	if m := reBound.FindStringSubmatch(msg); m != nil {
		if want, ok := patterns[m[2]]; ok {
			return fmt.Sprintf("invalid value %s: want %s", m[1], want)
		}
	}
	if m := reMaxRunes.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("invalid value %s: longer than %s characters", m[1], m[2])
	}
	if m := reMinRunes.FindStringSubmatch(msg); m != nil {
		if m[2] == "1" {
			return fmt.Sprintf("invalid value %s: must not be empty", m[1])
		}
		return fmt.Sprintf("invalid value %s: shorter than %s characters", m[1], m[2])
	}
	if m := reTime.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("invalid value %s: want an RFC 3339 instant such as 2026-11-28T18:00:00+01:00", m[1])
	}
	return msg
}

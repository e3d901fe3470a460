package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	goyaml "github.com/goccy/go-yaml"
	yamlast "github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"
)

// checkDataFiles reads the JSON and YAML data files under dirs, as OPA's
// loader will, and reports what the loader would either reject without
// a position or take silently: a syntax error, a key given twice in one
// object (the loader keeps the last), and a YAML file holding more than
// one document (the loader keeps the first). A governance data file that
// quietly loses an allow-list entry is a policy bypass, so each of these
// is a mistake, exit 2, at its line and column.
func checkDataFiles(dirs []Dir) []Problem {
	var probs []Problem
	for _, d := range dirs {
		walk := func(name string, read func(string) ([]byte, error), ent fs.DirEntry, err error) error {
			if err != nil {
				probs = append(probs, Problem{File: filepath.ToSlash(name), Message: err.Error()})
				return nil
			}
			if ent.IsDir() || !isDataFile(name) {
				return nil
			}
			bs, err := read(name)
			if err != nil {
				probs = append(probs, Problem{File: filepath.ToSlash(name), Message: err.Error()})
				return nil
			}
			if p := checkDataFile(filepath.ToSlash(name), bs); p != nil {
				probs = append(probs, *p)
			}
			return nil
		}
		if d.FS == nil {
			_ = filepath.WalkDir(d.Path, func(name string, ent fs.DirEntry, err error) error {
				return walk(name, os.ReadFile, ent, err)
			})
		} else {
			_ = fs.WalkDir(d.FS, d.Path, func(name string, ent fs.DirEntry, err error) error {
				return walk(name, func(n string) ([]byte, error) { return fs.ReadFile(d.FS, n) }, ent, err)
			})
		}
	}
	return probs
}

// isDataFile reports whether the loader reads name as a data file.
func isDataFile(name string) bool {
	switch filepath.Ext(name) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// checkDataFile reports the first mistake in the data file name holding
// bs, or nil.
func checkDataFile(name string, bs []byte) *Problem {
	if filepath.Ext(name) == ".json" {
		return checkJSON(name, bs)
	}
	return checkYAML(name, bs)
}

// checkJSON walks the tokens of a JSON document, which the standard
// decoder checks for syntax, and the keys of each object for repeats.
func checkJSON(name string, bs []byte) *Problem {
	dec := json.NewDecoder(bytes.NewReader(bs))
	dec.UseNumber()
	at := func(off int64, msg string) *Problem {
		line, col := lineCol(bs, off)
		return &Problem{File: name, Line: line, Column: col, Message: msg}
	}
	fail := func(err error) *Problem {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return at(se.Offset, se.Error())
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return at(int64(len(bs)), "unexpected end of JSON input")
		}
		return &Problem{File: name, Message: err.Error()}
	}
	// value walks one value whose first token has been read: an object's
	// or an array's members, and an object's keys.
	var value func(tok json.Token) *Problem
	value = func(tok json.Token) *Problem {
		if tok != json.Delim('{') && tok != json.Delim('[') {
			return nil
		}
		seen := map[string]int64{}
		for dec.More() {
			if tok == json.Delim('{') {
				start := keyStart(bs, dec.InputOffset())
				k, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				key, _ := k.(string)
				if first, dup := seen[key]; dup {
					l, c := lineCol(bs, first)
					return at(start, fmt.Sprintf("key %q is given twice in this object (first at %d:%d); the loader would keep only the last value", key, l, c))
				}
				seen[key] = start
			}
			v, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			if p := value(v); p != nil {
				return p
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return fail(err)
		}
		return nil
	}
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return &Problem{File: name, Line: 1, Column: 1, Message: "the file is empty; a JSON data file holds one value ({} for none)"}
	}
	if err != nil {
		return fail(err)
	}
	if p := value(tok); p != nil {
		return p
	}
	next := keyStart(bs, dec.InputOffset())
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return fail(err)
		}
		return at(next, "more than one JSON value in the file; a data file holds one")
	}
	return nil
}

// keyStart is the offset of the next token at or after off: past the
// whitespace and the comma the decoder has not consumed yet.
func keyStart(bs []byte, off int64) int64 {
	for off < int64(len(bs)) && strings.IndexByte(" \t\r\n,", bs[off]) >= 0 {
		off++
	}
	return off
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(bs []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(bs)))
	before := bs[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// checkYAML checks a YAML data file. Syntax is judged by the parser
// OPA's loader uses (yaml.v2, through sigs.k8s.io/yaml); where it fails,
// goccy/go-yaml, which keeps every token's position, says where. Where
// the loader's parser accepts a file the other does not, the loader is
// trusted.
func checkYAML(name string, bs []byte) *Problem {
	_, v2err := yaml.YAMLToJSON(bs)
	f, err := parser.ParseBytes(bs, 0)
	var ye goyaml.Error
	switch {
	case err != nil && errors.As(err, &ye) && strings.Contains(ye.GetMessage(), "already defined"):
		p := yamlProblem(name, err, err)
		if m := yamlDuplicate.FindStringSubmatch(p.Message); m != nil {
			p.Message = fmt.Sprintf("key %s is given twice in this mapping (first at %s:%s); the loader would keep only the last value", m[1], m[2], m[3])
		}
		return p
	case err != nil && v2err == nil:
		return nil
	case err != nil:
		return yamlProblem(name, err, v2err)
	case v2err != nil:
		return &Problem{File: name, Message: v2err.Error()}
	}
	var docs []*yamlast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) > 1 {
		p := &Problem{File: name, Message: fmt.Sprintf("holds %d YAML documents; a data file holds one, and the loader would read only the first", len(docs))}
		tk := docs[1].Start
		if tk == nil {
			tk = docs[1].Body.GetToken()
		}
		if tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
		return p
	}
	return nil
}

// yamlDuplicate is goccy/go-yaml's message for a repeated key.
var yamlDuplicate = regexp.MustCompile(`^mapping key (".*") already defined at \[(\d+):(\d+)\]$`)

// yamlProblem places a YAML error at the token goccy/go-yaml names, with
// its message; without one, fallback's message stands unplaced.
func yamlProblem(name string, err, fallback error) *Problem {
	var ye goyaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return &Problem{File: name, Line: tk.Position.Line, Column: tk.Position.Column, Message: ye.GetMessage()}
		}
	}
	return &Problem{File: name, Message: fallback.Error()}
}

// dataRuleConflicts reports the data documents loaded from dirs that sit
// where a rule of mods is: at the rule's path, beneath it, or as a value
// on the way to it. OPA reports each such clash at the rule, which may be
// a built-in one, as "conflicting rule for data path", and stops at ten:
// the mistake is the data's, so it is reported there, once per document.
func dataRuleConflicts(docs map[string]any, mods map[string]*ast.Module, dirs string) []Problem {
	var probs []Problem
	seen := map[string]bool{}
	for _, name := range sortedKeys(mods) {
		for _, r := range mods[name].Rules {
			path := r.Ref().GroundPrefix()
			at, ok := dataAt(docs, path)
			if !ok || seen[at.String()] {
				continue
			}
			seen[at.String()] = true
			where := filepath.ToSlash(name)
			if r.Location != nil {
				where = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
			}
			probs = append(probs, Problem{File: dirs, Message: fmt.Sprintf(
				"the data files here define %s, where %s defines rule %s; a path holds rules or data, not both: move the data (its path is the file's directory under --policy, then its keys)",
				at, where, path)})
		}
	}
	return probs
}

// dataAt follows path (data.a.b...) into docs and returns the data
// document that clashes with a rule there: a value that is not an object
// on the way, or whatever is at the end.
func dataAt(docs map[string]any, path ast.Ref) (ast.Ref, bool) {
	var cur any = docs
	for i := 1; i < len(path); i++ {
		obj, ok := cur.(map[string]any)
		if !ok {
			return path[:i], true
		}
		key, ok := path[i].Value.(ast.String)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[string(key)]; !ok {
			return nil, false
		}
	}
	return path, true
}

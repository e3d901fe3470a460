package policy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCheckDataFile(t *testing.T) {
	tests := []struct {
		name, text string
		want       string // "" for a file that loads
	}{
		{"ok.json", `{"a": {"b": [1, 2, {"c": null}]}, "d": "e"}`, ""},
		{"ok.yaml", "a: 1 # note\nb: |\n  x\n  y\nc: {d: [1, 2]}\n", ""},
		{"empty.yaml", "", ""},
		{"one-document.yaml", "---\na: 1\n", ""},
		// Keys may repeat in different objects.
		{"siblings.json", `[{"a": 1}, {"a": 2}]`, ""},
		{"siblings.yaml", "x:\n  a: 1\ny:\n  a: 2\n", ""},

		{"syntax.json", "{\"a\": 1,\n \"b\": }", "syntax.json:2:7: invalid character '}' looking for beginning of value"},
		{"truncated.json", "{\"a\": 1,\n \"b\": [1,\n", "truncated.json:3:1: unexpected end of JSON input"},
		{"empty.json", "\n", "empty.json:1:1: the file is empty; a JSON data file holds one value ({} for none)"},
		{"two-values.json", `{"a": 1} {"b": 2}`, "two-values.json:1:10: more than one JSON value in the file; a data file holds one"},
		{"duplicate.json", "{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}", `duplicate.json:2:16: key "c" is given twice in this object (first at 2:8); the loader would keep only the last value`},
		{"duplicate-top.json", "{\"allow\": [\"a\"],\n \"allow\": [\"b\"]}", `duplicate-top.json:2:2: key "allow" is given twice in this object (first at 1:2); the loader would keep only the last value`},

		{"tab.yaml", "a:\n\tb: 1\n", "tab.yaml:2:1: found character '\t' that cannot start any token"},
		{"unclosed.yml", "a: 1\nb: [1, 2\n", "unclosed.yml:2:4: sequence end token ']' not found"},
		{"duplicate.yaml", "a:\n  b: 1\n  c: [1]\n  b: 2\n", `duplicate.yaml:4:3: key "b" is given twice in this mapping (first at 2:3); the loader would keep only the last value`},
		{"documents.yaml", "a: 1\n---\nb: 2\n", "documents.yaml:2:1: holds 2 YAML documents; a data file holds one, and the loader would read only the first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if p := checkDataFile(tt.name, []byte(tt.text)); p != nil {
				got = p.String()
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestDataFileMistakesStopTheLoad: a data file the loader would read
// differently from how it is written is a compile error, with its
// position, and nothing is evaluated.
func TestDataFileMistakesStopTheLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"pol/acme/data.yaml": {Data: []byte("registries:\n  - ghcr.io/acme\nregistries:\n  - docker.io\n")},
		"pol/other.json":     {Data: []byte(`{"x": 1}`)},
	}
	_, err := NewFrom(context.Background(), []Dir{{FS: fsys, Path: "pol"}})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *CompileError, got %T: %v", err, err)
	}
	want := `pol/acme/data.yaml:3:1: key "registries" is given twice in this mapping (first at 1:1); the loader would keep only the last value`
	if len(ce.Problems) != 1 || ce.Problems[0].String() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestDataWhereRulesAre(t *testing.T) {
	tests := []struct {
		file, text string
		want       string
	}{
		// A value on the way to the built-in rules.
		{"data.json", `{"palisade": 1}`, "pol: the data files here define data.palisade, where policies/capacity.rego:10 defines rule data.palisade.rules.capacity.scaled_kinds"},
		// A document at a rule's path, from the file's directory and key.
		{"palisade/lib/data.yaml", "describe: 1\n", "pol: the data files here define data.palisade.lib.describe, where policies/lib.rego:48 defines rule data.palisade.lib.describe"},
		// Beside the rules is fine.
		{"palisade/data.json", `{"config": {"x": 1}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fsys := fstest.MapFS{"pol/" + tt.file: {Data: []byte(tt.text)}}
			_, err := NewFrom(context.Background(), []Dir{{FS: fsys, Path: "pol"}})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *CompileError, got %T: %v", err, err)
			}
			if len(ce.Problems) != 1 || !strings.HasPrefix(ce.Problems[0].String(), tt.want) {
				t.Errorf("got\n%v\nwant one problem starting\n%s", err, tt.want)
			}
		})
	}
}

// FuzzCheckJSON: a JSON data file is passed exactly when it is one valid
// JSON value, and a mistake is always placed inside the file.
//
//	go test -run '^$' -fuzz FuzzCheckJSON -fuzztime 30s ./internal/policy/
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `{"a": 1, "a": 2}`, `[1, {"b": [2]}]`, `{"a":`, `1 2`, "", `"x"`, `{"a": {"b": 1}, "c": {"b": 1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := checkJSON("f.json", []byte(s))
		if p == nil && !json.Valid([]byte(s)) {
			t.Fatalf("%q passed but is not valid JSON", s)
		}
		if p != nil && (p.Line < 1 || p.Column < 1 || p.Line > strings.Count(s, "\n")+1) {
			t.Fatalf("%q: %s is not inside the file", s, p)
		}
	})
}

package report

import (
	"bytes"
	"errors"
	"testing"
)

func TestWriteProblems(t *testing.T) {
	probs := []Problem{
		{Pos: Position{File: "ops/tenants/a,b.cue", Line: 3, Column: 7}, Message: "tenants.a: 100% wrong\nsee the schema"},
		{Message: "policy directory does not exist or cannot be read"},
	}
	for _, tc := range []struct{ format, want string }{
		{FormatGitHub, "::error file=ops/tenants/a%2Cb.cue,line=3,col=7,title=palisade check · does not load::tenants.a: 100%25 wrong%0Asee the schema\n" +
			"::error title=palisade check · does not load::policy directory does not exist or cannot be read\n" +
			"palisade check: the head revision does not load: 2 problems\n"},
		{FormatMarkdown, "## palisade check: the head revision does not load\n\nNothing was judged. Fix these and push again:\n\n" +
			"- `ops/tenants/a,b.cue:3:7` tenants.a: 100% wrong see the schema\n" +
			"- policy directory does not exist or cannot be read\n"},
		{FormatText, ""},
		{FormatJSON, ""},
		{FormatSARIF, ""},
	} {
		var b bytes.Buffer
		if err := WriteProblems(&b, tc.format, probs); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.format, b.String(), tc.want)
		}
	}
	var ufe *UnknownFormatError
	if err := WriteProblems(&bytes.Buffer{}, "yaml", probs); !errors.As(err, &ufe) {
		t.Errorf("an unknown format: got %v, want an *UnknownFormatError", err)
	}
}

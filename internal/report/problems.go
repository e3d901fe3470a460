package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// Problem is a mistake that stops a check before it judges anything — the
// head revision's estate or policies do not load — at its place, the file
// relative to the repository root as the other positions of a check are.
type Problem struct {
	Pos     Position
	Message string
}

// WriteProblems writes problems in format for the readers that do not see
// the check's standard error: GitHub workflow commands (an ::error at each
// problem, then a summary line), so that the pull request shows each one
// on its line, a Markdown section for the step summary, and a JUnit test
// report with an errored test case per problem. The other formats write
// nothing; their readers have the exit code and standard error.
func WriteProblems(w io.Writer, format string, problems []Problem) error {
	p := &textPrinter{w: w}
	summary := fmt.Sprintf("palisade check: the head revision does not load: %s", plural(len(problems), "problem", "problems"))
	switch format {
	case FormatGitHub:
		for _, pr := range problems {
			p.command("error", pr.Pos, "palisade check · does not load", pr.Message)
		}
		p.line("%s", summary)
	case FormatMarkdown:
		p.line("## palisade check: the head revision does not load")
		p.blank()
		p.line("Nothing was judged. Fix these and push again:")
		p.blank()
		for _, pr := range problems {
			at := ""
			if pr.Pos.IsValid() {
				at = "`" + pr.Pos.String() + "` "
			}
			p.line("- %s%s", at, strings.ReplaceAll(pr.Message, "\n", " "))
		}
	case FormatJUnit:
		// One errored test case per problem: the test report shows
		// that nothing was judged, and why.
		s := junit.Testsuite{Name: "palisade check", Time: "0"}
		for _, pr := range problems {
			msg, _, _ := strings.Cut(pr.Message, "\n")
			tc := junit.Testcase{Name: "the head revision loads", Classname: s.Name, Time: "0",
				Error: &junit.Result{Message: strings.TrimSpace(pr.Pos.String() + " " + msg), Type: "does-not-load", Data: pr.Message}}
			s.AddTestcase(tc)
		}
		suites := junit.Testsuites{Name: "palisade check"}
		suites.AddSuite(s)
		return WriteJUnitXML(w, &suites)
	case FormatText, FormatJSON, FormatSARIF:
	default:
		return &UnknownFormatError{Format: format}
	}
	return p.err
}

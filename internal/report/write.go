package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatSARIF    = "sarif"
	FormatGitHub   = "github"
	FormatJUnit    = "junit"
)

// Formats returns the names Write accepts, in the order help text lists
// them.
func Formats() []string {
	return []string{FormatText, FormatMarkdown, FormatJSON, FormatSARIF, FormatGitHub, FormatJUnit}
}

// UnknownFormatError is returned for a format Write does not know.
type UnknownFormatError struct{ Format string }

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown report format %q: want one of %s", e.Format, strings.Join(Formats(), ", "))
}

// Markdown size limits, in characters as GitHub counts them: UTF-16 code
// units, which are never fewer than runes. A pull-request comment holds at
// most 65,536.
const (
	DefaultMarkdownLimit = 60000
	MaxMarkdownLimit     = 65000
	MinMarkdownLimit     = 4000
)

// InformationURI is palisade's home, named in SARIF output.
const InformationURI = "https://github.com/palisade-gitops/palisade"

// Options tune the writers. The zero value is ready to use.
type Options struct {
	// Version is palisade's version, recorded as the SARIF tool version.
	Version string
	// MarkdownLimit caps the markdown output; 0 means
	// DefaultMarkdownLimit. It is raised to MinMarkdownLimit and lowered
	// to MaxMarkdownLimit.
	MarkdownLimit int
	// Diffs makes the text format print the unified diffs too.
	Diffs bool
	// BlobURL, when set, is the URL of the repository's files at the head
	// commit, such as https://github.com/OWNER/REPO/blob/SHA; the markdown
	// format then links source positions to it.
	BlobURL string
}

// Write writes c to w in the named format. It does not modify c: it
// reports a finalized copy (see Check.Finalize), so the output is the same
// whatever order c's lists are in.
func Write(w io.Writer, c *Check, format string, opts Options) error {
	var write func(io.Writer, *Check, Options) error
	switch format {
	case FormatText:
		write = writeText
	case FormatMarkdown:
		write = writeMarkdown
	case FormatJSON:
		write = writeJSON
	case FormatSARIF:
		write = writeSARIF
	case FormatGitHub:
		write = writeGitHub
	case FormatJUnit:
		write = writeJUnit
	default:
		return &UnknownFormatError{Format: format}
	}
	// Render in full first, so a failure writes nothing.
	var b bytes.Buffer
	if err := write(&b, c.finalized(), opts); err != nil {
		return fmt.Errorf("writing %s report: %w", format, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeJSON writes the model, indented, with every list present (empty
// rather than null) so consumers see one shape.
func writeJSON(w io.Writer, c *Check, _ Options) error {
	d := *c
	d.Blast.Tenants = nonNil(d.Blast.Tenants)
	for i := range d.Blast.Tenants {
		d.Blast.Tenants[i].Environments = nonNil(d.Blast.Tenants[i].Environments)
		d.Blast.Tenants[i].Reasons = nonNil(d.Blast.Tenants[i].Reasons)
	}
	d.Diffs = nonNil(d.Diffs)
	for i := range d.Diffs {
		d.Diffs[i].Objects = nonNil(d.Diffs[i].Objects)
	}
	d.Results = nonNil(d.Results)
	d.Freeze = nonNil(d.Freeze)
	d.Waivers = nonNil(d.Waivers)
	d.Notes = nonNil(d.Notes)
	d.Calendar = nonNil(d.Calendar)
	if d.Policies != nil {
		d.Policies.Files = nonNil(d.Policies.Files)
		d.Policies.Relaxed = nonNil(d.Policies.Relaxed)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(&d)
}

func nonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

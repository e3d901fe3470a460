package evidence

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/palisade-gitops/palisade/internal/pipeline"
)

//go:embed evidence.html.tmpl
var htmlTemplate string

var htmlPage = template.Must(template.New("evidence").Funcs(template.FuncMap{
	"join":   strings.Join,
	"short":  short,
	"digest": pipeline.ShortDigest,
}).Parse(htmlTemplate))

// htmlView is what the HTML page shows, computed as the text form
// computes it.
type htmlView struct {
	*Bundle
	Headlines []string
	Renders   []htmlRender
	Waivers   []waiverEntry
	Holds     []holdEntry
	Backups   []backupEntry
	Policies  []policySet
}

type htmlRender struct {
	Render
	At, Status, Source, Changes string
	Tenants                     []tenantRow
}

// WriteHTML writes the bundle as one self-contained HTML page for an
// auditor: the headlines, a table of the render commits, each with its
// tenants (change, verdict, waivers, images and their signers) folded
// under it, the waivers used, the hold-backs, the backup configuration,
// the findings and notes. It holds what the text form holds, with every
// tenant of every render; the JSON form remains the whole bundle.
func (b *Bundle) WriteHTML(w io.Writer) error {
	v := htmlView{Bundle: b, Headlines: b.headlines(), Waivers: b.waiverEntries(), Holds: b.holdEntries(), Backups: b.backups(), Policies: b.policySets()}
	for _, r := range b.Renders {
		v.Renders = append(v.Renders, htmlRender{
			Render: r, At: stamp(r.Record.At), Status: r.status(), Source: source(r.Record), Changes: changes(r.Record),
			Tenants: tenantRows(r.Record),
		})
	}
	return htmlPage.Execute(w, v)
}

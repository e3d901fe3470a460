package report

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palisade-gitops/palisade/internal/policy"
)

// huge is a check far too big for one comment: tenants × objects diffs of
// lines lines each, with multi-byte text (two- and three-byte runes, and
// emoji that are two UTF-16 units) and markdown-hostile messages.
func huge(tenants, objects, lines int) *Check {
	c := sample()
	c.Blast.Tenants, c.Diffs, c.Results, c.Freeze, c.Waivers, c.Calendar = nil, nil, nil, nil, nil, nil
	for i := range tenants {
		name := fmt.Sprintf("tenant-%04d", i)
		c.Blast.Tenants = append(c.Blast.Tenants, TenantImpact{
			Tenant: name, Tier: fmt.Sprintf("tier-%d", i%3), Change: Changed,
			Environments: []string{"production", "staging"}, Production: []string{"production"},
			Reasons: []string{"tier changed | <all> of them"}, File: "tenants/" + name + ".cue",
		})
		d := TenantDiff{Tenant: name}
		for j := range objects {
			var b strings.Builder
			fmt.Fprintf(&b, "--- a/ConfigMap/%s/cm-%d\n+++ b/ConfigMap/%s/cm-%d\n@@ -1,%d +1,%d @@\n", name, j, name, j, lines, lines)
			for k := range lines {
				fmt.Fprintf(&b, "-  key%03d: Grüße aus Köln 日本語 🚀 ``` |%d|\n+  key%03d: Grüße aus Köln 日本語 🚀 ```` |%d|\n", k, k, k, k+1)
			}
			d.Objects = append(d.Objects, ObjectDiff{APIVersion: "v1", Kind: "ConfigMap", Namespace: name, Name: fmt.Sprintf("cm-%d", j), Change: Changed, Unified: b.String()})
		}
		c.Diffs = append(c.Diffs, d)
		for _, sev := range []string{policy.SeverityDeny, policy.SeverityWarn} {
			c.Results = append(c.Results, Finding{
				Result: policy.Result{PolicyID: "replicas.min", Severity: sev, Tenant: name, Environment: "production",
					Object:      policy.Object{Kind: "Deployment", Namespace: name, Name: "web"},
					Message:     "1 replica | want 2 <script>alert('x')</script> `tick` 🚀 @platform-team $x$ " + strings.Repeat("é", 400),
					Remediation: "raise replicas | now"},
				Position: Position{File: "tenants/" + name + ".cue", Line: i + 1, Column: 3},
			})
		}
		c.Freeze = append(c.Freeze, Forecast{Tenant: name, Environment: "production", Window: "black-friday", Scope: "platform", Ends: ends, TimeZone: "Europe/Paris"})
		c.Calendar = append(c.Calendar, CalendarChange{Window: fmt.Sprintf("w-%d | <b>", i), Calendar: "tenant", Owner: name,
			Change: WindowRemoved, Tenants: []string{name}, Ends: ends, Position: Position{File: "tenants/" + name + ".cue", Line: 9, Column: 2}})
		if c.Policies == nil {
			c.Policies = &PolicyChange{}
		}
		c.Policies.Files = append(c.Policies.Files, fmt.Sprintf("guard/rule-%04d|<b>.rego", i))
		c.Policies.Relaxed = append(c.Policies.Relaxed, Relaxed{
			Finding: Finding{
				Result: policy.Result{PolicyID: "guard.brand | <i>", Severity: policy.SeverityDeny, Tenant: name, Environment: "production",
					Message: "2 routes | <script>x</script> @platform-team " + strings.Repeat("ö", 400)},
				Position: Position{File: "tenants/" + name + ".cue", Line: i + 1, Column: 3},
			},
			InputsChanged: i%2 == 0,
		})
		c.Waivers = append(c.Waivers, WaiverNote{Tenant: name, ID: "w", Policy: "replicas.min", Expires: ends, State: WaiverExpiring})
	}
	for i := range 200 {
		c.Notes = append(c.Notes, fmt.Sprintf("note %d: 🚀 %s", i, strings.Repeat("ü", 600)))
	}
	return c
}

func TestMarkdownLimitHuge(t *testing.T) {
	c := huge(1000, 3, 60)
	for _, limit := range []int{0, MinMarkdownLimit, 20000, MaxMarkdownLimit, 1 << 30} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			md := write(t, c, FormatMarkdown, Options{MarkdownLimit: limit, BlobURL: "https://github.com/o/r/blob/" + c.Head.Commit})
			want := limit
			switch {
			case limit == 0:
				want = DefaultMarkdownLimit
			case limit > MaxMarkdownLimit:
				want = MaxMarkdownLimit
			}
			if w, r := width(md), utf8.RuneCountInString(md); w > want || r > 65000 {
				t.Errorf("markdown is %d UTF-16 units and %d runes, want at most %d", w, r, want)
			}
			if w := width(md); w < want*9/10 {
				t.Errorf("markdown is %d UTF-16 units: wasteful for a limit of %d", w, want)
			}
			checkMarkdown(t, md)
			if !strings.HasPrefix(md, "## ❌ Palisade check failed\n\n**Verdict: fail**") {
				t.Errorf("markdown does not start with the verdict:\n%.300s", md)
			}
			if !regexp.MustCompile(`_… \d+ more tenants not shown; run palisade check locally or see the JSON artefact\._`).MatchString(md) &&
				!strings.Contains(md, "_Not shown, for lack of room: ") {
				t.Error("markdown does not say that tenants were left out")
			}
			if !regexp.MustCompile(`_… 9\d\d more denials not shown; `).MatchString(md) {
				t.Error("markdown does not say that denials were left out")
			}
			if strings.Contains(md, "<script>") || strings.Contains(md, "@platform") {
				t.Error("markdown lets HTML or a mention through")
			}
		})
	}
}

// The default limit shows the summary, every table, and some tenants'
// diffs; the truncation is stated with the number left out.
func TestMarkdownHugeShowsEverySection(t *testing.T) {
	md := write(t, huge(1000, 3, 60), FormatMarkdown, Options{})
	order := []string{
		"**Verdict: fail**",
		"- **Blast radius:** 1000 tenants in 3 tiers · 2000 environments, **1000 production**",
		"- **Denials:** 1000 standing, 0 waived · **Warnings:** 1000",
		"- **Frozen if merged now:** 1000 tenants: tenant-0000, tenant-0001, ",
		"and 990 more",
		"- **Freeze windows ended early:** 1000 windows, for 1000 tenants (review)",
		"- **Policy changes:** 1000 files · 1000 denials relaxed, **500 for tenants this change alters**",
		"**Notes**",
		"### Denials",
		"### Policy changes",
		"This change edits guard/rule-0000\\|&lt;b&gt;.rego, ",
		"and 990 more. Head is judged by its own policies; the base revision's policies would also deny:",
		"### Freeze windows ended early",
		"### Freeze forecast",
		"### Waivers",
		"<details><summary>Blast radius: 1000 tenants</summary>",
		"<details><summary>Warnings (1000)</summary>",
		"### Rendered changes",
		"<details><summary>tenant-0000 — 3 objects (0 added, 0 removed, 3 changed)</summary>",
		"more tenants not shown; run palisade check locally or see the JSON artefact._",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(md[at:], s)
		if i < 0 {
			t.Fatalf("markdown lacks %q after offset %d", s, at)
		}
		at += i + len(s)
	}
	diffs := md[strings.Index(md, "### Rendered changes"):]
	m := regexp.MustCompile(`_… (\d+) more tenants not shown`).FindStringSubmatch(diffs)
	shown := strings.Count(diffs, "<details><summary>tenant-")
	if m == nil || fmt.Sprint(1000-shown) != m[1] {
		t.Errorf("%d tenants' diffs shown, note says %v more", shown, m)
	}
}

// A diff cannot close its fence early: whatever runs of backticks it
// holds, the code block holds exactly the diff.
func TestMarkdownFence(t *testing.T) {
	diff := "--- a/ConfigMap/n/x\n+++ b/ConfigMap/n/x\n@@ -1,5 +1,5 @@\n ```\n-````\n+`````\n   ```diff\n ~~~\n"
	c := &Check{At: at, Diffs: []TenantDiff{{Tenant: "t", Objects: []ObjectDiff{{Kind: "ConfigMap", Namespace: "n", Name: "x", Change: Changed, Unified: diff}}}}}
	md := write(t, c, FormatMarkdown, Options{})
	checkMarkdown(t, md)
	blocks := codeBlocks(md)
	if len(blocks) != 1 || blocks[0] != diff {
		t.Errorf("code blocks %q, want exactly the diff %q\n%s", blocks, diff, md)
	}
	if !strings.Contains(md, "\n``````diff\n") {
		t.Errorf("fence is not six backticks:\n%s", md)
	}
}

// A diff too wide for the room left is cut at a line boundary, its fence
// closed, and the cut stated.
func TestMarkdownCutsLongDiff(t *testing.T) {
	var b strings.Builder
	b.WriteString("--- a/ConfigMap/n/x\n+++ b/ConfigMap/n/x\n@@ -1,3000 +1,3000 @@\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "+line %d %s\n", i, strings.Repeat("🚀", 10))
	}
	// One line wider than a whole comment is clipped, not dropped.
	b.WriteString("+" + strings.Repeat("x", 70000) + "\n")
	c := &Check{At: at, Diffs: []TenantDiff{{Tenant: "t", Objects: []ObjectDiff{{Kind: "ConfigMap", Namespace: "n", Name: "x", Change: Changed, Unified: b.String()}}}}}
	md := write(t, c, FormatMarkdown, Options{})
	checkMarkdown(t, md)
	blocks := codeBlocks(md)
	if len(blocks) != 1 || !strings.HasPrefix(b.String(), blocks[0]) || width(blocks[0]) > mdMaxObjectRun {
		t.Fatalf("code block is not a prefix of the diff of at most %d units", mdMaxObjectRun)
	}
	shown := strings.Count(blocks[0], "\n")
	if want := fmt.Sprintf("_… diff cut short: %d more lines; ", 3004-shown); !strings.Contains(md, want) {
		t.Errorf("markdown lacks %q", want)
	}
}

// Whatever the sizes, the output stays within the limit and well formed.
func TestMarkdownLimitRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		c := huge(r.IntN(40), r.IntN(5), r.IntN(200))
		if r.IntN(2) == 0 {
			c.Results = c.Results[:r.IntN(len(c.Results)+1)]
		}
		limit := MinMarkdownLimit + r.IntN(MaxMarkdownLimit-MinMarkdownLimit)
		md := write(t, c, FormatMarkdown, Options{MarkdownLimit: limit})
		if w := width(md); w > limit {
			t.Errorf("case %d: %d units over a limit of %d", i, w, limit)
		}
		checkMarkdown(t, md)
	}
}

func TestMarkdownEmpty(t *testing.T) {
	md := write(t, &Check{At: at}, FormatMarkdown, Options{})
	want := "## ✅ Palisade check passed\n\n" +
		"**Verdict: pass** · base (unknown) → head (unknown) · at 2026-11-20T09:30:00Z\n\n" +
		"- **Blast radius:** 0 tenants in 0 tiers · 0 environments, **0 production**\n" +
		"- **Denials:** 0 standing, 0 waived · **Warnings:** 0\n" +
		"- **Rendered changes:** 0 objects in 0 tenant environments (0 added, 0 removed, 0 changed)\n\n"
	if md != want {
		t.Errorf("got\n%q\nwant\n%q", md, want)
	}
}

func TestMarkdownSample(t *testing.T) {
	md := write(t, sample(), FormatMarkdown, Options{BlobURL: "https://github.com/o/r/blob/abc/"})
	checkMarkdown(t, md)
	for _, want := range []string{
		"**Verdict: fail** · base `111111111111` (main) → head `222222222222` (feature/scale) · at 2026-11-20T09:30:00Z\n",
		"- **Frozen if merged now:** 1 tenant: nordlys-kids\n",
		"| nordlys-kids | production | replicas.min-production | Deployment nordlys-kids-prod/web | web has 1 replica \\| want &gt;= 2 &lt;b&gt;now&lt;/b&gt; | set replicas.web to 2 | [estate/tenants/nordlys-kids.cue:14:9](https://github.com/o/r/blob/abc/estate/tenants/nordlys-kids.cue#L14) |\n",
		"| acme | production | black-friday | platform | 2026-11-30T23:00:00Z (Europe/Paris) | break-glass bg-1 |\n",
		"<details><summary>nordlys-kids — 1 object (0 added, 0 removed, 1 changed)</summary>\n\n**Deployment** nordlys-kids-prod/web — changed\n\n```diff\n--- a/Deployment/nordlys-kids-prod/web\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Not shown") || strings.Contains(md, "not shown") {
		t.Errorf("a small report is truncated:\n%s", md)
	}
}

func TestEscMD(t *testing.T) {
	for in, want := range map[string]string{
		"acme":                   "acme",
		"a|b":                    `a\|b`,
		"<b>x</b> & y":           "&lt;b&gt;x&lt;/b&gt; &amp; y",
		"*bold* _it_ `code`":     "\\*bold\\* \\_it\\_ \\`code\\`",
		"[link](http://x)":       `\[link\](http://x)`,
		"![img](x)":              `\!\[img\](x)`,
		"line\nbreak\r\n":        "line break  ",
		"ping @team":             "ping @\u200bteam",
		"cost $5 and $x$":        `cost \$5 and \$x\$`,
		"# not a heading ~~s~~":  `\# not a heading \~\~s\~\~`,
		`back\slash`:             `back\\slash`,
		"bell\x07 and \xff byte": "bell\uFFFD and \uFFFD byte",
		"Grüße 🚀":                "Grüße 🚀",
	} {
		if got := escMD(in); got != want {
			t.Errorf("escMD(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeCell(t *testing.T) {
	for in, want := range map[string]string{
		"tenants/a.cue:1:2": "`tenants/a.cue:1:2`",
		"a`b":               "``a`b``",
		"`a``":              "``` `a`` ```",
		"a|b\nc":            "`a\\|b c`",
	} {
		if got := codeCell(in); got != want {
			t.Errorf("codeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("日本語です", 3); got != "日本…" {
		t.Errorf("clip = %q", got)
	}
	if got := clipWidth("🚀🚀🚀", 4); got != "🚀…" {
		t.Errorf("clipWidth = %q", got)
	}
	if got := clipWidth("abc", 3); got != "abc" {
		t.Errorf("clipWidth = %q", got)
	}
}

func FuzzEscMD(f *testing.F) {
	for _, s := range []string{"a|b", "<x>", "`", "@a", "\n|", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escMD(s)
		if !utf8.ValidString(e) || strings.ContainsAny(e, "<>\n\r") {
			t.Fatalf("escMD(%q) = %q", s, e)
		}
		// Every '|' is escaped, by an odd number of backslashes.
		for i := 0; i < len(e); i++ {
			if e[i] != '|' {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && e[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("escMD(%q) = %q: unescaped '|' at %d", s, e, i)
			}
		}
		// A table row built from it has as many cells as it should.
		row := "| " + e + " | " + e + " |"
		if cells := splitRow(row); cells != 2 {
			t.Fatalf("row %q has %d cells", row, cells)
		}
	})
}

// splitRow counts the cells of a GFM table row: pipes not escaped by a
// backslash separate cells.
func splitRow(row string) int {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	n := 1
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			if i < len(row)-1 {
				n++
			}
		}
	}
	return n
}

// checkMarkdown checks the structure GitHub relies on: every fence is
// closed, <details> and </details> balance outside fences, and every table
// row has as many cells as its header.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	fence, depth, cells := "", 0, 0
	for line := range strings.Lines(md) {
		l := strings.TrimSuffix(line, "\n")
		if fence != "" {
			if isFence(l) && strings.Trim(strings.TrimLeft(l, " "), "`") == "" && len(strings.TrimLeft(l, " ")) >= len(fence) {
				fence = ""
			}
			continue
		}
		if isFence(l) {
			trimmed := strings.TrimLeft(l, " ")
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			continue
		}
		depth += strings.Count(l, "<details>") - strings.Count(l, "</details>")
		if depth < 0 {
			t.Fatalf("</details> without <details>:\n%s", l)
		}
		switch {
		case strings.HasPrefix(l, "|---"):
		case strings.HasPrefix(l, "| "):
			n := splitRow(l)
			if cells == 0 {
				cells = n
			} else if n != cells {
				t.Fatalf("row has %d cells, header %d:\n%s", n, cells, l)
			}
		default:
			cells = 0
		}
	}
	if fence != "" || depth != 0 {
		t.Fatalf("unbalanced markdown: open fence %q, details depth %d", fence, depth)
	}
	if !strings.HasSuffix(md, "\n") {
		t.Fatal("markdown does not end with a newline")
	}
}

func isFence(l string) bool {
	trimmed := strings.TrimLeft(l, " ")
	return len(l)-len(trimmed) <= 3 && strings.HasPrefix(trimmed, "```")
}

// codeBlocks returns the contents of the fenced code blocks of md.
func codeBlocks(md string) []string {
	var out []string
	var cur *strings.Builder
	fence := ""
	for line := range strings.Lines(md) {
		l := strings.TrimSuffix(line, "\n")
		switch {
		case fence == "" && isFence(l):
			trimmed := strings.TrimLeft(l, " ")
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			cur = &strings.Builder{}
		case fence != "" && isFence(l) && strings.Trim(strings.TrimLeft(l, " "), "`") == "" && len(strings.TrimLeft(l, " ")) >= len(fence):
			out = append(out, cur.String())
			fence = ""
		case fence != "":
			cur.WriteString(line)
		}
	}
	return out
}

// The rules a policy change adds and removes are named in its section,
// the first ten of a long list, escaped.
func TestMarkdownRuleChanges(t *testing.T) {
	var removed []string
	for i := range 12 {
		removed = append(removed, fmt.Sprintf("acme.rule_%02d", i))
	}
	c := &Check{At: at, Policies: &PolicyChange{Files: []string{"guard/a.rego"}, RulesAdded: []string{"acme.new"}, RulesRemoved: removed}}
	md := write(t, c, FormatMarkdown, Options{})
	want := "This change edits guard/a.rego; it adds 1 rule acme.new; it **removes** 12 rules acme.rule\\_00, acme.rule\\_01, acme.rule\\_02, acme.rule\\_03, acme.rule\\_04, acme.rule\\_05, acme.rule\\_06, acme.rule\\_07, acme.rule\\_08, acme.rule\\_09, and 2 more. Head is judged by its own policies; they deny all that the base revision's policies deny.\n"
	if !strings.Contains(md, want) {
		t.Errorf("markdown lacks\n%s\n%s", want, md)
	}
}
